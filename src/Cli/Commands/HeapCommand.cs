using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using Veralloc.Allocators.FreeList;
using Veralloc.Allocators.Memory;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Traces;
using Veralloc.Cli.Rendering;
using Veralloc.Invariants;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc heap</c>: drives the SEED §1 free list in checked mode through the lolfuzz workload, checking
/// invariants as it goes, and shows the heap at its peak, at the end of the last round's steps and at the end. Exits
/// <see cref="ExitCodes.OutOfMemory"/> when the free list refuses an allocation, <see cref="ExitCodes.BugFound"/> when an
/// invariant or the end state fails.
/// </summary>
public static class HeapCommand
{
    public static Command Create()
    {
        var traceOption = new Option<FileInfo?>("--trace") { Description = "Replay this allocation trace (e.g. traces/lolfuzz.trace) instead of generating lolfuzz in-process." };
        var roundsOption = new Option<int>("--rounds") { Description = "Rounds of the in-process lolfuzz workload.", DefaultValueFactory = _ => LolfuzzGenerator.DefaultRounds };
        var stepsOption = new Option<int>("--steps") { Description = "Steps per round of the in-process workload.", DefaultValueFactory = _ => LolfuzzGenerator.DefaultStepsPerRound };
        var seedOption = new Option<int>("--seed") { Description = "Seed of the in-process workload.", DefaultValueFactory = _ => 0 };
        var checkEveryOption = new Option<int>("--check-every") { Description = "Call CheckInvariants after every K ops; 1 checks after every op (about 5x slower: minutes for the full workload). The default keeps the full run under a minute.", DefaultValueFactory = _ => 10 };
        var columnsOption = new Option<int>("--columns") { Description = "Cells per row of the heap picture.", DefaultValueFactory = _ => 64 };
        var rowsOption = new Option<int>("--rows") { Description = "Rows of the heap picture.", DefaultValueFactory = _ => 8 };

        var command = new Command("heap", "Run the free-list allocator (checked mode) through lolfuzz with invariant checks, and draw the heap.")
        {
            traceOption, roundsOption, stepsOption, seedOption, checkEveryOption, columnsOption, rowsOption,
        };
        command.SetAction(parseResult =>
        {
            int rounds = parseResult.GetValue(roundsOption);
            int steps = parseResult.GetValue(stepsOption);
            int checkEvery = parseResult.GetValue(checkEveryOption);
            int columns = parseResult.GetValue(columnsOption);
            int rows = parseResult.GetValue(rowsOption);
            if (rounds < 1 || steps < 1 || checkEvery < 1 || columns is < 1 or > 256 || rows is < 1 or > 256)
            {
                return CliErrors.BadArguments("--rounds, --steps and --check-every must be at least 1; --columns and --rows between 1 and 256.");
            }

            if ((long)rounds * steps > LolfuzzGenerator.MaxTotalSteps)
            {
                return CliErrors.BadArguments($"--rounds {rounds} × --steps {steps} exceeds the {LolfuzzGenerator.MaxTotalSteps} steps a generated trace may take (its block ids must stay within {TraceLimits.MaxBlockId}).");
            }

            FileInfo? traceFile = parseResult.GetValue(traceOption);
            ParsedTrace? trace = traceFile is null
                ? LolfuzzGenerator.Generate(rounds, steps, parseResult.GetValue(seedOption))
                : CliErrors.LoadTrace(traceFile.FullName);
            if (trace is null)
            {
                return ExitCodes.BadInput;
            }

            if (!trace.EndsEmpty)
            {
                return CliErrors.BadArguments($"'{trace.Name}' must be an allocation trace that frees every block by its end.");
            }

            return Run(trace, checkEvery, columns, rows);
        });
        return command;
    }

    private static int Run(ParsedTrace trace, int checkEvery, int columns, int rows)
    {
        AnsiConsole.MarkupLine($"[bold]heap[/]: {Markup.Escape(InputText.Escape(trace.Name))}: {trace.OpCount:N0} ops, peak {trace.PeakLiveBlocks:N0} live blocks / {HeapPicture.Bytes(trace.PeakLiveBytes)} requested");
        AnsiConsole.MarkupLine($"free list in checked mode over a {AllocatorRegistry.ReservationPages:N0}-page native reservation; CheckInvariants after every {checkEvery} op(s) and at each picture");
        using var memory = new NativeLinearMemory(AllocatorRegistry.ReservationPages);
        var allocator = new FreeListAllocator(memory, new FreeListOptions { CheckedMode = true });
        var subject = new ReplaySubject(AllocatorRegistry.FreeList, allocator, () => AllocatorRegistry.FreeListEmptinessProblem(allocator));
        var offsets = new long[trace.IdCapacity];
        var moments = new List<(int AfterOp, string What)>
        {
            (trace.PeakLiveBytesOpIndex, "peak live bytes"),
            (trace.LastAllocOpIndex, "end of the last round's steps (before its free-all)"),
            (trace.OpCount - 1, "end (everything freed)"),
        };
        moments.Sort((a, b) => a.AfterOp.CompareTo(b.AfterOp));

        var stopwatch = Stopwatch.StartNew();
        int done = 0;
        foreach ((int afterOp, string what) in moments)
        {
            string? failure = AllocationReplayer.ReplayChecked(trace, subject, offsets, done, afterOp + 1, checkEvery, "heap");
            if (failure is not null)
            {
                return AllocationReplayer.IsOutOfMemory(failure) ? CliErrors.OutOfMemory(failure) : CliErrors.VerificationFailed(failure);
            }

            done = afterOp + 1;
            ShowMoment(allocator, trace, done, what, columns, rows);
        }

        string? endProblem = AllocationReplayer.EndStateProblem(subject, "heap");
        if (endProblem is not null)
        {
            return CliErrors.VerificationFailed(endProblem);
        }

        AnsiConsole.MarkupLine($"[green]OK[/]: {trace.OpCount:N0} ops replayed with invariants checked every {checkEvery} op(s) in {stopwatch.Elapsed.TotalSeconds:F1} s; the heap ends as one free block of {allocator.HeapBytes:N0} bytes.");
        return ExitCodes.Success;
    }

    private static void ShowMoment(FreeListAllocator allocator, ParsedTrace trace, int opsDone, string what, int columns, int rows)
    {
        IReadOnlyList<AddressRange> free = allocator.GetFreeBlocks();
        FreeSpaceSnapshot snapshot = AllocatorRegistry.Summarize(allocator.HeapBytes, free);
        string summary = $"ops {opsDone:N0} · live {HeapPicture.Bytes(allocator.LiveBytes)} · {allocator.PageCount:N0} pages = {HeapPicture.Bytes(allocator.HeapBytes)}"
            + $" · free {HeapPicture.Bytes(snapshot.FreeBytes)} in {snapshot.FreeBlocks:N0} blocks · largest {HeapPicture.Bytes(snapshot.LargestFreeBlockBytes)}"
            + $" · largest÷free {snapshot.LargestFreeShare:F3}";
        AnsiConsole.Write(new Rule($"[bold]{Markup.Escape(what)}[/]").LeftJustified());
        AnsiConsole.WriteLine(summary);
        AnsiConsole.Write(HeapPicture.Render($"heap after op #{opsDone - 1:N0}: {what}", allocator.HeapBytes, free, columns, rows));
    }
}
