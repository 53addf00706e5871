using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Veralloc.Allocators.SegregatedFit;

/// <content>The map from a used block's offset to its record.</content>
public sealed partial class SegregatedFitAllocator
{
    /// <summary>
    /// The map from a used (or parked) block's offset to its record handle and the fields a free needs first: an
    /// open-addressing hash table with linear probing, at most a quarter full, whose deletions shift later entries
    /// back instead of leaving tombstones.
    /// </summary>
    /// <remarks>
    /// It replaces a <see cref="Dictionary{TKey, TValue}"/>, which cost two hash lookups per free (find, then
    /// remove), kept buckets and entries in two arrays (a cache miss each once the live set outgrows the cache),
    /// and ran at a load factor near one (docs/design-notes/0050-segregated-fit.md). An entry is 16 bytes: the full
    /// offset, the handle, the block's size in granules when the front cache could park it, and whether it is
    /// parked. So a lookup needs no record to confirm a match, and a free that parks a block, or an allocation that
    /// takes one back, touches the entry and never the record: at a large live set the record is one more cache
    /// miss, dependent on the entry's (docs/design-notes/0052-segfit-front-cache.md). The home slot is a
    /// multiplicative (Fibonacci) hash of the granule index. A quarter-full table keeps probe runs short (measured:
    /// half full made a steady-state operation about half as costly again). Lookups end at an empty slot, which the
    /// table always has.
    /// </remarks>
    private sealed partial class UsedOffsetTable
    {
        private const ulong FibonacciMultiplier = 0x9E3779B97F4A7C15UL;
        private const int MinimumSlots = 16;
        private const int SlotsPerEntry = 4;

        private Entry[] _entries;
        private int _mask;
        private int _hashShift;
        private int _count;

        /// <summary>Creates a table with room for <paramref name="expectedEntries"/> entries before it first grows.</summary>
        public UsedOffsetTable(int expectedEntries)
        {
            int slots = MinimumSlots;
            while (slots / SlotsPerEntry < expectedEntries)
            {
                slots *= 2;
            }

            _entries = NewEntries(slots);
            SetGeometry(slots);
        }

        /// <summary>The number of entries.</summary>
        public int Count => _count;

        /// <summary>The number of slots (a power of two).</summary>
        public int SlotCount => _entries.Length;

        /// <summary>The slot holding <paramref name="offset"/>, or -1 when it is not in the table. Any offset may be asked for.</summary>
        /// <param name="offset">The offset to look up.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(long offset)
        {
            Entry[] entries = _entries;
            int mask = _mask;
            for (int slot = HomeSlot(offset); ; slot = (slot + 1) & mask)
            {
                ref Entry entry = ref entries[slot];
                if (entry.Handle == None)
                {
                    return -1;
                }

                if (entry.Offset == offset)
                {
                    return slot;
                }
            }
        }

        /// <summary>The handle stored at an occupied <paramref name="slot"/>.</summary>
        public int HandleAt(int slot) => _entries[slot].Handle;

        /// <summary>The offset stored at an occupied <paramref name="slot"/>.</summary>
        public long OffsetAt(int slot) => _entries[slot].Offset;

        /// <summary>
        /// The block's size in granules when it is at most <see cref="FrontCacheMaxBlockBytes"/> (so the front cache
        /// could park it), else 0.
        /// </summary>
        public int SmallUnitsAt(int slot) => _entries[slot].SmallUnits;

        /// <summary>Whether the block at an occupied <paramref name="slot"/> is parked in the front cache.</summary>
        public bool IsParkedAt(int slot) => _entries[slot].Parked;

        /// <summary>Marks the block at an occupied <paramref name="slot"/> parked or used.</summary>
        public void SetParkedAt(int slot, bool parked) => _entries[slot].Parked = parked;

        /// <summary>Whether <paramref name="slot"/> holds an entry.</summary>
        public bool IsOccupied(int slot) => _entries[slot].Handle != None;

        /// <summary>
        /// Adds an entry, not parked, for a used block that is not in the table. Amortized O(1): the table doubles
        /// when a quarter full.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(long offset, int handle, long sizeBytes)
        {
            Debug.Assert(handle != None, "an entry names a record");
            if ((_count + 1) * SlotsPerEntry > _entries.Length)
            {
                Grow();
            }

            Place(_entries, new Entry(offset, handle, SmallUnits(sizeBytes)));
            _count++;
        }

        /// <summary>
        /// Empties an occupied <paramref name="slot"/>, moving back every later entry of the same probe run whose home
        /// slot lies at or before the hole, so every remaining entry stays reachable from its home slot.
        /// </summary>
        public void RemoveAt(int slot)
        {
            Entry[] entries = _entries;
            int mask = _mask;
            Debug.Assert(entries[slot].Handle != None, "only an occupied slot is removed");
            int hole = slot;
            for (int next = (hole + 1) & mask; entries[next].Handle != None; next = (next + 1) & mask)
            {
                // The entry at next may fill the hole when the hole lies on its probe path, from its home slot up to next.
                int home = HomeSlot(entries[next].Offset);
                if (((next - home) & mask) >= ((next - hole) & mask))
                {
                    entries[hole] = entries[next];
                    hole = next;
                }
            }

            entries[hole] = Entry.Empty;
            _count--;
        }

        /// <summary>What an entry records of a block of <paramref name="sizeBytes"/>: its granules if the cache could park it, else 0.</summary>
        public static ushort SmallUnits(long sizeBytes) =>
            sizeBytes <= FrontCacheMaxBlockBytes ? (ushort)(sizeBytes >> GranuleShift) : (ushort)0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int HomeSlot(long offset) => (int)(unchecked((ulong)(offset >> GranuleShift) * FibonacciMultiplier) >> _hashShift);

        private void Grow()
        {
            Entry[] old = _entries;
            Entry[] entries = NewEntries(checked(old.Length * 2));
            SetGeometry(entries.Length);
            foreach (Entry entry in old)
            {
                if (entry.Handle != None)
                {
                    Place(entries, entry);
                }
            }

            _entries = entries;
        }

        private void Place(Entry[] entries, Entry entry)
        {
            int slot = HomeSlot(entry.Offset);
            while (entries[slot].Handle != None)
            {
                slot = (slot + 1) & _mask;
            }

            entries[slot] = entry;
        }

        private void SetGeometry(int slots)
        {
            Debug.Assert(slots >= MinimumSlots && (slots & (slots - 1)) == 0, "slot counts are powers of two");
            _mask = slots - 1;
            _hashShift = 64 - System.Numerics.BitOperations.Log2((uint)slots);
        }

        private static Entry[] NewEntries(int slots)
        {
            var entries = new Entry[slots];
            entries.AsSpan().Fill(Entry.Empty);
            return entries;
        }

        /// <summary>One slot: 16 bytes, so four share a cache line.</summary>
        private struct Entry(long offset, int handle, ushort smallUnits)
        {
            public static readonly Entry Empty = new(0, None, 0);

            public long Offset = offset;
            public int Handle = handle;
            public ushort SmallUnits = smallUnits;
            public bool Parked;
        }
    }
}
