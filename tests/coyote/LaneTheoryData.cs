using Veralloc.CoyoteLane;

namespace Veralloc.Tests.Coyote;

/// <summary>Theory rows shared by the lane's tests.</summary>
internal static class LaneTheoryData
{
    /// <summary>Every scenario, by name, under every Coyote strategy.</summary>
    public static TheoryData<string, CoyoteStrategy> EveryStrategyOn(IEnumerable<CoyoteScenario> scenarios)
    {
        var data = new TheoryData<string, CoyoteStrategy>();
        foreach (CoyoteScenario scenario in scenarios)
        {
            foreach (CoyoteStrategy strategy in CoyoteStrategies.All)
            {
                data.Add(scenario.Name, strategy);
            }
        }

        return data;
    }
}
