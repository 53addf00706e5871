using System.CommandLine;
using System.Diagnostics;

namespace Veralloc.Cli.Commands;

/// <summary>
/// <c>veralloc traces [DIR]</c>: a convenience that runs <c>python3 shared/tools/gen_traces.py DIR</c>, looking for the
/// script in <c>shared/tools</c> and <c>../shared/tools</c> from the current folder.
/// </summary>
public static class TracesCommand
{
    public static Command Create()
    {
        var directoryArgument = new Argument<string>("dir") { Description = "Output folder.", DefaultValueFactory = _ => "traces" };
        var scriptOption = new Option<FileInfo?>("--script") { Description = "Path to gen_traces.py (default: shared/tools or ../shared/tools)." };
        var command = new Command("traces", "Generate the shared traces (lolfuzz, steady-N, slots) with python3 and gen_traces.py.")
        {
            directoryArgument, scriptOption,
        };
        command.SetAction(parseResult =>
        {
            string? script = parseResult.GetValue(scriptOption)?.FullName
                ?? new[] { "shared/tools/gen_traces.py", "../shared/tools/gen_traces.py", "../../shared/tools/gen_traces.py" }.FirstOrDefault(File.Exists);
            if (script is null || !File.Exists(script))
            {
                return CliErrors.BadArguments("gen_traces.py not found; pass --script PATH or run: python3 <shared>/tools/gen_traces.py traces");
            }

            var start = new ProcessStartInfo("python3") { UseShellExecute = false };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(parseResult.GetValue(directoryArgument)!);
            try
            {
                using Process process = Process.Start(start)!;
                process.WaitForExit();
                return process.ExitCode == 0 ? 0 : CliErrors.BadArguments($"python3 {script} exited with {process.ExitCode}.");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return CliErrors.BadArguments($"cannot start python3: {e.Message}");
            }
        });
        return command;
    }
}
