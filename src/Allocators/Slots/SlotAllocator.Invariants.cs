using System.Globalization;
using Veralloc.Invariants;
using Veralloc.Invariants.InvariantIds;

namespace Veralloc.Allocators.Slots;

/// <summary>The SLOT-* invariant checks (spec/slots.md), re-derived from the raw arrays.</summary>
public sealed partial class SlotAllocator
{
    // Checked in this order so that each corruption is reported under the id that names it: the cold boundary
    // first (the others use it), then the shape of the lists, then what is on them, then the counters.
    private InvariantViolation? FindViolationLocked()
    {
        return CheckCold()
            ?? CheckListsAndMembership()
            ?? CheckBytes()
            ?? CheckConservation();
    }

    private InvariantViolation? CheckCold()
    {
        if ((uint)_lastCold > (uint)_capacity)
        {
            return new InvariantViolation(SlotInvariantIds.Cold, "lastCold",
                Format($"lastCold is {_lastCold}; it must lie in 0..{_capacity}"));
        }

        for (int slot = 0; slot < _capacity; slot++)
        {
            bool isCold = _kind[slot] == SlotKind.UnusedCold;
            bool mustBeCold = slot >= _lastCold;
            if (isCold != mustBeCold)
            {
                return new InvariantViolation(SlotInvariantIds.Cold, Format($"slot {slot}"),
                    Format($"the slot is {_kind[slot]} but lastCold is {_lastCold}: slots >= lastCold must be UnusedCold and slots below it must not"));
            }
        }

        return null;
    }

    private InvariantViolation? CheckListsAndMembership()
    {
        // SLOT-LINKS for every list before anything is read off them.
        var warmMembers = new List<int>();
        var violation = IndexLinkedListChecks.CheckLinks("warm list", _warmHead, _warmTail, _warmPrev, _warmNext, warmMembers, SlotInvariantIds.Links);
        if (violation is not null)
        {
            return violation;
        }

        // Sorted so that the first violation reported does not depend on dictionary history.
        var keys = new SlotAffinity[_affineLists.Count];
        _affineLists.Keys.CopyTo(keys, 0);
        Array.Sort(keys);
        var affineMembers = new List<int>[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            var (head, tail) = _affineLists[keys[i]];
            affineMembers[i] = [];
            violation = IndexLinkedListChecks.CheckLinks(AffineListName(keys[i]), head, tail, _affinePrev, _affineNext, affineMembers[i], SlotInvariantIds.Links);
            if (violation is not null)
            {
                return violation;
            }
        }

        // SLOT-WARM.
        violation = IndexLinkedListChecks.CheckMembership("warm list", warmMembers, _capacity, slot => _kind[slot] == SlotKind.UnusedWarm, SlotInvariantIds.Warm);
        if (violation is not null)
        {
            return violation;
        }

        if (warmMembers.Count != _unusedWarm)
        {
            return new InvariantViolation(SlotInvariantIds.Warm, "unusedWarm",
                Format($"the counter is {_unusedWarm} but the warm list holds {warmMembers.Count} slots"));
        }

        // SLOT-AFFINE.
        var onAffineList = new bool[_capacity];
        for (int i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            if (affineMembers[i].Count == 0)
            {
                return new InvariantViolation(SlotInvariantIds.Affine, AffineListName(key),
                    "the list is empty but its key is still in the map (a key whose list empties must be removed)");
            }

            foreach (int slot in affineMembers[i])
            {
                if (_kind[slot] != SlotKind.UnusedWarm)
                {
                    return new InvariantViolation(SlotInvariantIds.Affine, Format($"slot {slot}"),
                        Format($"the slot is {_kind[slot]} but is on the {AffineListName(key)}: only UnusedWarm slots may be"));
                }

                if (_affinity[slot] != key)
                {
                    return new InvariantViolation(SlotInvariantIds.Affine, Format($"slot {slot}"),
                        Format($"the slot remembers {Show(_affinity[slot])} but is on the {AffineListName(key)}"));
                }

                if (onAffineList[slot])
                {
                    return new InvariantViolation(SlotInvariantIds.Affine, Format($"slot {slot}"), "the slot is on affine lists more than once");
                }

                onAffineList[slot] = true;
            }
        }

        for (int slot = 0; slot < _capacity; slot++)
        {
            if (_kind[slot] == SlotKind.UnusedWarm && _affinity[slot] is SlotAffinity key && !onAffineList[slot])
            {
                return new InvariantViolation(SlotInvariantIds.Affine, Format($"slot {slot}"),
                    Format($"the slot is UnusedWarm with key {Show(key)} but is missing from the {AffineListName(key)}"));
            }
        }

        return null;
    }

    private InvariantViolation? CheckBytes()
    {
        Int128 sum = 0;
        for (int slot = 0; slot < _capacity; slot++)
        {
            long bytes = _bytesResident[slot];
            if (bytes < 0)
            {
                return new InvariantViolation(SlotInvariantIds.Bytes, Format($"slot {slot}"), Format($"the resident byte count is {bytes}; it must be >= 0"));
            }

            if (_kind[slot] == SlotKind.UnusedWarm)
            {
                sum += bytes;
            }
            else if (bytes != 0)
            {
                return new InvariantViolation(SlotInvariantIds.Bytes, Format($"slot {slot}"),
                    Format($"the slot is {_kind[slot]} but records {bytes} resident bytes; only UnusedWarm slots record any"));
            }
        }

        return sum == _unusedBytesResident
            ? null
            : new InvariantViolation(SlotInvariantIds.Bytes, "unusedBytesResident",
                Format($"the counter is {_unusedBytesResident} but the UnusedWarm slots hold {sum} bytes"));
    }

    private InvariantViolation? CheckConservation()
    {
        int used = 0, warm = 0, cold = 0;
        for (int slot = 0; slot < _capacity; slot++)
        {
            switch (_kind[slot])
            {
                case SlotKind.Used:
                    used++;
                    break;
                case SlotKind.UnusedWarm:
                    warm++;
                    break;
                case SlotKind.UnusedCold:
                    cold++;
                    break;
                default:
                    return new InvariantViolation(SlotInvariantIds.Conserve, Format($"slot {slot}"), Format($"the state {(int)_kind[slot]} is not a slot state"));
            }
        }

        if (used != _used)
        {
            return new InvariantViolation(SlotInvariantIds.Conserve, "used",
                Format($"the Used counter is {_used} but {used} slots are Used"));
        }

        return _used + _unusedWarm + (_capacity - _lastCold) == _capacity && used + warm + cold == _capacity
            ? null
            : new InvariantViolation(SlotInvariantIds.Conserve, "pool",
                Format($"used {_used} + unusedWarm {_unusedWarm} + cold {_capacity - _lastCold} must equal capacity {_capacity}"));
    }

    private static string AffineListName(SlotAffinity key) => "affine list of " + Show(key);

    private static string Show(SlotAffinity? key) =>
        key is SlotAffinity k ? Format($"(module {k.ModuleId}, memory {k.MemoryIndex})") : "no key";

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
