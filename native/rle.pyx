# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""DICOM RLE Lossless codec (PS3.5 Annex G), one frame per call.

Layout of an encoded frame (G.5): a 64-byte header (number of segments, then 15 little-endian
unsigned 32-bit offsets, unused ones zero) followed by the segments. There is one segment per
byte plane and sample: for each sample in turn, its byte planes from the most significant to
the least significant (G.2). A segment is the PackBits coding (G.3.1) of its byte plane, row by
row (no run crosses a row), padded with one 0x00 to an even length.

Encoder (G.3.1): runs of 3 or more equal bytes become Replicate Runs; a run of 2 equal bytes is
a Replicate Run except between two Literal Runs, where the three are merged into one literal
(the standard's note; a 2-byte run followed by another 2-byte run counts as followed by a
literal). Runs longer than 128 are split into 128-byte replicate runs; a leftover single byte
starts a literal. GDCM makes almost the same choices (it ends literals a little earlier
around the 128-byte limit), so our segment payloads are the same size or smaller; GDCM however
does not pad odd-length segments, so where it gains nothing from that, ours can be one byte
per segment larger than GDCM's.

Decoder (G.4): each segment is decoded until its byte plane is full; anything after that (the
0x00 pad, odd padding written by old encoders, garbage) is ignored, and -128 (0x80) is a
no-op. Segments beyond the number the pixel description needs are ignored. Refused with
:class:`RLEError` (a ValueError): a header shorter than 64 bytes, more than 15 or fewer than the
needed segments, an offset inside the header, past the end of the data or smaller than the one
before it, a run that would write past the end of its byte plane ("overflow"), and a segment
that ends before its byte plane is full ("short" -- also a literal run whose bytes are cut
off). Every offset and length is checked before it is used; the hot loops run without the GIL.
"""

from cpython.buffer cimport (PyBUF_SIMPLE, PyBUF_WRITABLE, PyBuffer_Release,
                             PyObject_GetBuffer)
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING
from cpython.object cimport PyObject
from libc.stdint cimport uint8_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy, memset

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
    #include <emmintrin.h>
    #define RLE_SSE2 1
    #endif
    #if defined(_MSC_VER)
    #include <intrin.h>
    static __inline int rle_ctz32(uint32_t x) {
        unsigned long i; _BitScanForward(&i, x); return (int)i;
    }
    static __inline int rle_first_byte(uint64_t x) {
        unsigned long i; _BitScanForward64(&i, x); return (int)(i >> 3);
    }
    #define RLE_INLINE static __inline
    #else
    #define rle_ctz32(x) __builtin_ctz(x)
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define rle_first_byte(x) (__builtin_clzll(x) >> 3)
    #else
    #define rle_first_byte(x) (__builtin_ctzll(x) >> 3)
    #endif
    #define RLE_INLINE static inline
    #endif

    RLE_INLINE uint64_t rle_load64(const uint8_t* p) { uint64_t x; memcpy(&x, p, 8); return x; }
    /* 0x80 in each zero byte of x and nothing elsewhere (exact, unlike the usual haszero) */
    RLE_INLINE uint64_t rle_zero_bytes(uint64_t x) {
        const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
        return ~(((x & low7) + low7) | x | low7);
    }

    /* End of the run of bytes equal to r[i] that starts at i (i < n). */
    RLE_INLINE Py_ssize_t rle_run_end(const uint8_t* r, Py_ssize_t i, Py_ssize_t n) {
        const uint8_t b = r[i];
        Py_ssize_t j = i + 1;
    #ifdef RLE_SSE2
        const __m128i v = _mm_set1_epi8((char)b);
        while (j + 16 <= n) {
            int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(r + j)), v));
            if (m != 0xFFFF) return j + rle_ctz32((uint32_t)(~m) & 0xFFFFu);
            j += 16;
        }
    #else
        const uint64_t pattern = 0x0101010101010101ULL * b;
        while (j + 8 <= n) {
            uint64_t x = rle_load64(r + j) ^ pattern;
            if (x) return j + rle_first_byte(x);
            j += 8;
        }
    #endif
        while (j < n && r[j] == b) j++;
        return j;
    }

    /* Smallest q >= p with r[q] == r[q + 1] == r[q + 2] (q + 2 < n), or n. */
    RLE_INLINE Py_ssize_t rle_next_triple(const uint8_t* r, Py_ssize_t p, Py_ssize_t n) {
    #ifdef RLE_SSE2
        while (p + 18 <= n) {
            __m128i a = _mm_loadu_si128((const __m128i*)(r + p));
            __m128i b = _mm_loadu_si128((const __m128i*)(r + p + 1));
            __m128i c = _mm_loadu_si128((const __m128i*)(r + p + 2));
            int m = _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, b), _mm_cmpeq_epi8(b, c)));
            if (m) return p + rle_ctz32((uint32_t)m);
            p += 16;
        }
    #else
        while (p + 10 <= n) {
            uint64_t a = rle_load64(r + p), b = rle_load64(r + p + 1), c = rle_load64(r + p + 2);
            uint64_t z = rle_zero_bytes(a ^ b) & rle_zero_bytes(b ^ c);
            if (z) return p + rle_first_byte(z);
            p += 8;
        }
    #endif
        while (p + 2 < n) {
            if (r[p] == r[p + 1] && r[p] == r[p + 2]) return p;
            p++;
        }
        return n;
    }
    """
    Py_ssize_t rle_run_end(const uint8_t* r, Py_ssize_t i, Py_ssize_t n) nogil
    Py_ssize_t rle_next_triple(const uint8_t* r, Py_ssize_t p, Py_ssize_t n) nogil

cdef extern from "Python.h":
    int _PyBytes_Resize(PyObject** bytes, Py_ssize_t newsize) except -1
    # an owned reference we manage ourselves (_PyBytes_Resize needs the only reference)
    PyObject* new_bytes "PyBytes_FromStringAndSize" (const char* v, Py_ssize_t n) except NULL
    void Py_XDECREF(PyObject* o)


class RLEError(ValueError):
    """The data is not a valid RLE Lossless frame for the given pixel description."""


cdef enum:
    HEADER_SIZE = 64
    MAX_SEGMENTS = 15
    CHUNK = 16384          # pixels decoded per pass when the byte planes must be interleaved
    SLACK = 128            # room after each chunk buffer for the fixed-size fast copies

# decode status codes
cdef enum:
    OK = 0
    ERR_SHORT = 1
    ERR_OVERFLOW = 2
    ERR_TRUNCATED_LITERAL = 3



# ------------------------------------------------------------------------------------ helpers

cdef inline uint32_t le32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16)
            | (<uint32_t>p[3] << 24))


cdef inline void put_le32(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF
    p[2] = (v >> 16) & 0xFF
    p[3] = (v >> 24) & 0xFF


cdef int check_description(Py_ssize_t rows, Py_ssize_t columns, int spp, int bits,
                           int planar) except -1:
    if rows < 1 or columns < 1:
        raise ValueError(f"rows and columns must be positive, got {rows} x {columns}")
    if spp != 1 and spp != 3:
        raise ValueError(f"samples_per_pixel must be 1 or 3, got {spp}")
    if bits != 8 and bits != 16 and bits != 32 and bits != 64:
        raise ValueError(f"bits_allocated must be 8, 16, 32 or 64, got {bits}")
    if spp * (bits // 8) > MAX_SEGMENTS:
        raise ValueError(f"{spp} samples of {bits} bits need {spp * (bits // 8)} RLE segments, "
                         f"more than the {MAX_SEGMENTS} allowed (PS3.5 G.5)")
    if planar != 0 and planar != 1:
        raise ValueError(f"planar_configuration must be 0 or 1, got {planar}")
    return 0


cdef Py_ssize_t frame_size(Py_ssize_t rows, Py_ssize_t columns, int spp, int bits) except -1:
    size = <object>rows * columns * spp * (bits // 8)      # Python ints: no overflow
    if size > (<Py_ssize_t>1 << 40):
        raise ValueError(f"frame of {size} bytes is too large")
    return size


# ------------------------------------------------------------------------------------ decoder

ctypedef struct Segment:
    const uint8_t* src       # first byte of the segment
    Py_ssize_t n             # bytes available to the segment
    Py_ssize_t sp            # next byte to read
    Py_ssize_t todo          # bytes of the byte plane not yet claimed by a run
    Py_ssize_t pending       # bytes of a run split at a chunk boundary still to output
    int pending_literal      # the pending run is a literal (else a replicate of `value`)
    uint8_t value


cdef int segment_fill(Segment* s, uint8_t* dst, Py_ssize_t want,
                      Py_ssize_t room) noexcept nogil:
    """Decode the next ``want`` bytes of the byte plane into ``dst``. ``room`` (>= want) bytes
    may be written at ``dst``: the fast path copies a fixed 128 bytes when that fits in ``room``
    and in the source (the bytes past the run are garbage that later runs overwrite or that is
    never used). Returns OK or an error code; ``s.sp`` then points after the failing header."""
    cdef const uint8_t* src = s.src
    cdef Py_ssize_t n = s.n
    cdef Py_ssize_t sp = s.sp
    cdef Py_ssize_t todo = s.todo
    cdef Py_ssize_t dp = 0
    cdef Py_ssize_t cnt, c
    cdef uint8_t h, v

    if s.pending > 0:
        c = s.pending if s.pending < want else want
        if s.pending_literal:
            memcpy(dst, src + sp, <size_t>c)      # checked when the header was read
            sp += c
        else:
            memset(dst, s.value, <size_t>c)
        s.pending -= c
        dp = c

    while dp < want:
        if sp >= n:
            s.sp = sp
            return ERR_SHORT
        h = src[sp]
        sp += 1
        if h < 128:                               # literal run of h + 1 bytes
            cnt = <Py_ssize_t>h + 1
            if cnt > todo:
                s.sp = sp
                return ERR_OVERFLOW
            if cnt > n - sp:
                s.sp = sp
                return ERR_TRUNCATED_LITERAL
            todo -= cnt
            if cnt <= want - dp:
                if dp + 128 <= room and sp + 128 <= n:
                    memcpy(dst + dp, src + sp, 128)
                else:
                    memcpy(dst + dp, src + sp, <size_t>cnt)
                dp += cnt
                sp += cnt
            else:
                c = want - dp
                memcpy(dst + dp, src + sp, <size_t>c)
                sp += c
                dp = want
                s.pending = cnt - c
                s.pending_literal = 1
        elif h > 128:                             # replicate run of 257 - h bytes
            cnt = 257 - <Py_ssize_t>h
            if cnt > todo:
                s.sp = sp
                return ERR_OVERFLOW
            if sp >= n:
                s.sp = sp
                return ERR_SHORT
            v = src[sp]
            sp += 1
            todo -= cnt
            if cnt <= want - dp:
                if dp + 128 <= room:
                    memset(dst + dp, v, 128)
                else:
                    memset(dst + dp, v, <size_t>cnt)
                dp += cnt
            else:
                c = want - dp
                memset(dst + dp, v, <size_t>c)
                dp = want
                s.pending = cnt - c
                s.pending_literal = 0
                s.value = v
        # h == 128 (-128): no operation (G.4)
    s.sp = sp
    s.todo = todo
    return OK


cdef void combine_chunk(uint8_t** t, uint8_t* out, Py_ssize_t m, int spp, int bps,
                        Py_ssize_t sample_step, Py_ssize_t pixel_step) noexcept nogil:
    """Write ``m`` pixels from the decoded byte-plane chunks ``t`` (segment order: per sample,
    most significant byte first) to ``out`` (little-endian samples). Sample ``c`` starts at
    ``out + c * sample_step``; consecutive pixels of a sample are ``pixel_step`` bytes apart."""
    cdef Py_ssize_t i
    cdef int c, k
    cdef uint8_t* o
    cdef uint8_t* w
    cdef const uint8_t* a
    cdef const uint8_t* b
    cdef const uint8_t* d
    cdef const uint8_t* e
    if spp == 3 and bps == 1 and pixel_step == 3 and sample_step == 1:
        a = t[0]
        b = t[1]
        d = t[2]
        for i in range(m):
            out[3 * i] = a[i]
            out[3 * i + 1] = b[i]
            out[3 * i + 2] = d[i]
        return
    for c in range(spp):
        o = out + c * sample_step
        if bps == 2 and pixel_step == 2:
            a = t[2 * c]          # MSB
            b = t[2 * c + 1]      # LSB
            for i in range(m):
                o[2 * i] = b[i]
                o[2 * i + 1] = a[i]
        elif bps == 4 and pixel_step == 4:
            a = t[4 * c]
            b = t[4 * c + 1]
            d = t[4 * c + 2]
            e = t[4 * c + 3]
            for i in range(m):
                o[4 * i] = e[i]
                o[4 * i + 1] = d[i]
                o[4 * i + 2] = b[i]
                o[4 * i + 3] = a[i]
        else:
            for k in range(bps):
                a = t[c * bps + k]
                w = o + (bps - 1 - k)
                for i in range(m):
                    w[i * pixel_step] = a[i]


cdef int decode_segments(Segment* segs, int nseg, uint8_t* out, Py_ssize_t npix, int spp,
                         int bps, int planar, uint8_t* scratch, int* bad) noexcept nogil:
    """Decode all segments into the frame buffer ``out``. ``scratch`` holds nseg chunk buffers
    of CHUNK + SLACK bytes (unused when every byte plane maps to contiguous output)."""
    cdef int i, rc
    cdef Py_ssize_t p0, m
    cdef uint8_t* t[MAX_SEGMENTS]
    cdef Py_ssize_t sample_step, pixel_step
    if bps == 1 and (spp == 1 or planar == 1):
        # each byte plane is a contiguous part of the output: decode straight into it
        for i in range(nseg):
            rc = segment_fill(&segs[i], out + i * npix, npix, npix)
            if rc != OK:
                bad[0] = i
                return rc
        return OK
    if planar == 0:
        sample_step = bps
        pixel_step = spp * bps
    else:
        sample_step = npix * bps
        pixel_step = bps
    for i in range(nseg):
        t[i] = scratch + i * (CHUNK + SLACK)
    p0 = 0
    while p0 < npix:
        m = npix - p0
        if m > CHUNK:
            m = CHUNK
        for i in range(nseg):
            rc = segment_fill(&segs[i], t[i], m, CHUNK + SLACK)
            if rc != OK:
                bad[0] = i
                return rc
        combine_chunk(t, out + p0 * pixel_step, m, spp, bps, sample_step, pixel_step)
        p0 += m
    return OK


def decode_frame(src, Py_ssize_t rows, Py_ssize_t columns, int samples_per_pixel,
                 int bits_allocated, out=None, int planar_configuration=0):
    """Decode one RLE Lossless frame.

    Returns the frame's pixel data (native little-endian samples, interleaved when
    ``planar_configuration`` is 0, colour-by-plane when 1) as a new bytearray, or decodes into
    ``out`` (a writable contiguous buffer of exactly the frame size) and returns None. Raises
    :class:`RLEError` for invalid or unsafe data (``out`` may then be partly written)."""
    check_description(rows, columns, samples_per_pixel, bits_allocated, planar_configuration)
    cdef Py_ssize_t size = frame_size(rows, columns, samples_per_pixel, bits_allocated)
    cdef int bps = bits_allocated // 8
    cdef int needed = samples_per_pixel * bps
    cdef Py_ssize_t npix = rows * columns          # no overflow: checked by frame_size
    cdef Py_buffer sbuf
    cdef Py_buffer obuf
    cdef bint have_out = False
    cdef const uint8_t* s
    cdef Py_ssize_t n, start, end, nxt
    cdef uint32_t nseg
    cdef uint32_t offs[MAX_SEGMENTS]
    cdef Segment segs[MAX_SEGMENTS]
    cdef uint8_t* dst
    cdef uint8_t* scratch = NULL
    cdef int i, rc = OK, bad = -1
    result = None

    PyObject_GetBuffer(src, &sbuf, PyBUF_SIMPLE)
    try:
        s = <const uint8_t*>sbuf.buf
        n = sbuf.len
        if n < HEADER_SIZE:
            raise RLEError(f"RLE data of {n} bytes is shorter than the 64-byte header")
        nseg = le32(s)
        if nseg > MAX_SEGMENTS:
            raise RLEError(f"RLE header gives {nseg} segments, more than the {MAX_SEGMENTS} "
                           "allowed")
        if nseg < <uint32_t>needed:
            raise RLEError(f"RLE header gives {nseg} segments but {samples_per_pixel} sample(s) "
                           f"of {bits_allocated} bits need {needed}")
        for i in range(<int>nseg):
            offs[i] = le32(s + 4 + 4 * i)
        for i in range(needed):
            start = offs[i]
            if start < HEADER_SIZE:
                raise RLEError(f"RLE segment {i + 1} offset {start} points into the header")
            if start > n:
                raise RLEError(f"RLE segment {i + 1} offset {start} is past the end of the "
                               f"{n}-byte frame")
            if i > 0 and start < <Py_ssize_t>offs[i - 1]:
                raise RLEError(f"RLE segment {i + 1} offset {start} is before the offset of "
                               f"segment {i} ({offs[i - 1]})")
        for i in range(needed):
            start = offs[i]
            end = n
            if i + 1 < <int>nseg:
                nxt = offs[i + 1]
                # the next offset bounds this segment; an unused extra segment's offset is only
                # trusted when it is sensible
                if i + 1 < needed or (start <= nxt <= n):
                    end = nxt
            segs[i].src = s + start
            segs[i].n = end - start
            segs[i].sp = 0
            segs[i].todo = npix
            segs[i].pending = 0
            segs[i].pending_literal = 0
            segs[i].value = 0

        if out is None:
            result = PyByteArray_FromStringAndSize(NULL, size)
            dst = <uint8_t*>PyByteArray_AS_STRING(result)
        else:
            PyObject_GetBuffer(out, &obuf, PyBUF_WRITABLE)
            have_out = True
            if obuf.len != size:
                raise ValueError(f"out has {obuf.len} bytes, the frame needs {size}")
            dst = <uint8_t*>obuf.buf

        if not (bps == 1 and (samples_per_pixel == 1 or planar_configuration == 1)):
            scratch = <uint8_t*>malloc(<size_t>needed * (CHUNK + SLACK))
            if scratch == NULL:
                raise MemoryError()
        with nogil:
            rc = decode_segments(segs, needed, dst, npix, samples_per_pixel, bps,
                                 planar_configuration, scratch, &bad)
        if rc != OK:
            i = bad
            what = {ERR_SHORT: "ends before its byte plane is full",
                    ERR_OVERFLOW: "has a run that overflows its byte plane",
                    ERR_TRUNCATED_LITERAL: "has a literal run cut off by the end of the segment",
                    }[rc]
            raise RLEError(f"RLE segment {i + 1} (at offset {offs[i]}, {segs[i].n} bytes) {what} "
                           f"of {npix} bytes (error at segment byte {segs[i].sp})")
    finally:
        free(scratch)
        if have_out:
            PyBuffer_Release(&obuf)
        PyBuffer_Release(&sbuf)
    return result


# ------------------------------------------------------------------------------------ encoder

cdef inline Py_ssize_t put_literal(uint8_t* out, Py_ssize_t o, const uint8_t* r,
                                   Py_ssize_t length) noexcept nogil:
    """Literal runs of ``length`` bytes at ``r``. Copies in 16-byte blocks: the caller
    guarantees 15 readable bytes after r[length - 1] and 15 writable bytes after the output."""
    cdef Py_ssize_t c, k
    while length > 0:
        c = 128 if length > 128 else length
        out[o] = <uint8_t>(c - 1)
        k = 0
        while k < c:
            memcpy(out + o + 1 + k, r + k, 16)
            k += 16
        o += c + 1
        r += c
        length -= c
    return o


cdef inline Py_ssize_t put_replicate(uint8_t* out, Py_ssize_t o, uint8_t b,
                                     Py_ssize_t run) noexcept nogil:
    """Replicate runs for ``run`` bytes ``b``, a single leftover byte excepted (the caller
    makes it start a literal)."""
    while run >= 128:
        out[o] = 129                      # -127: 128 copies
        out[o + 1] = b
        o += 2
        run -= 128
    if run >= 2:
        out[o] = <uint8_t>(257 - run)     # -(run - 1)
        out[o + 1] = b
        o += 2
    return o


cdef Py_ssize_t encode_row(const uint8_t* r, Py_ssize_t n, uint8_t* out) noexcept nogil:
    """PackBits-code one row into ``out`` (room for 2 * n + 15 bytes; 15 readable bytes after
    the row); returns the bytes written.

    Runs of 3 or more are replicate runs. A run of 2 is a replicate run when no literal is
    pending (row start, or right after a replicate run) or when it is followed by a run of 3+
    or by the row end; otherwise (between literals) it is part of the literal (G.3.1 note).
    The scan therefore only stops at runs of 3 or more."""
    cdef Py_ssize_t o = 0, i = 0, lit = 0, q, e, j, run
    while True:
        # no literal pending: any run of 2 or more here is a replicate run
        while lit == i and i + 1 < n and r[i] == r[i + 1]:
            j = rle_run_end(r, i, n)
            run = j - i
            o = put_replicate(out, o, r[i], run)
            lit = j - (run & 127 == 1)        # a leftover single byte starts the literal
            i = j
        if i >= n:
            break
        # literal pending from lit: it runs up to the next run of 3+ (or the row end) ...
        q = rle_next_triple(r, i, n)
        # ... less a run of 2 just before that, which is a replicate run
        e = q
        if q - 2 >= lit and r[q - 2] == r[q - 1]:
            e = q - 2
        o = put_literal(out, o, r + lit, e - lit)
        if e < q:
            o = put_replicate(out, o, r[e], 2)
        if q >= n:
            return o
        j = rle_run_end(r, q, n)
        run = j - q
        o = put_replicate(out, o, r[q], run)
        lit = j - (run & 127 == 1)
        i = j
    return put_literal(out, o, r + lit, n - lit)


cdef inline void gather(uint8_t* d, const uint8_t* s, Py_ssize_t n,
                        Py_ssize_t step) noexcept nogil:
    """d[x] = s[x * step]; constant-stride loops the compiler can unroll or vectorise."""
    cdef Py_ssize_t x
    if step == 2:
        for x in range(n):
            d[x] = s[2 * x]
    elif step == 3:
        for x in range(n):
            d[x] = s[3 * x]
    elif step == 4:
        for x in range(n):
            d[x] = s[4 * x]
    elif step == 6:
        for x in range(n):
            d[x] = s[6 * x]
    else:
        for x in range(n):
            d[x] = s[x * step]


cdef Py_ssize_t encode_segments(const uint8_t* src, Py_ssize_t rows, Py_ssize_t columns,
                                int spp, int bps, int planar, uint8_t* out,
                                uint8_t* rowbuf, Py_ssize_t* ends) noexcept nogil:
    """Write all segments after the header; ``ends[i]`` gets the end offset of segment i.
    ``out`` has room for 64 + nseg * (2 * rows * columns + 1) + 16 bytes; ``rowbuf`` for
    columns + 16. Rows are read in place when their bytes are contiguous and 15 more bytes of
    ``src`` follow them, else copied to ``rowbuf`` first."""
    cdef Py_ssize_t npix = rows * columns
    cdef Py_ssize_t total = npix * spp * bps
    cdef Py_ssize_t o = HEADER_SIZE
    cdef Py_ssize_t sample_step, pixel_step, y, start
    cdef const uint8_t* base
    cdef const uint8_t* row
    cdef int c, k, seg = 0
    if planar == 0:
        sample_step = bps
        pixel_step = spp * bps
    else:
        sample_step = npix * bps
        pixel_step = bps
    for c in range(spp):
        for k in range(bps):
            base = src + c * sample_step + (bps - 1 - k)
            for y in range(rows):
                row = base + y * columns * pixel_step
                if pixel_step == 1:
                    start = row - src
                    if start + columns + 15 > total:
                        memcpy(rowbuf, row, <size_t>columns)
                        row = rowbuf
                else:
                    gather(rowbuf, row, columns, pixel_step)
                    row = rowbuf
                o += encode_row(row, columns, out + o)
            if o & 1:
                out[o] = 0                     # pad the segment to even length (G.3.1)
                o += 1
            ends[seg] = o
            seg += 1
    return o


def encode_frame(src, Py_ssize_t rows, Py_ssize_t columns, int samples_per_pixel,
                 int bits_allocated, int planar_configuration=0):
    """Encode one frame (native little-endian samples, interleaved when
    ``planar_configuration`` is 0, colour-by-plane when 1) as RLE Lossless; returns bytes."""
    check_description(rows, columns, samples_per_pixel, bits_allocated, planar_configuration)
    cdef Py_ssize_t size = frame_size(rows, columns, samples_per_pixel, bits_allocated)
    cdef int bps = bits_allocated // 8
    cdef int nseg = samples_per_pixel * bps
    cdef Py_ssize_t npix = rows * columns          # no overflow: checked by frame_size
    # each input byte costs at most 2 output bytes (a 1-byte literal), plus 1 pad per segment
    cdef Py_ssize_t capacity = HEADER_SIZE + nseg * (2 * npix + 1) + 16
    cdef Py_buffer sbuf
    cdef uint8_t* rowbuf = NULL
    cdef uint8_t* o
    cdef Py_ssize_t ends[MAX_SEGMENTS]
    cdef Py_ssize_t total
    cdef PyObject* raw = NULL
    cdef int i

    PyObject_GetBuffer(src, &sbuf, PyBUF_SIMPLE)
    try:
        if sbuf.len != size:
            raise ValueError(f"src has {sbuf.len} bytes, a {rows} x {columns} frame of "
                             f"{samples_per_pixel} sample(s) of {bits_allocated} bits has {size}")
        rowbuf = <uint8_t*>malloc(<size_t>columns + 16)
        if rowbuf == NULL:
            raise MemoryError()
        raw = new_bytes(NULL, capacity)
        o = <uint8_t*>PyBytes_AS_STRING(<object>raw)
        with nogil:
            total = encode_segments(<const uint8_t*>sbuf.buf, rows, columns, samples_per_pixel,
                                    bps, planar_configuration, o, rowbuf, ends)
        if nseg > 1 and ends[nseg - 2] > <Py_ssize_t>0xFFFFFFFF:
            raise RLEError("encoded frame too large for the 32-bit RLE segment offsets")
        memset(o, 0, HEADER_SIZE)
        put_le32(o, <uint32_t>nseg)
        put_le32(o + 4, HEADER_SIZE)
        for i in range(1, nseg):
            put_le32(o + 4 + 4 * i, <uint32_t>ends[i - 1])
        _PyBytes_Resize(&raw, total)      # sole reference: shrink in place (raw NULL on error)
        result = <object>raw
    finally:
        Py_XDECREF(raw)
        free(rowbuf)
        PyBuffer_Release(&sbuf)
    return result
