using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Veralloc.Allocators.SegregatedFit;

/// <content>The map from a used block's offset to its record.</content>
public sealed partial class SegregatedFitAllocator
{
    /// <summary>
    /// The map from a used block's offset to its record handle: an open-addressing hash table with linear probing,
    /// at most a quarter full, whose deletions shift later entries back instead of leaving tombstones.
    /// </summary>
    /// <remarks>
    /// It replaces a <see cref="Dictionary{TKey, TValue}"/>, which cost two hash lookups per free (find, then
    /// remove), kept buckets and entries in two arrays (a cache miss each once the live set outgrows the cache),
    /// and ran at a load factor near one (docs/design-notes/0050-segregated-fit.md). An entry is 8 bytes: the
    /// handle and a tag, the low 32 bits of the offset's granule index. The home slot is a multiplicative
    /// (Fibonacci) hash of the tag, so deletion can move entries without reading their records; a lookup confirms
    /// a tag match against the record's offset, which the caller reads next anyway. Offsets 2^36 bytes apart share
    /// a tag and a home slot; they are told apart by that confirmation. A quarter-full table keeps probe runs short
    /// (measured: half full made a steady-state operation about half as costly again). Lookups end at an empty
    /// slot, which the table always has.
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
        /// <param name="records">The allocator's records, which hold each entry's full offset.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(long offset, BlockRecord[] records)
        {
            Entry[] entries = _entries;
            int mask = _mask;
            uint tag = Tag(offset);
            for (int slot = HomeSlot(tag); ; slot = (slot + 1) & mask)
            {
                Entry entry = entries[slot];
                if (entry.Handle == None)
                {
                    return -1;
                }

                if (entry.Tag == tag && records[entry.Handle].Offset == offset)
                {
                    return slot;
                }
            }
        }

        /// <summary>The handle stored at an occupied <paramref name="slot"/>.</summary>
        public int HandleAt(int slot) => _entries[slot].Handle;

        /// <summary>The tag stored at <paramref name="slot"/>; meaningful only when <see cref="IsOccupied"/>.</summary>
        public uint TagAt(int slot) => _entries[slot].Tag;

        /// <summary>Whether <paramref name="slot"/> holds an entry.</summary>
        public bool IsOccupied(int slot) => _entries[slot].Handle != None;

        /// <summary>Adds an entry for an offset that is not in the table. Amortized O(1): the table doubles when a quarter full.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(long offset, int handle)
        {
            Debug.Assert(handle != None, "an entry names a record");
            if ((_count + 1) * SlotsPerEntry > _entries.Length)
            {
                Grow();
            }

            Place(_entries, new Entry(Tag(offset), handle));
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
                int home = HomeSlot(entries[next].Tag);
                if (((next - home) & mask) >= ((next - hole) & mask))
                {
                    entries[hole] = entries[next];
                    hole = next;
                }
            }

            entries[hole] = new Entry(0, None);
            _count--;
        }

        /// <summary>The tag of <paramref name="offset"/>: the low 32 bits of its granule index.</summary>
        public static uint Tag(long offset) => unchecked((uint)(offset >> GranuleShift));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int HomeSlot(uint tag) => (int)(unchecked(tag * FibonacciMultiplier) >> _hashShift);

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
            int slot = HomeSlot(entry.Tag);
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
            entries.AsSpan().Fill(new Entry(0, None));
            return entries;
        }

        private readonly record struct Entry(uint Tag, int Handle);
    }
}
