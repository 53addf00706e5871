using System.Globalization;
using System.Text;
using Veralloc.Invariants;
using Veralloc.Tests.Property.FreeList;
using Veralloc.Tests.Property.Slots;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// The two directions of model ↔ code conformance (docs/design-notes/0033-model-code-conformance.md):
/// <see cref="ReplayFreeList"/> and <see cref="ReplaySlots"/> run a model's sequence on a C# build and compare after
/// every step; <see cref="RecordFreeList"/> and <see cref="RecordSlots"/> run a C# property-test scenario on a build
/// and record it in the model's terms, for <see cref="PromelaDriver"/> to check against the model.
/// </summary>
internal static class Conformance
{
    /// <summary>Replays a model sequence on the C# free list; null when every result and state agrees, else the report.</summary>
    public static ReplayDifference? ReplayFreeList(AllocatorBuild build, CorpusFile file, CorpusSequence sequence)
    {
        var code = new FreeListUnderTest(build, file.Defines["MAXPAGES"]);
        return Replay(build, "freelist", file, sequence, sequence.FreeListSteps(), (step, index) =>
        {
            switch (step.Op)
            {
                case FreeListOp.Alloc(int request, int align, var offset):
                    // The slack varies the byte size inside the model word, so the code's own rounding is exercised.
                    int? got = code.Allocate(request, align, slack: index % 16);
                    if (got != offset)
                    {
                        return ("result", $"the allocator returned {Show(got)}, the model {Show(offset)}");
                    }

                    break;
                case FreeListOp.Free(int offset, int size):
                    code.Free(offset, size);
                    break;
            }

            code.CheckInvariants();
            FreeListState actual = code.Abstract();
            return actual.Equals(step.State) ? null : ("state", $"allocator {actual}\n    model     {step.State}");
        });
    }

    /// <summary>Replays a model sequence on the C# slot allocator; null when every result and state agrees, else the report.</summary>
    public static ReplayDifference? ReplaySlots(AllocatorBuild build, CorpusFile file, CorpusSequence sequence)
    {
        var code = new SlotPoolUnderTest(build, file.Defines["CAP"], file.Defines["THRESH"]);
        return Replay(build, "slots", file, sequence, sequence.PoolSteps(), (step, _) =>
        {
            switch (step.Op)
            {
                case PoolOp.Alloc(_, bool affine, int key, var slot):
                    int? got = code.Allocate(key, affine);
                    if (got != slot)
                    {
                        return ("result", $"the allocator handed out {Show(got)}, the model {Show(slot)}");
                    }

                    break;
                case PoolOp.Free(_, int slot, long units, _):
                    if (code.Free(slot, units * SlotPoolUnderTest.BytesPerUnit) is string rejected)
                    {
                        return ("result", $"the allocator refused the free ({rejected}), the model freed the slot");
                    }

                    break;
            }

            code.CheckInvariants();
            PoolState actual = code.Abstract();
            return actual.Equals(step.State) ? null : ("state", $"allocator {actual}\n    model     {step.State}");
        });
    }

    /// <summary>Runs a free-list property scenario on a build and records every step in the model's terms.</summary>
    /// <exception cref="ConformanceException">The scenario left the abstraction's domain (a generator outside it).</exception>
    public static IReadOnlyList<FreeListStep> RecordFreeList(AllocatorBuild build, Scenario scenario)
    {
        var code = new FreeListUnderTest(build, scenario.MaxPages);
        var steps = new List<FreeListStep>();
        FreeListState state = code.Abstract();
        foreach (Command command in scenario.Commands)
        {
            FreeListOp op;
            switch (command)
            {
                case Command.Allocate(long size, long alignment):
                    long? offset = code.AllocateBytes(size, alignment);
                    op = new FreeListOp.Alloc(FreeListUnderTest.RequestWords(size), FreeListUnderTest.AlignWords(alignment),
                        offset is long o ? FreeListUnderTest.Words(o, "offset") : null);
                    break;
                case Command.Free(int index) when code.LiveOffsets.Count > 0:
                    long victim = code.LiveOffsets[index % code.LiveOffsets.Count];
                    int offsetWords = FreeListUnderTest.Words(victim, "offset");
                    int sizeWords = state.Live.Single(live => live.Offset == offsetWords).Size;
                    code.FreeBytes(victim);
                    op = new FreeListOp.Free(offsetWords, sizeWords);
                    break;
                default:
                    continue;
            }

            code.CheckInvariants();
            state = code.Abstract();
            steps.Add(new FreeListStep(op, [], state));
        }

        return steps;
    }

    /// <summary>Runs a slot property scenario on a build and records every step in the model's terms (worker 0).</summary>
    /// <exception cref="ConformanceException">The scenario left the abstraction's domain (a generator outside it).</exception>
    public static IReadOnlyList<PoolStep> RecordSlots(AllocatorBuild build, SlotScenario scenario)
    {
        var code = new SlotPoolUnderTest(build, scenario.Capacity, scenario.Threshold);
        var steps = new List<PoolStep>();
        PoolState state = code.Abstract();
        foreach (SlotCommand command in scenario.Commands)
        {
            PoolOp op;
            switch (command.Op)
            {
                case SlotOp.Alloc:
                    int key = command.Key < 0 ? 0 : command.Key + 1;
                    op = new PoolOp.Alloc(0, false, key, code.Allocate(key, affineAndClear: false));
                    break;
                case SlotOp.AllocAffineAndClear:
                    op = new PoolOp.Alloc(0, true, command.Key + 1, code.Allocate(command.Key + 1, affineAndClear: true));
                    break;
                default:
                    int[] used = Enumerable.Range(0, state.Slots.Length).Where(slot => state.Slots[slot].Kind == ModelSlot.Used).ToArray();
                    if (command.Op == SlotOp.FreeUsed && used.Length == 0)
                    {
                        continue;
                    }

                    int victim = command.Op == SlotOp.FreeUsed ? used[command.Index % used.Length] : command.Index;
                    string? rejected = code.Free(victim, command.Bytes);
                    op = new PoolOp.Free(0, victim, rejected is null ? SlotPoolUnderTest.Units(command.Bytes, "resident bytes") : command.Bytes, rejected);
                    break;
            }

            code.CheckInvariants();
            state = code.Abstract();
            steps.Add(new PoolStep(op, [], state));
        }

        return steps;
    }

    /// <summary>
    /// Runs <paramref name="apply"/> (one step on the C#, then the comparison) over the steps; the first difference, an
    /// invariant violation or a state outside the abstraction's domain ends the replay with its report.
    /// </summary>
    private static ReplayDifference? Replay<TStep>(AllocatorBuild build, string model, CorpusFile file, CorpusSequence sequence,
        IReadOnlyList<TStep> steps, Func<TStep, int, (string Kind, string Detail)?> apply)
        where TStep : notnull
    {
        for (int i = 0; i < steps.Count; i++)
        {
            (string Kind, string Detail)? difference;
            try
            {
                difference = apply(steps[i], i);
            }
            catch (InvariantViolationException violation)
            {
                difference = ("invariant", violation.Message);
            }
            catch (ConformanceException outside)
            {
                difference = ("domain", outside.Message);
            }

            if (difference is { } found)
            {
                return new ReplayDifference(build, $"spec/promela/{model}.pml ({string.Join(' ', file.SpinDefines)})", sequence, i, found.Kind, found.Detail,
                    sequence.Lines.Take(i + 1).Select(line => line.Split(" | ")[0]).ToArray());
            }
        }

        return null;
    }

    private static string Show(int? value) => value is int v ? v.ToString(CultureInfo.InvariantCulture) : "none";
}

/// <summary>
/// Where a C# build left a model's sequence: the step, what differed (<c>result</c>, <c>state</c>, <c>invariant</c>: the
/// C# check failed, <c>domain</c>: the C# state has no model counterpart), and the operations up to there.
/// </summary>
internal sealed record ReplayDifference(AllocatorBuild Build, string Model, CorpusSequence Sequence, int Step, string Kind, string Detail, string[] Operations)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Build.Description} disagree with {Model} on {Sequence}, step {Step} ({Kind}):\n    {Detail}\n  the sequence up to there:");
        for (int i = 0; i < Operations.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n    {i,3}  {Operations[i]}");
        }

        return text.ToString();
    }
}
