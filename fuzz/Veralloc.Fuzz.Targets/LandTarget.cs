using System.Globalization;
using System.Text;
using Veralloc.Allocators.Lands;
using Veralloc.Allocators.Memory;
using Veralloc.Invariants;

namespace Veralloc.Fuzz;

/// <summary>
/// Operation sequences on a land (<see cref="FreeListLand"/> or <see cref="TreeLand"/>) against a model that keeps one
/// flag per grain of the bounds. Each operation is an opcode byte and its arguments: insert or delete a range (often
/// valid, sometimes overlapping, misaligned, empty, negative or out of bounds), delete a piece of a stored range,
/// find-first, -last or -largest with each delete option (and bad sizes and options), flush into a fresh tree land and
/// back (or into one that must refuse), iterate with an early stop, and, for the free-list land, grow its memory.
/// </summary>
/// <remarks>
/// Before every insert and delete, <see cref="ILand.CanInsert"/> and <see cref="ILand.CanDelete"/> must predict the
/// outcome; a rejected call must throw <see cref="ArgumentOutOfRangeException"/> for a bad range and exactly
/// <see cref="ArgumentException"/> for a conflict, and change nothing. After every operation:
/// <see cref="ILand.CheckInvariants"/>, the stored ranges equal the model's maximal runs, and, for the free-list land,
/// every byte outside the land still holds what the client wrote there (the land writes inside its ranges only).
/// </remarks>
public static class LandTarget
{
    private const int MaxOperations = 4096;

    /// <summary>Runs one input on a <see cref="FreeListLand"/> over one page that may grow to two.</summary>
    /// <param name="bytes">The encoded operations.</param>
    public static void RunFreeListLand(ReadOnlySpan<byte> bytes)
    {
        var memory = new SlabLinearMemory(maxPages: 2, initialPages: 1);
        var input = new FuzzInput(bytes);
        new Session(new FreeListLand(memory), memory, input.Byte()).Run(ref input);
    }

    /// <summary>Runs one input on a <see cref="TreeLand"/> whose grain (1 to 64 bytes) and bounds come from the first bytes.</summary>
    /// <param name="bytes">The encoded grain, bounds and operations.</param>
    public static void RunTreeLand(ReadOnlySpan<byte> bytes)
    {
        var input = new FuzzInput(bytes);
        long grain = 1L << (input.Byte() % 7);
        long start = grain * input.Below(64);
        long units = 1 + input.Below(4096);
        new Session(new TreeLand(grain, new AddressRange(start, grain * units)), null, input.Byte()).Run(ref input);
    }

    private sealed class Session(ILand land, SlabLinearMemory? memory, byte firstFill)
    {
        private readonly long _grain = land.GrainBytes;
        private readonly byte[] _written = new byte[memory?.MaxPages * LinearMemory.PageBytes ?? 0];
        private bool[] _stored = new bool[land.Bounds.Size / land.GrainBytes];
        private byte _fill = firstFill;

        private AddressRange Bounds => land.Bounds;

        public void Run(ref FuzzInput input)
        {
            for (int step = 0; step < MaxOperations && !input.IsExhausted; step++)
            {
                switch (input.Byte() % 10)
                {
                    case 0:
                    case 1:
                        Insert(AnyRange(ref input));
                        break;
                    case 2:
                        Delete(AnyRange(ref input));
                        break;
                    case 3:
                    case 4:
                        Delete(PieceOfStored(ref input));
                        break;
                    case 5:
                    case 6:
                        Find(ref input);
                        break;
                    case 7:
                        Flush(ref input);
                        break;
                    case 8:
                        Iterate(1 + (input.Byte() % 8));
                        break;
                    default:
                        Grow();
                        break;
                }

                Check();
            }
        }

        private AddressRange AnyRange(ref FuzzInput input)
        {
            byte kind = input.Byte();
            long startUnit = input.Below(_stored.Length + 2);
            long sizeUnits = kind % 4 == 0 ? 1 + input.Below(_stored.Length) : 1 + (input.Byte() % 8);
            var range = new AddressRange(Bounds.Start + (startUnit * _grain), sizeUnits * _grain);
            return (kind >> 4) switch
            {
                15 => range with { Start = range.Start + 1 },
                14 => range with { Size = 0 },
                13 => range with { Size = -range.Size },
                12 => range with { Start = -range.Size },
                11 => range with { Size = long.MaxValue - (long.MaxValue % _grain) },
                10 => range with { Size = range.Size + 1 },
                _ => range,
            };
        }

        private AddressRange PieceOfStored(ref FuzzInput input)
        {
            List<AddressRange> runs = Runs();
            int pick = input.UInt16();
            int offsetUnits = input.Byte() % 16;
            int sizeUnits = 1 + (input.Byte() % 4);
            if (runs.Count == 0)
            {
                return new AddressRange(Bounds.Start, _grain);
            }

            AddressRange run = runs[pick % runs.Count];
            long units = run.Size / _grain;
            return new AddressRange(run.Start + (_grain * (offsetUnits % units)), _grain * sizeUnits);
        }

        private bool IsValid(AddressRange range) =>
            range.Size > 0 && range.Start >= Bounds.Start && range.Size <= Bounds.End - range.Start
            && (range.Start % _grain) == 0 && (range.Size % _grain) == 0;

        private bool AllStored(AddressRange range, bool stored)
        {
            long first = (range.Start - Bounds.Start) / _grain;
            for (long unit = first; unit < first + (range.Size / _grain); unit++)
            {
                if (_stored[unit] != stored)
                {
                    return false;
                }
            }

            return true;
        }

        private void Mark(AddressRange range, bool stored)
        {
            long first = (range.Start - Bounds.Start) / _grain;
            _stored.AsSpan((int)first, (int)(range.Size / _grain)).Fill(stored);
            if (!stored && memory is not null)
            {
                // The client now owns these bytes and writes into them.
                byte fill = ++_fill;
                memory.GetSpan(range.Start, (int)range.Size).Fill(fill);
                _written.AsSpan((int)range.Start, (int)range.Size).Fill(fill);
            }
        }

        private void Insert(AddressRange range)
        {
            bool valid = IsValid(range);
            bool accepted = valid && AllStored(range, stored: false);
            FuzzCheckException.Require(land.CanInsert(range) == accepted, $"CanInsert({range}) is {!accepted}, the model says {accepted}");
            if (!accepted)
            {
                Reject($"Insert({range})", () => land.Insert(range), valid);
                return;
            }

            AddressRange merged = land.Insert(range);
            Mark(range, stored: true);
            AddressRange expected = Runs().Single(run => run.Start <= range.Start && range.End <= run.End);
            FuzzCheckException.Require(merged == expected, $"Insert({range}) returned {merged}, the model's merged range is {expected}");
        }

        private void Delete(AddressRange range)
        {
            bool valid = IsValid(range);
            bool accepted = valid && AllStored(range, stored: true);
            FuzzCheckException.Require(land.CanDelete(range) == accepted, $"CanDelete({range}) is {!accepted}, the model says {accepted}");
            if (!accepted)
            {
                Reject($"Delete({range})", () => land.Delete(range), valid);
                return;
            }

            land.Delete(range);
            Mark(range, stored: false);
        }

        private void Reject(string what, Action call, bool valid)
        {
            if (valid)
            {
                Expect.Rejected<ArgumentException>(what, call, State, exactType: true);
            }
            else
            {
                Expect.Rejected<ArgumentOutOfRangeException>(what, call, State);
            }
        }

        private void Find(ref FuzzInput input)
        {
            byte code = input.Byte();
            long size = _grain * (1 + input.Below(_stored.Length));
            size = (code >> 5) switch
            {
                7 => 0,
                6 when _grain > 1 => size + 1,
                5 => -size,
                _ => size,
            };
            var delete = (FindDelete)(code % 5);
            int kind = (code >> 3) % 3;
            string what = $"{(kind == 0 ? "TryFindFirst" : kind == 1 ? "TryFindLast" : "TryFindLargest")}({size}, {delete})";
            bool found;
            LandFindResult result;
            if (size <= 0 || size % _grain != 0 || !Enum.IsDefined(delete))
            {
                Expect.Rejected<ArgumentOutOfRangeException>(what, () => CallFind(kind, size, delete, out _), State);
                return;
            }

            found = CallFind(kind, size, delete, out result);
            List<AddressRange> runs = Runs();
            AddressRange? expected = kind switch
            {
                0 => runs.Where(run => run.Size >= size).Select(run => (AddressRange?)run).FirstOrDefault(),
                1 => runs.Where(run => run.Size >= size).Select(run => (AddressRange?)run).LastOrDefault(),
                _ => runs.Count == 0 || runs.Max(run => run.Size) < size ? null : runs.First(run => run.Size == runs.Max(r => r.Size)),
            };

            FuzzCheckException.Require(found == expected.HasValue, $"{what} returned {found}, the model found {expected?.ToString() ?? "nothing"}");
            if (expected is not { } foundRange)
            {
                return;
            }

            AddressRange deleted = delete switch
            {
                FindDelete.None => default,
                FindDelete.Low => new AddressRange(foundRange.Start, size),
                FindDelete.High => new AddressRange(foundRange.End - size, size),
                _ => foundRange,
            };
            FuzzCheckException.Require(result == new LandFindResult(foundRange, deleted), $"{what} returned {result}, the model expected found {foundRange} deleted {deleted}");
            if (delete != FindDelete.None)
            {
                Mark(deleted, stored: false);
            }
        }

        private bool CallFind(int kind, long size, FindDelete delete, out LandFindResult result) => kind switch
        {
            0 => land.TryFindFirst(size, delete, out result),
            1 => land.TryFindLast(size, delete, out result),
            _ => land.TryFindLargest(size, delete, out result),
        };

        private void Flush(ref FuzzInput input)
        {
            byte code = input.Byte();
            if (code % 8 == 0)
            {
                Expect.Rejected<ArgumentException>("FlushTo(itself)", () => land.FlushTo(land), State);
                return;
            }

            var target = new TreeLand(_grain, Bounds);
            AddressRange? extra = null;
            if (code % 2 == 0)
            {
                AddressRange candidate = AnyRange(ref input);
                if (IsValid(candidate))
                {
                    target.Insert(candidate);
                    extra = candidate;
                }
            }

            if (extra is { } blocker && !AllStored(blocker, stored: false))
            {
                string targetBefore = Describe(target);
                Expect.Rejected<ArgumentException>($"FlushTo(a land holding {blocker})", () => land.FlushTo(target), State);
                FuzzCheckException.Require(Describe(target) == targetBefore, "a rejected flush changed its target");
                return;
            }

            land.FlushTo(target);
            FuzzCheckException.Require(land.RangeCount == 0 && land.TotalSize == 0, $"after a flush the land still holds {land.RangeCount} ranges, {land.TotalSize} bytes");
            if (extra is { } added)
            {
                target.Delete(added);
            }

            target.CheckInvariants();
            FuzzCheckException.Require(SameRanges(Collect(target, int.MaxValue), Runs()), "a flush moved other ranges than the land held");
            target.FlushTo(land);
        }

        private void Iterate(int limit)
        {
            List<AddressRange> runs = Runs();
            var visitor = new CollectingVisitor(limit);
            bool completed = land.Iterate(ref visitor);
            // The visitor stops the walk at its limit-th range, so a walk completes only with fewer ranges than that.
            FuzzCheckException.Require(completed == (runs.Count < limit), $"Iterate with a limit of {limit} over {runs.Count} ranges returned {completed}");
            FuzzCheckException.Require(SameRanges(visitor.Ranges, runs.Take(limit).ToList()), $"Iterate with a limit of {limit} visited other ranges");
        }

        private void Grow()
        {
            if (memory is null || !memory.TryGrow(1, out _))
            {
                return;
            }

            var stored = new bool[Bounds.Size / _grain];
            _stored.CopyTo(stored, 0);
            _stored = stored;
        }

        private void Check()
        {
            land.CheckInvariants();
            List<AddressRange> runs = Runs();
            FuzzCheckException.Require(SameRanges(Collect(land, int.MaxValue), runs), $"the land holds other ranges than the model:\nland  {State()}\nmodel {string.Join(' ', runs)}");
            FuzzCheckException.Require(land.RangeCount == runs.Count, $"RangeCount {land.RangeCount}, model {runs.Count}");
            FuzzCheckException.Require(land.TotalSize == runs.Sum(run => run.Size), $"TotalSize {land.TotalSize}, model {runs.Sum(run => run.Size)}");
            if (land is FreeListLand list && runs.Count > 0)
            {
                FuzzCheckException.Require(list.MaxSizeHint >= runs.Max(run => run.Size), $"MaxSizeHint {list.MaxSizeHint} below the largest range");
            }

            if (memory is not null)
            {
                // Every byte outside the land is the client's: the land must not have written there.
                for (long unit = 0; unit < _stored.Length;)
                {
                    long first = unit;
                    while (unit < _stored.Length && !_stored[unit])
                    {
                        unit++;
                    }

                    if (unit > first)
                    {
                        int start = (int)(first * _grain);
                        int length = (int)((unit - first) * _grain);
                        int same = memory.GetSpan(start, length).CommonPrefixLength(_written.AsSpan(start, length));
                        FuzzCheckException.Require(same == length, $"the client byte at {start + same} changed");
                    }

                    unit++;
                }
            }
        }

        private List<AddressRange> Runs()
        {
            var runs = new List<AddressRange>();
            for (long unit = 0; unit < _stored.Length; unit++)
            {
                if (!_stored[unit])
                {
                    continue;
                }

                long first = unit;
                while (unit < _stored.Length && _stored[unit])
                {
                    unit++;
                }

                runs.Add(new AddressRange(Bounds.Start + (first * _grain), (unit - first) * _grain));
            }

            return runs;
        }

        private string State() => Describe(land);

        private static string Describe(ILand described) =>
            string.Create(CultureInfo.InvariantCulture, $"{described.RangeCount} ranges, {described.TotalSize} bytes: ") + string.Join(' ', Collect(described, int.MaxValue));

        private static List<AddressRange> Collect(ILand source, int limit)
        {
            var visitor = new CollectingVisitor(limit);
            source.Iterate(ref visitor);
            return visitor.Ranges;
        }

        private static bool SameRanges(List<AddressRange> actual, List<AddressRange> expected) => actual.SequenceEqual(expected);
    }

    private struct CollectingVisitor(int limit) : ILandVisitor
    {
        public List<AddressRange> Ranges { get; } = [];

        public readonly bool Visit(AddressRange range)
        {
            Ranges.Add(range);
            return Ranges.Count < limit;
        }
    }
}
