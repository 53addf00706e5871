using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Veralloc.Allocators.Memory;

/// <summary>
/// A linear memory over native memory: the whole limit of <c>maxPages</c> pages is reserved up front in
/// one 64 KiB-aligned block, so <see cref="BasePointer"/> never moves and pointers derived from offsets
/// stay valid for the memory's lifetime. Growing commits more of the reservation (bookkeeping plus
/// zeroing the new pages, as WebAssembly does) and fails once the reservation is full.
/// </summary>
/// <remarks>
/// <para>
/// Lifetime is explicit: the reservation is freed by <see cref="Dispose"/> and by nothing else. There is no
/// finalizer, because spans and pointers into native memory are invisible to the garbage collector: a
/// finalizer would free the reservation as soon as this object became unreachable, while a span the caller
/// still holds points into it. So a span or pointer stays valid until <see cref="Dispose"/>, whatever the
/// collector does, and a memory that is never disposed is never freed (the reservation stays until the
/// process exits, as with <see cref="NativeMemory.Alloc(nuint)"/>): dispose it, with <c>using</c>, once no span
/// is in use. Using a span after <see cref="Dispose"/> is the caller's error, as with any
/// <see cref="System.Buffers.IMemoryOwner{T}"/>; a caller that cannot keep that discipline should use
/// <see cref="SlabLinearMemory"/>, whose spans keep their bytes alive
/// (docs/design-notes/0005-native-memory-lifetime.md).
/// </para>
/// <para>Not thread-safe. Every member throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</para>
/// </remarks>
public sealed unsafe class NativeLinearMemory : ILinearMemory, IDisposable
{
    private readonly int _maxPages;
    private byte* _base;
    private int _pageCount;

    /// <summary>Reserves <paramref name="maxPages"/> pages; <paramref name="initialPages"/> of them are present (zeroed) from the start.</summary>
    /// <param name="maxPages">The reservation in pages: growth beyond it fails. At least 0 and at most <see cref="MaxReservationPages"/>.</param>
    /// <param name="initialPages">Pages present from the start; at most <paramref name="maxPages"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A page count is out of range.</exception>
    /// <exception cref="OutOfMemoryException">The process cannot reserve that much native memory.</exception>
    public NativeLinearMemory(int maxPages, int initialPages = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPages, MaxReservationPages);
        ArgumentOutOfRangeException.ThrowIfNegative(initialPages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(initialPages, maxPages);

        // A zero-page reservation still gets one page so that BasePointer is a real, aligned address.
        nuint reservationBytes = (nuint)Math.Max(maxPages, 1) * LinearMemory.PageBytes;
        _base = (byte*)NativeMemory.AlignedAlloc(reservationBytes, LinearMemory.PageBytes);
        _maxPages = maxPages;
        NativeMemory.Clear(_base, (nuint)initialPages * LinearMemory.PageBytes);
        _pageCount = initialPages;
    }

    /// <summary>The largest reservation this type accepts, in pages: 4 GiB, the 32-bit WebAssembly limit.</summary>
    public const int MaxReservationPages = 64 * 1024;

    /// <summary>The reservation in pages: growth beyond it fails.</summary>
    public int MaxPages
    {
        get
        {
            ThrowIfDisposed();
            return _maxPages;
        }
    }

    /// <summary>The address of offset 0; 64 KiB-aligned and stable until <see cref="Dispose"/> (never freed before it).</summary>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public byte* BasePointer
    {
        get
        {
            ThrowIfDisposed();
            return _base;
        }
    }

    /// <summary>The address of offset 0 as an integer; see <see cref="BasePointer"/>.</summary>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public nint BaseAddress => (nint)BasePointer;

    /// <inheritdoc />
    public int PageCount
    {
        get
        {
            ThrowIfDisposed();
            return _pageCount;
        }
    }

    /// <inheritdoc />
    public long SizeBytes => (long)PageCount * LinearMemory.PageBytes;

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public bool TryGrow(int pages, out int previousPageCount)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(pages);
        if (pages > _maxPages - _pageCount)
        {
            previousPageCount = 0;
            return false;
        }

        previousPageCount = _pageCount;
        NativeMemory.Clear(_base + ((long)_pageCount * LinearMemory.PageBytes), (nuint)pages * LinearMemory.PageBytes);
        _pageCount += pages;
        return true;
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public Span<byte> GetSpan(long offset, int length)
    {
        ThrowIfDisposed();
        LinearMemory.CheckRange(offset, length, (long)_pageCount * LinearMemory.PageBytes);
        return new Span<byte>(_base + offset, length);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The word is misaligned or not inside the memory.</exception>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public long ReadWord(long offset)
    {
        ThrowIfDisposed();
        LinearMemory.CheckWord(offset, (long)_pageCount * LinearMemory.PageBytes);
        return BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(_base + offset, LinearMemory.WordBytes));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">The word is misaligned or not inside the memory.</exception>
    /// <exception cref="ObjectDisposedException">The memory was disposed.</exception>
    public void WriteWord(long offset, long value)
    {
        ThrowIfDisposed();
        LinearMemory.CheckWord(offset, (long)_pageCount * LinearMemory.PageBytes);
        BinaryPrimitives.WriteInt64LittleEndian(new Span<byte>(_base + offset, LinearMemory.WordBytes), value);
    }

    /// <summary>Frees the reservation: every span and pointer obtained from this memory is invalid from now on. Idempotent.</summary>
    public void Dispose()
    {
        if (_base != null)
        {
            NativeMemory.AlignedFree(_base);
            _base = null;
            _pageCount = 0;
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_base == null, this);
}
