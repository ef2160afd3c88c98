using System.IO.Compression;
using System.Text;
using FlameKit.Formats;
using FlameKit.Formats.Pprof;

namespace FlameKit.Tests.Pprof;

public class PprofInputErrorTests
{
    private static readonly PprofReader s_reader = new();

    [Fact]
    public void DetectsGzippedAndRawFixtures()
    {
        foreach (var f in new[] { "pprof/labels.cpu.pb.gz", "pprof/labels.cpu.pb", "pprof/http.heap.pb", "pprof/empty.cpu.pb.gz" })
        {
            var (stream, head, complete) = ProfileFormats.Peek(File.OpenRead(Fixtures.Path(f)));
            stream.Dispose();
            Assert.Equal(Detection.Yes, s_reader.Detect(head, complete));
            Assert.IsType<PprofReader>(ProfileFormats.Detect(head, complete));
        }
    }

    [Theory]
    [InlineData("main;foo;bar 12\nmain;foo 3\n")]
    [InlineData("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\"}")]
    [InlineData("[{\"name\":\"x\",\"ph\":\"B\"}]")]
    [InlineData("goroutine profile: total 3\n3 @ 0x1 0x2\n")]
    [InlineData("heap profile: 1: 2 [3: 4] @ heap/1048576\n")]
    [InlineData("goroutine 1 [running]:\nmain.main()\n")]
    [InlineData("\n\n\n")]
    [InlineData("x")]
    public void TextIsNotPprof(string text)
    {
        Assert.Equal(Detection.No, s_reader.Detect(Encoding.UTF8.GetBytes(text), true));
        Assert.Equal(Detection.No, s_reader.Detect(Encoding.UTF8.GetBytes(text), false));
    }

    [Fact]
    public void EmptyInputIsNotPprof()
    {
        Assert.Equal(Detection.No, s_reader.Detect([], true));
        var e = Assert.Throws<ProfileFormatException>(() => s_reader.Read(new MemoryStream(), ReadOptions.Default));
        Assert.Equal(0, e.ByteOffset);
        Assert.Throws<ProfileFormatException>(() => ProfileFormats.Read(new MemoryStream()));
    }

    private static byte[] Raw(string fixture)
    {
        using var gz = new GZipStream(File.OpenRead(Fixtures.Path(fixture)), CompressionMode.Decompress);
        var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    [Fact]
    public void GzipOfSeveralMembersIsReadWhole()
    {
        // The reader sizes its buffer from the gzip trailer, which describes only the last member.
        var raw = Raw("pprof/labels.cpu.pb.gz");
        var expected = s_reader.Read(new MemoryStream(raw), ReadOptions.Default);
        foreach (int split in new[] { 1, raw.Length / 2, raw.Length - 1 })
        {
            var joined = new MemoryStream();
            foreach (var part in new[] { raw[..split], raw[split..] })
            {
                using var gz = new GZipStream(joined, CompressionLevel.Fastest, leaveOpen: true);
                gz.Write(part);
            }
            var p = s_reader.Read(new MemoryStream(joined.ToArray()), ReadOptions.Default);
            Assert.Equal(expected.SampleCount, p.SampleCount);
            Assert.Equal(expected.StackCount, p.StackCount);
            Assert.Equal(expected.Total(0), p.Total(0));
        }
    }

    [Fact]
    public void TruncatedProtoIsAFormatErrorWithOffset()
    {
        var raw = Raw("pprof/labels.cpu.pb.gz");
        foreach (int cut in new[] { 1, 7, raw.Length / 3, raw.Length / 2, raw.Length - 1 })
        {
            var e = Assert.Throws<ProfileFormatException>(() => s_reader.Read(new MemoryStream(raw[..cut]), ReadOptions.Default));
            Assert.Equal("pprof", e.FormatName);
            Assert.NotNull(e.ByteOffset);
            Assert.InRange(e.ByteOffset!.Value, 0, cut);
        }
    }

    [Fact]
    public void TruncatedGzipIsAFormatError()
    {
        var gz = File.ReadAllBytes(Fixtures.Path("pprof/labels.cpu.pb.gz"));
        foreach (int cut in new[] { 5, 12, gz.Length / 2, gz.Length - 40 })
        {
            var bytes = gz[..cut];
            Assert.Throws<ProfileFormatException>(() => ProfileFormats.Read(new MemoryStream(bytes)));
            Assert.Throws<ProfileFormatException>(() => s_reader.Read(new MemoryStream(bytes), ReadOptions.Default));
        }
    }

    // A hand-made message: sample_type {type: 1, unit: 2}, string table "", "samples", "count", then a
    // function whose name index (99) is outside the table.
    private static byte[] WithBadStringIndex() =>
    [
        0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,
        0x32, 0x00,
        0x32, 0x07, (byte)'s', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', (byte)'s',
        0x32, 0x05, (byte)'c', (byte)'o', (byte)'u', (byte)'n', (byte)'t',
        0x2a, 0x04, 0x08, 0x01, 0x10, 0x63,
    ];

    [Fact]
    public void BadStringIndexIsAFormatErrorWithOffset()
    {
        var bytes = WithBadStringIndex();
        var e = Assert.Throws<ProfileFormatException>(() => s_reader.Read(new MemoryStream(bytes), ReadOptions.Default));
        Assert.Contains("string index 99", e.Message);
        Assert.Equal(24, e.ByteOffset); // where the function message starts
    }

    [Fact]
    public void UnknownLocationAndWrongValueCountAreFormatErrors()
    {
        // sample_type {1,2}; sample {location_id: [5], value: [1]}; strings "", "samples", "count"
        byte[] unknownLoc =
        [
            0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,
            0x12, 0x06, 0x0a, 0x01, 0x05, 0x12, 0x01, 0x01,
            0x32, 0x00, 0x32, 0x01, (byte)'s', 0x32, 0x01, (byte)'c',
        ];
        var e = Assert.Throws<ProfileFormatException>(() => s_reader.Read(new MemoryStream(unknownLoc), ReadOptions.Default));
        Assert.Contains("unknown location id 5", e.Message);
        Assert.NotNull(e.ByteOffset);

        // sample {value: [1, 2]} with one sample type (unpacked values)
        byte[] twoValues =
        [
            0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,
            0x12, 0x04, 0x10, 0x01, 0x10, 0x02,
            0x32, 0x00, 0x32, 0x01, (byte)'s', 0x32, 0x01, (byte)'c',
        ];
        e = Assert.Throws<ProfileFormatException>(() => s_reader.Read(new MemoryStream(twoValues), ReadOptions.Default));
        Assert.Contains("2 values", e.Message);
        Assert.Equal(6, e.ByteOffset);
    }

    [Fact]
    public void UnpackedRepeatedFieldsAreRead()
    {
        // sample_type {1,2}; function {id 1, name 1}; location {id 1, line {function_id 1}};
        // sample {location_id 1 (unpacked), value 4 (unpacked)}; strings "", "samples", "count"
        byte[] msg =
        [
            0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,
            0x2a, 0x04, 0x08, 0x01, 0x10, 0x01,
            0x22, 0x06, 0x08, 0x01, 0x22, 0x02, 0x08, 0x01,
            0x12, 0x04, 0x08, 0x01, 0x10, 0x04,
            0x32, 0x00,
            0x32, 0x07, (byte)'s', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', (byte)'s',
            0x32, 0x05, (byte)'c', (byte)'o', (byte)'u', (byte)'n', (byte)'t',
            0x68, 0x02, 0x68, 0x01, // comment 2, comment 1 (unpacked)
        ];
        Assert.Equal(Detection.Yes, s_reader.Detect(msg, true));
        var p = s_reader.Read(new MemoryStream(msg), ReadOptions.Default);
        Assert.Equal(1, p.SampleCount);
        Assert.Equal(4, p.Total(0));
        Assert.Equal("samples", p.Functions[p.Locations[p.StackLocation(p.SampleStack(0)).Index].Lines[0].Function.Index].Name);
        Assert.Equal(["count", "samples"], p.Comments);
    }

    [Fact]
    public void RandomBytesNeverThrowAnythingButFormatErrors()
    {
        var rng = new Random(12345);
        var seeds = new List<byte[]>();
        var raw = Raw("pprof/labels.goroutine.pb.gz");
        for (int i = 0; i < 200; i++)
        {
            byte[] bytes;
            switch (i % 4)
            {
                case 0: // pure noise
                    bytes = new byte[rng.Next(0, 300)];
                    rng.NextBytes(bytes);
                    break;
                case 1: // a real profile with a few bytes flipped
                    bytes = (byte[])raw.Clone();
                    for (int k = 0; k < 1 + rng.Next(8); k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                    break;
                case 2: // a real profile cut short
                    bytes = raw[..rng.Next(raw.Length)];
                    break;
                default: // a plausible first byte followed by noise
                    bytes = new byte[rng.Next(2, 100)];
                    rng.NextBytes(bytes);
                    bytes[0] = 0x0a;
                    break;
            }
            try
            {
                ProfileFormats.Read(new MemoryStream(bytes));
                s_reader.Read(new MemoryStream(bytes), ReadOptions.Default);
            }
            catch (ProfileFormatException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} ({bytes.Length} bytes: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(40, bytes.Length)))}) threw {e.GetType().Name}: {e.Message}");
            }
        }
    }
}
