using System.Runtime.InteropServices;

namespace Veralloc.Systematic;

/// <summary>
/// Pins the calling thread to one CPU and restores it, through Linux's <c>sched_setaffinity</c>; a no-op that reports
/// false elsewhere. Used by <see cref="HandoffMode.SingleCore"/> (docs/design-notes/0086-handoff-under-load.md).
/// </summary>
internal static partial class CpuAffinity
{
    // cpu_set_t as glibc defines it: 1,024 bits.
    private const int MaskWords = 16;
    private static readonly bool s_supported = OperatingSystem.IsLinux() && Probe();

    public static bool IsSupported => s_supported;

    /// <summary>The CPU the calling thread runs on now, or -1 when unknown.</summary>
    public static int CurrentCpu()
    {
        if (!s_supported)
        {
            return -1;
        }

        try
        {
            return sched_getcpu();
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>The calling thread's affinity mask, to restore later; null when unsupported.</summary>
    public static ulong[]? Capture()
    {
        if (!s_supported)
        {
            return null;
        }

        var mask = new ulong[MaskWords];
        return sched_getaffinity(0, MaskWords * sizeof(ulong), mask) == 0 ? mask : null;
    }

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false when that is not possible.</summary>
    public static bool PinCurrentThread(int cpu)
    {
        if (!s_supported || cpu < 0 || cpu >= MaskWords * 64)
        {
            return false;
        }

        var mask = new ulong[MaskWords];
        mask[cpu / 64] = 1UL << (cpu % 64);
        return sched_setaffinity(0, MaskWords * sizeof(ulong), mask) == 0;
    }

    /// <summary>Restores a mask from <see cref="Capture"/>.</summary>
    public static void Restore(ulong[]? mask)
    {
        if (s_supported && mask is not null)
        {
            _ = sched_setaffinity(0, MaskWords * sizeof(ulong), mask);
        }
    }

    private static bool Probe()
    {
        try
        {
            var mask = new ulong[MaskWords];
            return sched_getaffinity(0, MaskWords * sizeof(ulong), mask) == 0 && sched_getcpu() >= 0;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            return false;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nint size, ulong[] mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int pid, nint size, [Out] ulong[] mask);

    [LibraryImport("libc")]
    private static partial int sched_getcpu();
}
