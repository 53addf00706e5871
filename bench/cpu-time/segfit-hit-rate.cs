#:project ../Veralloc.Bench/Veralloc.Bench.csproj
// How often segregated fit's front cache serves an operation on a trace: the share of allocations taken from the
// cache and of frees that park, overall and once the build-up (the allocations before the first free) and the
// tear-down (the frees after the last allocation) are set aside, since those reach the default path by construction.
// Counts, not time: it explains where segfit-cached's time goes at large N (docs/design-notes/0052).
// usage: dotnet run bench/cpu-time/segfit-hit-rate.cs -c Release -- DEPTH TRACE [TRACE...]
using System.Globalization;
using Veralloc.Allocators.SegregatedFit;
using Veralloc.Bench.Traces;

int depth = int.Parse(args[0], CultureInfo.InvariantCulture);
foreach (string path in args[1..])
{
    ParsedTrace trace = TraceParser.ParseFile(path);
    TraceOp[] ops = trace.Ops;
    int firstFree = Array.FindIndex(ops, op => op.Kind == TraceOpKind.Free);
    int lastAlloc = Array.FindLastIndex(ops, op => op.Kind == TraceOpKind.Alloc);
    var allocator = new SegregatedFitAllocator(1L << 40, new SegregatedFitOptions { FrontCacheDepth = depth });
    var offsets = new long[trace.IdCapacity];
    long allocations = 0, hits = 0, frees = 0, parks = 0, middleAllocations = 0, middleHits = 0, middleFrees = 0, middleParks = 0;
    for (int i = 0; i < ops.Length; i++)
    {
        TraceOp op = ops[i];
        bool middle = i > firstFree && i < lastAlloc;
        int parkedBefore = allocator.FrontCachedBlockCount;
        if (op.Kind == TraceOpKind.Alloc)
        {
            if (!allocator.TryAllocate(op.Size, op.Alignment, out offsets[op.Id]))
            {
                Console.WriteLine($"{trace.Name}: out of memory at op {i}");
                return 1;
            }

            bool hit = allocator.FrontCachedBlockCount == parkedBefore - 1;
            allocations++;
            hits += hit ? 1 : 0;
            middleAllocations += middle ? 1 : 0;
            middleHits += middle && hit ? 1 : 0;
        }
        else
        {
            allocator.Free(offsets[op.Id], op.Size, op.Alignment);
            bool parked = allocator.FrontCachedBlockCount == parkedBefore + 1;
            frees++;
            parks += parked ? 1 : 0;
            middleFrees += middle ? 1 : 0;
            middleParks += middle && parked ? 1 : 0;
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{trace.Name} depth {depth}: {allocations:N0} allocations, {Percent(hits, allocations)} from the cache; {frees:N0} frees, {Percent(parks, frees)} parked. " +
        $"Between the first free and the last allocation: {Percent(middleHits, middleAllocations)} of {middleAllocations:N0} allocations from the cache, {Percent(middleParks, middleFrees)} of {middleFrees:N0} frees parked."));
}

return 0;

static string Percent(long part, long whole) => whole == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:F1} %");
