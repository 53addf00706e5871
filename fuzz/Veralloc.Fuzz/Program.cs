using SharpFuzz;
using Veralloc.Fuzz;

// Usage: Veralloc.Fuzz TARGET             run under afl-fuzz (input on standard input, SharpFuzz's fork server)
//        Veralloc.Fuzz TARGET FILE...     run files once each without afl (triage); exit 1 if any fails
//        Veralloc.Fuzz --assemblies TARGET   the assemblies fuzz/run instruments for TARGET
//        Veralloc.Fuzz --list             the targets
if (args is ["--list"])
{
    foreach (FuzzTarget each in FuzzTargets.All)
    {
        Console.WriteLine($"{each.Name,-16}{each.Subject}");
    }

    return 0;
}

if (args is ["--assemblies", var name])
{
    Console.WriteLine(string.Join('\n', FuzzTargets.Get(name).InstrumentedAssemblies));
    return 0;
}

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Veralloc.Fuzz TARGET [FILE...] | --list | --assemblies TARGET");
    return 2;
}

FuzzTarget target = FuzzTargets.Get(args[0]);
if (args.Length > 1)
{
    int failures = 0;
    foreach (string file in args[1..])
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
            Console.WriteLine($"ok    {file}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failures++;
            Console.WriteLine($"FAIL  {file}\n{e}");
        }
    }

    return failures == 0 ? 0 : 1;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
});
return 0;
