using System.Globalization;
using System.Text;

namespace Veralloc.Tests.Property.Conformance.Promela;

/// <summary>
/// Trace validation: a trace (operations, their results, the abstract state after each) becomes a Promela driver
/// that includes a model with -DDRIVER (no client or workers), runs the model's own operations in the trace's order
/// and asserts, after each, that the model returned the same result and reached the same state. SPIN then runs the
/// driver (a simulation: the driver makes no choices, so it has one path); a failed assertion means the model forbids
/// what the trace did. docs/design-notes/0033-model-code-conformance.md.
/// </summary>
/// <remarks>
/// The trace is a table of byte arrays filled in one block, and one loop runs every step, so each of the model's inlines
/// is expanded once: SPIN's parser slows down sharply with the number of inline expansions (a driver with one
/// expansion per step of 150 steps took minutes to parse).
/// </remarks>
internal static class PromelaDriver
{
    // EXPECT(what, actual, expected) prints what differs, with both values, before asserting (as INV does for ids).
    private const string Expect = """
        #define EXPECT(what, actual, expected) if :: (actual) != (expected) -> printf("MISMATCH: "); printf(what); printf(" is %d, the trace has %d\n", actual, expected) :: else -> skip fi; assert((actual) == (expected))
        #define OP_ALLOC 1
        #define OP_AFFINE 2
        #define OP_FREE 3
        #define OP_REFUSED_NOT_USED 4
        #define OP_REFUSED 5
        """;

    public static string FreeList(string title, int maxPages, IReadOnlyList<FreeListStep> steps)
    {
        const int pairs = 2 * (4 * FreeListUnderTest.ModelPageWords / FreeListUnderTest.ModelNodeWords);
        var d = new Builder(title, "freelist", [("MAXPAGES", maxPages), ("NSTEPS", Math.Max(1, steps.Count))]);
        d.Text($$"""
            byte stepOp[NSTEPS], stepA[NSTEPS], stepB[NSTEPS], stepResult[NSTEPS];
            byte expPages[NSTEPS], expFreeLen[NSTEPS], expLiveLen[NSTEPS];
            byte expFree[NSTEPS * {{pairs}}], expLive[NSTEPS * {{pairs}}];

            init {
              int i, base;
              byte j, node, req, align, off;
              d_step {
            """);
        for (int i = 0; i < steps.Count; i++)
        {
            FreeListStep step = steps[i];
            var row = new StringBuilder();
            row.Append(step.Op switch
            {
                FreeListOp.Alloc(int request, int align, var offset) => Set(i, ("stepOp", 1), ("stepA", request), ("stepB", align), ("stepResult", offset ?? 255)),
                FreeListOp.Free(int offset, int size) => Set(i, ("stepOp", 2), ("stepA", offset), ("stepB", size)),
                _ => throw new InvalidOperationException(step.Op.ToString()),
            });
            FreeListState state = step.State;
            row.Append(Set(i, ("expPages", state.Pages), ("expFreeLen", state.Free.Length), ("expLiveLen", state.Live.Length)));
            for (int n = 0; n < state.Free.Length; n++)
            {
                row.Append(Invariant($"expFree[{(i * pairs) + (2 * n)}] = {state.Free[n].Node}; expFree[{(i * pairs) + (2 * n) + 1}] = {state.Free[n].Size}; "));
            }

            for (int n = 0; n < state.Live.Length; n++)
            {
                row.Append(Invariant($"expLive[{(i * pairs) + (2 * n)}] = {state.Live[n].Offset}; expLive[{(i * pairs) + (2 * n) + 1}] = {state.Live[n].Size}; "));
            }

            d.Row(row.ToString());
        }

        d.Text($$"""
                i = 0
              };
              do
              :: i < {{steps.Count}} ->
                   printf("step %d\n", i);
                   if
                   :: stepOp[i] == 1 ->
                        req = stepA[i]; align = stepB[i];
                        allocate(req, align);
                        if :: found -> off = pos :: else -> off = NIL fi;
                        EXPECT("the offset", off, stepResult[i])
                   :: stepOp[i] == 2 ->
                        off = stepA[i];
                        EXPECT("the live size at the freed offset", live[off], stepB[i]);
                        freeLive(off)
                   fi;
                   checkInvariants(); resetScratch();
                   EXPECT("pages", pages, expPages[i]);
                   base = i * {{pairs}}; j = 0; node = head;
                   do
                   :: node != NIL && j < expFreeLen[i] && j < MAXNODES ->
                        EXPECT("a free node", node, expFree[base + 2 * j]);
                        EXPECT("its size", mem[node + 1], expFree[base + 2 * j + 1]);
                        node = mem[node]; j++
                   :: else -> break
                   od;
                   EXPECT("the free list's end (255 = the list ends here)", node, (j < expFreeLen[i] -> expFree[base + 2 * j] : NIL));
                   EXPECT("live blocks", liveCount, expLiveLen[i]);
                   j = 0;
                   do
                   :: j < expLiveLen[i] -> EXPECT("the size of a live block", live[expLive[base + 2 * j]], expLive[base + 2 * j + 1]); j++
                   :: else -> break
                   od;
            """);
        return d.EndStepLoop();
    }

    public static string Slots(string title, int capacity, int keys, int threshold, int workers, IReadOnlyList<PoolStep> steps)
    {
        var d = new Builder(title, "slots", [("CAP", capacity), ("NKEYS", keys), ("NPROC", workers), ("THRESH", threshold), ("NSTEPS", Math.Max(1, steps.Count))]);
        d.Text("""
            byte stepOp[NSTEPS], stepWorker[NSTEPS], stepKey[NSTEPS], stepSlot[NSTEPS], stepBytes[NSTEPS];
            byte expLastCold[NSTEPS], expUnusedWarm[NSTEPS], expUnusedBytes[NSTEPS], expWarmLen[NSTEPS];
            byte expKind[NSTEPS * CAP], expAff[NSTEPS * CAP], expRes[NSTEPS * CAP], expWarm[NSTEPS * CAP];
            byte expAffLen[NSTEPS * (NKEYS + 1)], expAffList[NSTEPS * (NKEYS + 1) * CAP];

            init {
              int i;
              byte j, k, n, w, mode, key, b, s, held;
              d_step {
            """);
        for (int i = 0; i < steps.Count; i++)
        {
            PoolStep step = steps[i];
            var row = new StringBuilder();
            row.Append(step.Op switch
            {
                PoolOp.Alloc(int worker, bool affine, int key, var slot) =>
                    Set(i, ("stepOp", affine ? 2 : 1), ("stepWorker", worker), ("stepKey", key), ("stepSlot", slot ?? 255)),
                PoolOp.Free(int worker, int slot, long bytes, null) => Set(i, ("stepOp", 3), ("stepWorker", worker), ("stepSlot", slot), ("stepBytes", (int)bytes)),
                // The allocator refused a double free: the model must agree the slot is not Used.
                PoolOp.Free(_, int slot, _, "not-used") when slot >= 0 && slot < capacity => Set(i, ("stepOp", 4), ("stepSlot", slot)),
                // An argument the model does not represent (id out of range, negative or overflowing bytes): the model
                // has no such call; the state expectations check that the refusal changed nothing.
                PoolOp.Free => Set(i, ("stepOp", 5)),
                _ => throw new InvalidOperationException(step.Op.ToString()),
            });
            PoolState state = step.State;
            row.Append(Set(i, ("expLastCold", state.LastCold), ("expUnusedWarm", state.UnusedWarm), ("expUnusedBytes", state.UnusedBytes), ("expWarmLen", state.Warm.Length)));
            for (int slot = 0; slot < capacity; slot++)
            {
                int at = (i * capacity) + slot;
                row.Append(Invariant($"expKind[{at}] = {state.Slots[slot].Kind}; expAff[{at}] = {state.Slots[slot].Key}; expRes[{at}] = {state.Slots[slot].Resident}; "));
            }

            for (int n = 0; n < state.Warm.Length; n++)
            {
                row.Append(Invariant($"expWarm[{(i * capacity) + n}] = {state.Warm[n]}; "));
            }

            foreach ((int key, int[] members) in state.Affine)
            {
                row.Append(Invariant($"expAffLen[{(i * (keys + 1)) + key}] = {members.Length}; "));
                for (int n = 0; n < members.Length; n++)
                {
                    row.Append(Invariant($"expAffList[{(((i * (keys + 1)) + key) * capacity) + n}] = {members[n]}; "));
                }
            }

            d.Row(row.ToString());
        }

        d.Text($$"""
                i = 0
              };
              initPool();
              do
              :: i < {{steps.Count}} ->
                   printf("step %d\n", i);
                   w = stepWorker[i]; key = stepKey[i]; b = stepBytes[i];
                   if
                   :: stepOp[i] == OP_ALLOC || stepOp[i] == OP_AFFINE ->
                        mode = (stepOp[i] == OP_ALLOC -> M_ALLOC : M_AFFINE);
                        decide(mode, key, s);
                        EXPECT("the slot handed out (255 = none)", s, stepSlot[i]);
                        act(w, mode, key, s, 0, held)
                   :: stepOp[i] == OP_FREE ->
                        s = stepSlot[i]; mode = M_FREE;
                        act(w, mode, key, s, b, held)
                   :: stepOp[i] == OP_REFUSED_NOT_USED -> EXPECT("the refused slot is Used (0 = no)", kind[stepSlot[i]] == USED, 0)
                   :: stepOp[i] == OP_REFUSED -> skip
                   fi;
                   EXPECT("lastCold", lastCold, expLastCold[i]);
                   EXPECT("unusedWarm", unusedWarm, expUnusedWarm[i]);
                   EXPECT("unusedBytes", unusedBytes, expUnusedBytes[i]);
                   j = 0;
                   do
                   :: j < CAP ->
                        EXPECT("a slot's kind (0 cold, 1 warm, 2 used)", kind[j], expKind[i * CAP + j]);
                        EXPECT("a slot's key", aff[j], expAff[i * CAP + j]);
                        EXPECT("a slot's resident bytes", res[j], expRes[i * CAP + j]);
                        j++
                   :: else -> break
                   od;
                   j = 0; s = warmHead;
                   do
                   :: s != NIL && j < expWarmLen[i] && j < CAP -> EXPECT("a warm list member", s, expWarm[i * CAP + j]); s = warmNext[s]; j++
                   :: else -> break
                   od;
                   EXPECT("the warm list's length", j, expWarmLen[i]);
                   EXPECT("the warm list's end (255 = the list ends here)", s, NIL);
                   k = 1;
                   do
                   :: k <= NKEYS ->
                        n = expAffLen[i * (NKEYS + 1) + k];
                        EXPECT("the key is in the affine map (0 = no)", affPresent[k], n > 0);
                        j = 0; s = affHead[k];
                        do
                        :: s != NIL && j < n && j < CAP -> EXPECT("an affine list member", s, expAffList[(i * (NKEYS + 1) + k) * CAP + j]); s = affNext[s]; j++
                        :: else -> break
                        od;
                        EXPECT("an affine list's length", j, n);
                        EXPECT("an affine list's end (255 = the list ends here)", s, NIL);
                        k++
                   :: else -> break
                   od;
            """);
        return d.EndStepLoop();
    }

    /// <summary>Runs a driver with SPIN next to a copy of its model; the folder is kept (and named) when the model disagrees.</summary>
    public static ModelVerdict Check(string model, string driver, string name, Func<int, string> describeStep)
    {
        string folder = Path.Combine(Path.GetTempPath(), "veralloc-conformance", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(RepositoryFiles.Models, model + ".pml"), Path.Combine(folder, model + ".pml"));
        File.WriteAllText(Path.Combine(folder, "driver.pml"), driver);
        (int exitCode, string output) = SpinTool.Run(folder, ["-T", "driver.pml"], TimeSpan.FromSeconds(60));
        string[] lines = output.Split('\n', StringSplitOptions.TrimEntries);
        bool agreed = exitCode == 0 && lines.Contains("agreed") && !lines.Any(line => line.Contains("Error", StringComparison.Ordinal));
        if (agreed)
        {
            Directory.Delete(folder, recursive: true);
            return new ModelVerdict(true, null, null, output, null);
        }

        string? step = lines.LastOrDefault(line => line.StartsWith("step ", StringComparison.Ordinal));
        if (step is not null && int.TryParse(step["step ".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
        {
            step = $"step {index} ({describeStep(index)})";
        }

        string violation = lines.FirstOrDefault(line => line.Contains("VIOLATED: ", StringComparison.Ordinal) || line.StartsWith("MISMATCH: ", StringComparison.Ordinal))
            ?? lines.FirstOrDefault(line => line.Contains("rror", StringComparison.Ordinal))
            ?? $"spin exited with {exitCode} without finishing the driver";
        return new ModelVerdict(false, step, violation, output, Path.Combine(folder, "driver.pml"));
    }

    private static string Set(int step, params (string Array, int Value)[] cells) =>
        string.Concat(cells.Select(cell => Invariant($"{cell.Array}[{step}] = {cell.Value}; ")));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class Builder
    {
        private readonly StringBuilder _text = new();

        public Builder(string title, string model, (string Name, int Value)[] defines)
        {
            _text.Append("/* ").Append(title).Append(" -- generated by tests/property/Conformance (docs/design-notes/0033); run: spin -T driver.pml */\n");
            _text.Append("#define DRIVER\n");
            foreach ((string name, int value) in defines)
            {
                _text.Append(Invariant($"#define {name} {value}\n"));
            }

            _text.Append("#include \"").Append(model).Append(".pml\"\n").Append(Expect).Append("\n\n");
        }

        public void Text(string text) => _text.Append(text).Append('\n');

        public void Row(string assignments) => _text.Append("    ").Append(assignments.TrimEnd()).Append('\n');

        /// <summary>Closes the loop over the steps that every driver's body is, and the driver; "agreed" says it ran to the end.</summary>
        public string EndStepLoop()
        {
            _text.Append("""
                       i++
                  :: else -> break
                  od;
                  printf("agreed\n")
                }

                """);
            return _text.ToString();
        }
    }
}

/// <summary>What SPIN said about a driver: the model agreed with every step, or the step and the assertion that failed.</summary>
internal sealed record ModelVerdict(bool Agreed, string? Step, string? Violation, string Output, string? DriverPath)
{
    public override string ToString() => Agreed ? "the model agreed with every step" : $"the model disagreed at {Step ?? "the start"}: {Violation} (driver: {DriverPath})";
}
