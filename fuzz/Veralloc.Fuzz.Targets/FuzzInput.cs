namespace Veralloc.Fuzz;

/// <summary>
/// Reads fuzz input as a stream of small numbers. When the bytes run out every read returns zero and
/// <see cref="IsExhausted"/> turns true, so a decoder never fails on short input: it stops at its next operation.
/// </summary>
public ref struct FuzzInput
{
    private readonly ReadOnlySpan<byte> _bytes;
    private int _position;

    /// <summary>Starts reading at the first byte of <paramref name="bytes"/>.</summary>
    /// <param name="bytes">The fuzz input.</param>
    public FuzzInput(ReadOnlySpan<byte> bytes)
    {
        _bytes = bytes;
    }

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool IsExhausted => _position >= _bytes.Length;

    /// <summary>The next byte, or zero past the end.</summary>
    /// <returns>A value in 0..255.</returns>
    public byte Byte() => _position < _bytes.Length ? _bytes[_position++] : (byte)0;

    /// <summary>The next two bytes, little-endian.</summary>
    /// <returns>A value in 0..65535.</returns>
    public int UInt16() => Byte() | (Byte() << 8);

    /// <summary>A value below <paramref name="bound"/> from the next two bytes.</summary>
    /// <param name="bound">A positive bound, at most 65,536 for an even spread.</param>
    /// <returns>A value in 0..bound-1.</returns>
    public int Below(int bound) => UInt16() % bound;
}
