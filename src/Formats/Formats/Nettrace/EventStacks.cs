using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.InteropServices;
using Microsoft.Diagnostics.Tracing;

namespace FlameKit.Formats.Nettrace;

/// <summary>
/// Reads the call stack EventPipe attached to an event delivered by TraceEvent's <see cref="EventPipeEventSource"/>.
/// </summary>
/// <remarks>
/// TraceEvent exposes event stacks only through <c>TraceLog</c>, which first converts the whole trace into an
/// <c>.etlx</c> file several times its size (dotnet/diagnostics#1218); there is no public API for the stack of
/// an event streamed by <see cref="EventPipeEventSource"/> (microsoft/perfview#2084). The source does store it,
/// as an ETW-style stack-trace extended data item of the event's native record, so this class reads that
/// record through TraceEvent's own (internal) field and struct definitions. Offsets come from those
/// definitions at start-up, not from constants; if a TraceEvent update renames them, <see cref="Create"/>
/// fails with a message saying so, and the conformance tests fail.
/// </remarks>
internal sealed unsafe class EventStacks
{
    private const ushort StackTrace32 = 5; // EVENT_HEADER_EXT_TYPE_STACK_TRACE32
    private const ushort StackTrace64 = 6; // EVENT_HEADER_EXT_TYPE_STACK_TRACE64
    private const int MatchIdSize = 8;     // the items start with a 64-bit MatchId before the addresses

    private readonly Func<TraceEvent, IntPtr> _record;
    private readonly int _countOffset, _itemsOffset, _itemSize, _typeOffset, _sizeOffset, _dataOffset;

    private EventStacks(Func<TraceEvent, IntPtr> record, int countOffset, int itemsOffset, int itemSize, int typeOffset, int sizeOffset, int dataOffset)
    {
        _record = record;
        _countOffset = countOffset; _itemsOffset = itemsOffset; _itemSize = itemSize;
        _typeOffset = typeOffset; _sizeOffset = sizeOffset; _dataOffset = dataOffset;
    }

    private static EventStacks? s_instance;

    /// <summary>The accessor for the loaded TraceEvent assembly.</summary>
    /// <exception cref="InvalidOperationException">This TraceEvent version lays its event records out differently.</exception>
    public static EventStacks Create() => s_instance ??= Build();

    private static EventStacks Build()
    {
        var asm = typeof(TraceEvent).Assembly;
        var field = typeof(TraceEvent).GetField("eventRecord", BindingFlags.NonPublic | BindingFlags.Instance);
        var recordType = asm.GetType("Microsoft.Diagnostics.Tracing.TraceEventNativeMethods+EVENT_RECORD");
        var itemType = asm.GetType("Microsoft.Diagnostics.Tracing.TraceEventNativeMethods+EVENT_HEADER_EXTENDED_DATA_ITEM");
        if (field is null || recordType is null || itemType is null || !field.FieldType.IsPointer)
            throw new InvalidOperationException($"this version of TraceEvent ({asm.GetName().Version}) stores event stacks differently; the nettrace reader needs updating");
        try
        {
            // A compiled field load: reflection's FieldInfo.GetValue would box a Pointer per event.
            var dm = new DynamicMethod("EventRecordOf", typeof(IntPtr), [typeof(TraceEvent)], typeof(EventStacks).Module, skipVisibility: true);
            var il = dm.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldfld, field);
            il.Emit(OpCodes.Ret);
            return new EventStacks(
                dm.CreateDelegate<Func<TraceEvent, IntPtr>>(),
                (int)Marshal.OffsetOf(recordType, "ExtendedDataCount"),
                (int)Marshal.OffsetOf(recordType, "ExtendedData"),
                Marshal.SizeOf(itemType),
                (int)Marshal.OffsetOf(itemType, "ExtType"),
                (int)Marshal.OffsetOf(itemType, "DataSize"),
                (int)Marshal.OffsetOf(itemType, "DataPtr"));
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"this version of TraceEvent ({asm.GetName().Version}) stores event stacks differently ({e.Message}); the nettrace reader needs updating", e);
        }
    }

    /// <summary>
    /// Copies the stack of <paramref name="data"/>, leaf first, into <paramref name="buffer"/> (grown as needed).
    /// </summary>
    /// <returns>The number of frames; 0 when the event carries no stack.</returns>
    public int Read(TraceEvent data, ref ulong[] buffer)
    {
        byte* record = (byte*)_record(data);
        if (record == null) return 0;
        int count = *(ushort*)(record + _countOffset);
        byte* items = *(byte**)(record + _itemsOffset);
        for (int i = 0; i < count; i++)
        {
            byte* item = items + i * _itemSize;
            ushort type = *(ushort*)(item + _typeOffset);
            if (type != StackTrace64 && type != StackTrace32) continue;
            int size = *(ushort*)(item + _sizeOffset);
            byte* ptr = (byte*)*(ulong*)(item + _dataOffset);
            int width = type == StackTrace64 ? 8 : 4;
            int n = Math.Max(0, (size - MatchIdSize) / width);
            if (buffer.Length < n) buffer = new ulong[Math.Max(n, buffer.Length * 2)];
            byte* a = ptr + MatchIdSize;
            if (width == 8) new ReadOnlySpan<ulong>(a, n).CopyTo(buffer);
            else for (int k = 0; k < n; k++) buffer[k] = ((uint*)a)[k];
            return n;
        }
        return 0;
    }
}
