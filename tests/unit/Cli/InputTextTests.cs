using Veralloc.Cli.Commands;

namespace Veralloc.Tests.Unit.Cli;

public sealed class InputTextTests
{
    [Theory]
    [InlineData("plain text, ümlauts and 🙂 stay", "plain text, ümlauts and 🙂 stay")]
    [InlineData("a\nb\rc\td", "a\\nb\\rc\\td")]
    [InlineData("\u001b[2J\u0007\u0000\u007f", "\\x1B[2J\\x07\\x00\\x7F")]
    [InlineData("c1 \u009b31m", "c1 \\x9B31m")]
    [InlineData("evil\u202Egnp.exe", "evil\\u202Egnp.exe")]
    [InlineData("\u2066isolate\u2069 \u200F", "\\u2066isolate\\u2069 \\u200F")]
    [InlineData("\uFEFFa\u2028b", "\\uFEFFa\\u2028b")]
    [InlineData("C:\\traces\\x.trace", "C:\\traces\\x.trace")]
    public void ControlAndInvisibleFormattingCharactersBecomeVisibleEscapes(string input, string expected)
    {
        Assert.Equal(expected, InputText.Escape(input));
    }

    [Fact]
    public void ALoneSurrogateIsEscapedAndAPairIsKept()
    {
        // Built in code: a lone surrogate does not survive the test runner's serialization of theory data.
        string lone = "lone " + (char)0xD800 + " then pair 🙂";

        Assert.Equal("lone \\uD800 then pair 🙂", InputText.Escape(lone));
    }

    [Fact]
    public void ALongMessageIsCutAndTheRestCounted()
    {
        string escaped = InputText.Escape(new string('x', InputText.MaxLength + 500));

        Assert.StartsWith(new string('x', InputText.MaxLength), escaped, StringComparison.Ordinal);
        Assert.EndsWith("… (500 more characters)", escaped, StringComparison.Ordinal);
    }
}
