using Veralloc.Invariants;

namespace Veralloc.Tests.Unit.Invariants;

/// <summary>The violation record, its exception and the composition helpers every checker returns through.</summary>
public sealed class InvariantViolationTests
{
    private static readonly InvariantViolation Broken = new("TEST-ID", "slot 3", "the slot is lost");

    [Fact]
    public void AViolationPrintsIdSubjectAndDetail() => Assert.Equal("TEST-ID at slot 3: the slot is lost", Broken.ToString());

    [Fact]
    public void TheExceptionCarriesTheViolationAndItsText()
    {
        var error = Assert.Throws<InvariantViolationException>(Broken.Throw);
        Assert.Same(Broken, error.Violation);
        Assert.Equal("TEST-ID", error.InvariantId);
        Assert.Equal("TEST-ID at slot 3: the slot is lost", error.Message);
        Assert.Throws<ArgumentNullException>(() => new InvariantViolationException(null!));
    }

    [Fact]
    public void ThrowIfViolatedThrowsOnlyForAViolation()
    {
        Invariant.ThrowIfViolated(null);
        var error = Assert.Throws<InvariantViolationException>(() => Invariant.ThrowIfViolated(Broken));
        Assert.Same(Broken, error.Violation);
    }

    [Fact]
    public void RequireBuildsTheDetailOnlyOnFailure()
    {
        int built = 0;
        Assert.Null(Invariant.Require(true, "TEST-ID", "slot 3", () => { built++; return "unused"; }));
        Assert.Equal(0, built);
        Assert.Equal(Broken, Invariant.Require(false, "TEST-ID", "slot 3", () => { built++; return "the slot is lost"; }));
        Assert.Equal(1, built);
        Assert.Throws<ArgumentNullException>(() => Invariant.Require(true, "TEST-ID", "slot 3", null!));
    }
}
