namespace Veralloc.Systematic;

/// <summary>
/// How the engine passes control between the real threads that carry logical threads. Only one runs at a time, so
/// the cost of a hand-off is the cost of waking the next thread; see docs/design-notes/0086-handoff-under-load.md.
/// </summary>
public enum HandoffMode
{
    /// <summary>
    /// Measure both placements during the run and use the faster one, measuring again every few seconds: floating on an
    /// idle machine, one core when other processes compete for the CPUs. The default.
    /// </summary>
    Adaptive,

    /// <summary>
    /// Threads run wherever the operating system puts them and briefly spin before sleeping: fastest on an idle machine
    /// with a spare core, slow when a busy process shares the cores (a woken thread waits for a time slice).
    /// </summary>
    Floating,

    /// <summary>
    /// Every thread of the run is pinned to one CPU (Linux only; elsewhere this is <see cref="Floating"/>): a hand-off is
    /// a same-core switch, whatever the other cores are doing.
    /// </summary>
    SingleCore,
}
