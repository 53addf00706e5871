using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Veralloc.Bench.Traces;

namespace Veralloc.Bench.Replay;

/// <summary>
/// The C baseline: <c>bench/glibc/replay.c</c> (embedded in this assembly), built with <c>gcc -O2</c> into a cache folder
/// on first use, replays the same ops with <c>posix_memalign</c>/<c>free</c> under the same pass protocol and timing scope
/// as <see cref="AllocationReplayer"/> (docs/design-notes/0061-benchmark-method.md). Without gcc it is unavailable and the
/// reason says so; nothing else depends on it.
/// </summary>
public static class GlibcBaseline
{
    /// <summary>The name of its row in every table.</summary>
    public const string Name = "glibc";

    /// <summary>What its row says it is.</summary>
    public const string Description = "posix_memalign/free called from C (bench/glibc/replay.c, gcc -O2)";

    private const string SourceResource = "Veralloc.Bench.glibc.replay.c";
    private static readonly Lock s_buildLock = new();
    private static (string? Executable, string? Unavailable)? s_built;

    /// <summary>The C source the baseline is built from.</summary>
    public static string Source
    {
        get
        {
            using Stream stream = typeof(GlibcBaseline).Assembly.GetManifestResourceStream(SourceResource)
                ?? throw new InvalidOperationException($"The assembly lacks its embedded resource '{SourceResource}'.");
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
    }

    /// <summary>
    /// Builds the replay program once per process (and once per source version on this machine: the executable is cached
    /// under the temp folder, named by the source's hash).
    /// </summary>
    /// <param name="executable">The program, when available.</param>
    /// <param name="unavailable">Why not, when not: gcc is missing or the build failed.</param>
    /// <returns>True when the program can be run.</returns>
    public static bool TryBuild(out string executable, out string unavailable)
    {
        lock (s_buildLock)
        {
            s_built ??= Build();
            executable = s_built.Value.Executable ?? string.Empty;
            unavailable = s_built.Value.Unavailable ?? string.Empty;
            return s_built.Value.Executable is not null;
        }
    }

    /// <summary>
    /// Replays <paramref name="trace"/> in the C program: written to a temporary file in the shared format first, so a
    /// capped or generated trace replays exactly the ops the managed allocators got.
    /// </summary>
    /// <param name="trace">An allocation trace that ends empty.</param>
    /// <param name="options">Passes and warm-up; <see cref="ReplayOptions.CheckEvery"/> does not apply (glibc has no invariants to check).</param>
    /// <returns>The timings, or the failure; <see cref="ReplayResult.Failure"/> says when gcc is unavailable.</returns>
    /// <exception cref="ArgumentException">The trace is not an allocation trace ending empty.</exception>
    public static ReplayResult Run(ParsedTrace trace, ReplayOptions options)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Passes);
        if (!trace.EndsEmpty)
        {
            throw new ArgumentException($"Trace '{trace.Name}' must be an allocation trace that frees every block by its end.", nameof(trace));
        }

        if (!TryBuild(out string executable, out string unavailable))
        {
            return Unavailable(trace, unavailable);
        }

        string traceFile = Path.Combine(Path.GetTempPath(), $"veralloc-glibc-{Environment.ProcessId}-{Guid.CreateVersion7():N}.trace");
        try
        {
            WriteTrace(trace, traceFile);
            var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(traceFile);
            start.ArgumentList.Add("--passes");
            start.ArgumentList.Add(options.Passes.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("--warmup-min-ms");
            start.ArgumentList.Add(options.WarmUpMilliseconds.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("--warmup-max-ms");
            start.ArgumentList.Add(options.WarmUpCapMilliseconds.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("--steady-percent");
            start.ArgumentList.Add(((int)Math.Round(options.SteadyTolerance * 100)).ToString(CultureInfo.InvariantCulture));
            using Process child = Process.Start(start) ?? throw new InvalidOperationException($"'{executable}' did not start.");
            Task<string> errors = child.StandardError.ReadToEndAsync();
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            return Parse(trace, output, errors.Result, child.ExitCode);
        }
        finally
        {
            File.Delete(traceFile);
        }
    }

    /// <summary>Reads the replay program's output (see the header of bench/glibc/replay.c).</summary>
    /// <param name="trace">The trace it replayed.</param>
    /// <param name="output">Its standard output.</param>
    /// <param name="errors">Its standard error.</param>
    /// <param name="exitCode">Its exit code: 0 verified, 3 out of memory, anything else a failure.</param>
    /// <returns>The result as the managed replayer would report it.</returns>
    public static ReplayResult Parse(ParsedTrace trace, string output, string errors, int exitCode)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(output);
        var passes = new List<double>();
        bool verified = false;
        string? failed = null;
        long ops = -1;
        WarmUpOutcome warmUp = WarmUpOutcome.SinglePass;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(' ');
            switch (fields[0])
            {
                case "ops" when fields.Length == 2:
                    ops = long.Parse(fields[1], CultureInfo.InvariantCulture);
                    break;
                case "warmup" when fields.Length == 4:
                    double difference = double.Parse(fields[3], CultureInfo.InvariantCulture);
                    warmUp = new WarmUpOutcome(int.Parse(fields[1], CultureInfo.InvariantCulture), fields[2] == "steady",
                        difference < 0 ? double.NaN : difference / 100, 0);
                    break;
                case "pass" when fields.Length == 3:
                    passes.Add(double.Parse(fields[2], CultureInfo.InvariantCulture));
                    break;
                case "verified":
                    verified = line == "verified yes";
                    break;
                case "failed":
                    failed = line["failed ".Length..];
                    break;
            }
        }

        string? failure = exitCode != 0 || !verified ? failed ?? $"the C replay exited with {exitCode}: {errors.Trim()}"
            : ops != trace.OpCount ? $"the C replay read {ops} ops, the trace has {trace.OpCount}"
            : null;
        return new ReplayResult(Name, trace.Name, trace.OpCount, passes,
            failure is null ? AllocationReplayer.Median(passes) : double.NaN, 0, failure, OutOfMemory: exitCode == 3, WarmUp: warmUp);
    }

    /// <summary>Writes the trace's ops in the shared format.</summary>
    /// <param name="trace">An allocation trace.</param>
    /// <param name="path">The file to write.</param>
    public static void WriteTrace(ParsedTrace trace, string path)
    {
        ArgumentNullException.ThrowIfNull(trace);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
        foreach (TraceOp op in trace.Ops)
        {
            writer.Write(op.Kind == TraceOpKind.Alloc
                ? string.Create(CultureInfo.InvariantCulture, $"a {op.Id} {op.Size} {op.Alignment}\n")
                : string.Create(CultureInfo.InvariantCulture, $"f {op.Id}\n"));
        }
    }

    private static ReplayResult Unavailable(ParsedTrace trace, string reason) =>
        new(Name, trace.Name, trace.OpCount, [], double.NaN, 0, $"not measured: {reason}", Unavailable: true);

    private static (string? Executable, string? Unavailable) Build()
    {
        string? gcc = FindOnPath("gcc");
        if (gcc is null)
        {
            return (null, "gcc is not installed (install it, e.g. apt-get install gcc, for the C baseline)");
        }

        string source = Source;
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..16];
        string folder = Path.Combine(Path.GetTempPath(), "veralloc-glibc-replay", hash);
        string executable = Path.Combine(folder, "replay");
        if (File.Exists(executable))
        {
            return (executable, null);
        }

        Directory.CreateDirectory(folder);
        string sourceFile = Path.Combine(folder, "replay.c");
        string building = $"{executable}.{Environment.ProcessId}.tmp";
        File.WriteAllText(sourceFile, source);
        var start = new ProcessStartInfo(gcc) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-O2", "-std=c11", "-o", building, sourceFile })
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"'{gcc}' did not start.");
        Task<string> errors = child.StandardError.ReadToEndAsync();
        child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            return (null, $"gcc -O2 {sourceFile} failed ({child.ExitCode}): {errors.Result.Trim()}");
        }

        // Another process may have built the same source meanwhile; either copy is the same program.
        File.Move(building, executable, overwrite: true);
        return (executable, null);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
