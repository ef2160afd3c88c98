using FlameKit.Benchmarks.Generated;

namespace FlameKit.Benchmarks;

/// <summary>
/// The alternative design: parse with protoc-generated types (our own schema), then build the model
/// from the object graph. Kept only to measure against <see cref="Formats.Pprof.PprofReader"/>.
/// </summary>
public static class GeneratedPprof
{
    /// <summary>Parses <paramref name="data"/> (uncompressed) into generated types and converts them to a <see cref="Profile"/>.</summary>
    /// <param name="data">profile.proto bytes.</param>
    public static Profile Read(byte[] data)
    {
        var g = PProfile.Parser.ParseFrom(data);
        var s = g.Strings;
        var b = new ProfileBuilder(g.SampleTypes.Select(t => new SampleType(s[(int)t.TypeIndex], s[(int)t.UnitIndex])));
        if (g.PeriodKind is { } pk) b.PeriodType = new SampleType(s[(int)pk.TypeIndex], s[(int)pk.UnitIndex]);
        b.Period = g.PeriodValue;
        b.TimeNanos = g.TimeNs;
        b.DurationNanos = g.DurationNs;
        if (g.DefaultTypeIndex != 0) b.DefaultSampleType = s[(int)g.DefaultTypeIndex];
        var maps = new Dictionary<ulong, MappingId>();
        foreach (var m in g.Mappings)
            maps[m.Id] = b.AddMapping(new Mapping(m.Start, m.Limit, m.FileOffset, s[(int)m.FileIndex], s[(int)m.BuildIdIndex]) { HasFunctions = m.FunctionsKnown });
        var fns = new Dictionary<ulong, FunctionId>();
        foreach (var f in g.Functions)
            fns[f.Id] = b.AddFunction(s[(int)f.NameIndex], s[(int)f.SystemNameIndex], s[(int)f.FileIndex], f.StartLineNumber);
        var locs = new Dictionary<ulong, LocationId>();
        foreach (var l in g.Locations)
        {
            var lines = l.Lines.Select(x => new Line(fns[x.FunctionId], x.LineNumber, x.ColumnNumber)).ToArray();
            locs[l.Id] = b.AddLocation(l.Address, l.MappingId == 0 ? MappingId.None : maps[l.MappingId], lines, l.Folded);
        }
        var buf = new Label[8];
        foreach (var smp in g.Samples)
        {
            var st = StackId.Empty;
            for (int i = smp.LocationIds.Count - 1; i >= 0; i--) st = b.Push(st, locs[smp.LocationIds[i]]);
            var labels = LabelSetId.Empty;
            if (smp.Labels.Count > 0)
            {
                if (buf.Length < smp.Labels.Count) buf = new Label[smp.Labels.Count];
                for (int i = 0; i < smp.Labels.Count; i++)
                {
                    var x = smp.Labels[i];
                    buf[i] = x.StrIndex != 0 ? new Label(s[(int)x.KeyIndex], s[(int)x.StrIndex]) : new Label(s[(int)x.KeyIndex], null, x.NumValue, x.NumUnitIndex != 0 ? s[(int)x.NumUnitIndex] : null);
                }
                labels = b.AddLabelSet(buf.AsSpan(0, smp.Labels.Count));
            }
            // Generated RepeatedField<long> has no span view in 3.25; copy into a scratch array.
            var values = new long[smp.Values.Count];
            smp.Values.CopyTo(values, 0);
            b.AddSample(st, values, labels);
        }
        return b.Build();
    }
}
