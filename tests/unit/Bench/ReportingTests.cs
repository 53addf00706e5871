using System.Xml.Linq;
using Veralloc.Bench.Replay;
using Veralloc.Bench.Reporting;
using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Bench;

public sealed class ReportingTests
{
    [Fact]
    public void HeapMapSplitsFreeBytesIntoCells()
    {
        // Heap of 100 bytes in 4 cells of 25: free [0, 25) and [60, 70).
        double[] cells = HeapMap.FreeFractions(100, [new AddressRange(60, 10), new AddressRange(0, 25)], 4);

        Assert.Equal([1.0, 0.0, 10.0 / 25, 0.0], cells);
    }

    [Fact]
    public void HeapMapMarksCellsPastTheHeapAndRejectsBlocksOutsideIt()
    {
        double[] cells = HeapMap.FreeFractions(10, [new AddressRange(0, 10)], 4); // cells of 3 bytes: 3, 3, 3, 1

        Assert.Equal([1.0, 1.0, 1.0, 1.0], cells);
        Assert.True(double.IsNaN(HeapMap.FreeFractions(4, [], 8)[7]));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeapMap.FreeFractions(10, [new AddressRange(8, 4)], 2));
    }

    [Fact]
    public void LargestFreeShareIsLargestBlockOverFreeBytes()
    {
        FreeSpaceSnapshot snapshot = AllocatorRegistry.Summarize(1000, [new AddressRange(0, 100), new AddressRange(500, 300)]);

        Assert.Equal(new FreeSpaceSnapshot(1000, 400, 2, 300, TailFreeBytes: 0, LargestInteriorFreeBlockBytes: 300), snapshot);
        Assert.Equal(0.75, snapshot.LargestFreeShare);
        Assert.Equal(0.75, snapshot.InteriorLargestFreeShare);

        // A free tail [900, 1000) dominates the plain ratio but not the interior one.
        FreeSpaceSnapshot withTail = AllocatorRegistry.Summarize(1000, [new AddressRange(0, 10), new AddressRange(100, 30), new AddressRange(400, 600)]);
        Assert.Equal(600, withTail.TailFreeBytes);
        Assert.Equal(600.0 / 640, withTail.LargestFreeShare);
        Assert.Equal(30.0 / 40, withTail.InteriorLargestFreeShare);
        Assert.Equal(1.0, new FreeSpaceSnapshot(10, 0, 0, 0).LargestFreeShare);
    }

    [Fact]
    public void ScalingSvgIsWellFormedWithOneLinePerAllocatorAndHollowCappedPoints()
    {
        ScalingPoint[] points =
        [
            new("native", 100, 50, 2_000_200, false), new("native", 100_000, 80, 2_200_000, false),
            new("freelist", 100, 60, 2_000_200, false), new("freelist", 100_000, 9000, 250_000, true),
            new("segfit", 100, double.NaN, 0, false),
        ];

        XDocument svg = XDocument.Parse(ScalingReport.Svg(points, "t < u"));
        XNamespace ns = "http://www.w3.org/2000/svg";

        Assert.Equal(2, svg.Descendants(ns + "polyline").Count());
        Assert.Single(svg.Descendants(ns + "circle"), c => (string?)c.Attribute("fill") == "white" && c.Value.Contains("freelist", StringComparison.Ordinal));
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "live blocks (log scale)");
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "t < u");
    }

    [Fact]
    public void ScalingMarkdownMarksCappedAndFailedCells()
    {
        ScalingPoint[] points = [new("native", 100, 50.26, 10, false), new("freelist", 100, 70, 10, true), new("segfit", 100, double.NaN, 0, false)];
        var snapshot = new FreeSpaceSnapshot(1000, 400, 2, 300, TailFreeBytes: 0, LargestInteriorFreeBlockBytes: 300);

        string md = ScalingReport.Markdown(points, [new FragmentationPoint("freelist", snapshot, snapshot)], "vm", "2026-11-23", 3, 200_000);

        Assert.Contains("| native | 50.3 |", md, StringComparison.Ordinal);
        Assert.Contains("| freelist | 70.0 † |", md, StringComparison.Ordinal);
        Assert.Contains("| segfit | failed or out of memory |", md, StringComparison.Ordinal);
        Assert.Contains("| freelist | peak live bytes | 1,000 | 400 | 0 | 2 | 0.750 | 0.750 |", md, StringComparison.Ordinal);
        Assert.Contains("first 200,000 ops", md, StringComparison.Ordinal);
    }
}
