using FlameKit.Formats.Internal;

namespace FlameKit.Tests.Model;

public class NativeChunkedListTests
{
    private readonly record struct Rec(long Time, int Frame, bool Open);

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(65_536)]
    [InlineData(300_001)] // several full chunks after the growing first one
    public void GivesBackWhatWasAddedAndIsUnusableOnceFreed(int count)
    {
        var list = new NativeChunkedList<Rec>();
        for (int i = 0; i < count; i++) list.Add(new Rec(i * 3L - 7, i ^ 0x5555, (i & 1) == 0));
        Assert.Equal(count, list.Count);
        for (int i = 0; i < count; i++) Assert.Equal(new Rec(i * 3L - 7, i ^ 0x5555, (i & 1) == 0), list[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[count]);
        list.Dispose();
        Assert.Equal(0, list.Count);
        Assert.Throws<ObjectDisposedException>(() => list.Add(default));
        list.Dispose(); // twice is harmless
    }
}
