using System.IO.Compression;
using FlameKit.Formats;
using FlameKit.Formats.Pprof;

namespace FlameKit.Tests.Pprof;

/// <summary>
/// Gzipped pprof is decoded while it is inflated, with provisional location and label ids renumbered at the
/// end (<see cref="PprofDecoder.TryDecodeWhileInflating"/>); the two-pass decoder of the inflated bytes is the
/// reference. Bad or unusual input must fall back to it, so results and error messages stay the same.
/// </summary>
public class PprofInflatingDecodeTests
{
    public static TheoryData<string> GzippedFixtures()
    {
        var data = new TheoryData<string>();
        foreach (var f in Fixtures.All("pprof", "*.pb.gz")) data.Add(f);
        return data;
    }

    private static byte[] Inflate(byte[] gz)
    {
        using var s = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
        var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static byte[] Deflate(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    private static byte[] AsPprof(Profile p)
    {
        var ms = new MemoryStream();
        new PprofWriter().Write(p, ms, WriteOptions.Default);
        return Inflate(ms.ToArray());
    }

    [Theory]
    [MemberData(nameof(GzippedFixtures))]
    public void EqualsTheTwoPassDecoder(string fixture)
    {
        var gz = File.ReadAllBytes(Fixtures.Path(fixture));
        var raw = Inflate(gz);
        var reference = PprofReader.Parse(raw, raw.Length, ReadOptions.Default);
        var streamed = PprofDecoder.TryDecodeWhileInflating(gz, gz.Length, raw.Length, ReadOptions.Default);
        if (reference.SampleCount == 0)
        {
            Assert.Null(streamed); // nothing to overlap: left to the two-pass path
            return;
        }
        Assert.NotNull(streamed);
        Assert.Equal(reference.StackCount, streamed.StackCount);
        Assert.Equal(reference.LabelSetCount, streamed.LabelSetCount);
        Assert.Equal(AsPprof(reference), AsPprof(streamed));
        // And through the public entry point, from a file, which hands the reader the compressed bytes.
        using var file = File.OpenRead(Fixtures.Path(fixture));
        Assert.Equal(AsPprof(reference), AsPprof(ProfileFormats.Read(file).Profile));
    }

    [Fact]
    public void ASampleBeforeItsSampleTypeFallsBackToTheTwoPassDecoder()
    {
        // sample {value: [7]}; sample_type {1,2}; strings "", "s", "c"
        byte[] raw =
        [
            0x12, 0x02, 0x10, 0x07,
            0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,
            0x32, 0x00, 0x32, 0x01, (byte)'s', 0x32, 0x01, (byte)'c',
        ];
        var gz = Deflate(raw);
        Assert.Null(PprofDecoder.TryDecodeWhileInflating(gz, gz.Length, raw.Length, ReadOptions.Default));
        var p = new PprofReader().Read(new MemoryStream(gz), ReadOptions.Default);
        Assert.Equal(1, p.SampleCount);
        Assert.Equal(7, p.Total(0));
        Assert.Equal("s", p.SampleTypes[0].Type);
    }

    [Fact]
    public void BadInputGivesTheSameErrorGzippedAsRaw()
    {
        // Flipped and cut variants of a real profile with labels: whatever the raw bytes give (a profile or
        // an error), the gzipped bytes read from a file give the same.
        var raw = Inflate(File.ReadAllBytes(Fixtures.Path("pprof/labels.cpu.pb.gz")));
        var rng = new Random(7);
        var dir = Directory.CreateTempSubdirectory("flamekit-pprof-");
        try
        {
            for (int i = 0; i < 60; i++)
            {
                var bytes = (byte[])raw.Clone();
                if (i % 2 == 0) for (int k = 0; k < 1 + rng.Next(6); k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                else bytes = bytes[..rng.Next(1, bytes.Length)];
                string expected = Outcome(() => new PprofReader().Read(new MemoryStream(bytes), ReadOptions.Default));
                var path = Path.Combine(dir.FullName, $"case{i}.pb.gz");
                File.WriteAllBytes(path, Deflate(bytes));
                string actual = Outcome(() =>
                {
                    using var f = File.OpenRead(path);
                    return ProfileFormats.Read(f, ReadOptions.Default, "pprof").Profile;
                });
                Assert.Equal(expected, actual);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        static string Outcome(Func<Profile> read)
        {
            try
            {
                return "profile " + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(AsPprof(read())));
            }
            catch (ProfileFormatException e)
            {
                return $"error {e.Message} at {e.ByteOffset}";
            }
        }
    }
}
