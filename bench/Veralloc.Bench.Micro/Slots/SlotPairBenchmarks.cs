using BenchmarkDotNet.Attributes;
using Veralloc.Allocators.Slots;

namespace Veralloc.Bench.Slots;

/// <summary>
/// One uncontended alloc + free pair per operation (single thread, lock always uncontended), against a lock+Stack
/// pool (the baseline) and a ConcurrentBag pool. Target: the keyless pair within 1.5x of lock+Stack.
/// </summary>
[MemoryDiagnoser]
public class SlotPairBenchmarks
{
    private const int Capacity = 1024;
    private const int KeyCount = 8;
    private static readonly SlotAffinity[] s_keys = Enumerable.Range(0, KeyCount).Select(k => new SlotAffinity(k, 0)).ToArray();

    private LockStackSlotPool _stackPool = null!;
    private ConcurrentBagSlotPool _bagPool = null!;
    private SlotAllocator _slots = null!;
    private SlotAllocator _affineSlots = null!;
    private int _nextKey;

    [GlobalSetup]
    public void Setup()
    {
        _stackPool = new LockStackSlotPool(Capacity);
        _bagPool = new ConcurrentBagSlotPool(Capacity);
        _slots = SlotAllocator.CreateSimple(Capacity);

        // Every key has warm slots, so each keyed allocation takes the affine path (dictionary lookup + two unlinks).
        _affineSlots = new SlotAllocator(Capacity, Capacity);
        var held = new List<int>();
        for (int i = 0; i < 4 * KeyCount; i++)
        {
            _affineSlots.TryAllocate(s_keys[i % KeyCount], out int slot);
            held.Add(slot);
        }

        foreach (int slot in held)
        {
            _affineSlots.Free(slot, 4096);
        }
    }

    [Benchmark(Baseline = true, Description = "lock+Stack<int> pool")]
    public int LockStack()
    {
        _stackPool.TryAllocate(out int slot);
        _stackPool.Free(slot);
        return slot;
    }

    [Benchmark(Description = "ConcurrentBag<int> pool")]
    public int ConcurrentBag()
    {
        _bagPool.TryAllocate(out int slot);
        _bagPool.Free(slot);
        return slot;
    }

    [Benchmark(Description = "SlotAllocator, no key")]
    public int SlotsKeyless()
    {
        _slots.TryAllocate(null, out int slot);
        _slots.Free(slot, 0);
        return slot;
    }

    [Benchmark(Description = "SlotAllocator, affine key hit")]
    public int SlotsKeyed()
    {
        var key = s_keys[_nextKey++ & (KeyCount - 1)];
        _affineSlots.TryAllocate(key, out int slot);
        _affineSlots.Free(slot, 4096);
        return slot;
    }
}
