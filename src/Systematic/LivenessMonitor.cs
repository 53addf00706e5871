using System.Globalization;

namespace Veralloc.Systematic;

/// <summary>
/// A liveness property in the style of Coyote's monitors: the program marks the monitor <em>hot</em> while something must
/// still happen (a request waits to be served) and <em>cold</em> once it has. A monitor that stays hot for more than
/// <see cref="TestOptions.LivenessTemperatureThreshold"/> scheduling points of a fair schedule, or is hot when the
/// iteration ends, is reported as <see cref="BugKind.LivenessViolation"/>.
/// </summary>
/// <remarks>
/// Only the fair phase counts (<see cref="TestOptions.FairAfterSteps"/>): under an unfair schedule a thread can be starved
/// forever by design, so a hot monitor there proves nothing. Create monitors with
/// <see cref="SystematicContext.CreateLivenessMonitor"/>; mark them from logical threads or the setup.
/// </remarks>
public sealed class LivenessMonitor
{
    private readonly Execution _execution;

    internal LivenessMonitor(Execution execution, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _execution = execution;
        Name = name;
    }

    /// <summary>The name used in reports.</summary>
    public string Name { get; }

    /// <summary>True while something the monitor watches must still happen.</summary>
    public bool IsHot { get; private set; }

    /// <summary>Why the monitor is hot, as given to <see cref="Hot"/>.</summary>
    public string? HotReason { get; private set; }

    /// <summary>The point at which the monitor last became hot.</summary>
    internal int HotSince { get; private set; }

    /// <summary>Marks the monitor hot: from now on, something must happen. Marking a hot monitor hot again keeps its start.</summary>
    /// <param name="reason">What must happen, for the report (for example <c>request 3 waits for a slot</c>).</param>
    public void Hot(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        RequireController();
        if (!IsHot)
        {
            HotSince = _execution.CurrentPoint;
        }

        IsHot = true;
        HotReason = reason;
    }

    /// <summary>Marks the monitor cold: what it waited for has happened.</summary>
    public void Cold()
    {
        RequireController();
        IsHot = false;
        HotReason = null;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({(IsHot ? "hot" : "cold")})");

    private void RequireController()
    {
        var current = Scheduler.CurrentThread;
        if (!(current is not null && current.Execution == _execution) && !_execution.InSetup)
        {
            throw new InvalidOperationException($"Liveness monitor '{Name}' can be marked only by the setup or a logical thread of its iteration.");
        }
    }
}
