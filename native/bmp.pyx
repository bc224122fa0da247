# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Windows/OS/2 bitmap (BMP) header parser and pixel unpacker.

Reads the BITMAPFILEHEADER and the information header (BITMAPCOREHEADER / OS/2 1.x, 12 bytes;
OS/2 2.x, 16 or 64 bytes; BITMAPINFOHEADER, 40; BITMAPV2/V3/V4/V5INFOHEADER, 52/56/108/124),
the palette or the colour masks, and unpacks the pixels into 8-bit samples, rows top-down:

- 1/2/4/8-bit palette images (uncompressed, RLE4, RLE8) become 8-bit grey when every palette
  entry is grey (R == G == B), else interleaved RGB; an index beyond the palette is black;
- 16/24/32-bit images (uncompressed or BI_BITFIELDS / BI_ALPHABITFIELDS masks of any
  contiguous layout) become interleaved RGB; alpha is dropped.

Decisions follow Pillow's BmpImagePlugin so that both read a file the same way: a mask channel of
``n`` bits with value ``v`` becomes ``v * 255 // (2**n - 1)`` (Pillow's BGR;15 / BGR;16 unpackers),
16-bit pixels without masks are 5-5-5, 32-bit pixels without masks are B, G, R, unused; the RLE
decoder is Pillow's (runs clipped at the end of the row, absolute runs word-aligned on the file
offset, pixels a delta, end-of-line or end-of-bitmap code skips stay palette index 0). Pillow
refuses an RLE stream that ends (end-of-bitmap) before the last pixel; we keep those pixels at
index 0 and report how many there were.

Native code only: it takes a bytes-like object (the whole file) and returns plain Python values
and a bytearray. Every header field, offset and length is checked before it is used; anything
wrong raises :class:`BmpError` (:class:`BmpUnsupportedError` for valid files we do not read) with
the reason.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_FromStringAndSize
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    #include <stdint.h>
    /* Ask Linux for transparent huge pages in the 2 MiB-aligned part of a large, not yet
       touched buffer: first-touch page faults on a 100+ MB output otherwise cost more than
       unpacking it. Only a hint; nothing happens elsewhere or if it is refused. */
    static void dicomconv_bmp_advise_huge(void* p, size_t n) {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        uintptr_t a = ((uintptr_t)p + 0x1FFFFF) & ~(uintptr_t)0x1FFFFF;
        uintptr_t e = ((uintptr_t)p + n) & ~(uintptr_t)0x1FFFFF;
        if (e > a) (void)madvise((void*)a, e - a, MADV_HUGEPAGE);
    #else
        (void)p; (void)n;
    #endif
    }
    """
    void dicomconv_bmp_advise_huge(void* p, size_t n) noexcept nogil

#: Largest width or height: DICOM Rows and Columns are 16-bit (PS3.3 C.7.6.3.1).
MAX_DIMENSION = 65535
#: Largest unpacked image, in bytes (width × height × samples).
MAX_OUTPUT_BYTES = 1 << 31

cdef enum:
    _MAX_DIM = 65535
cdef int64_t _MAX_OUT = 2147483648


class BmpError(ValueError):
    """The bytes are not a BMP file we can read: the message says why."""


class BmpUnsupportedError(BmpError):
    """A well-formed BMP that uses something we do not read (embedded JPEG/PNG, OS/2 Huffman or
    RLE24 compression, CMYK, 64-bit pixels, or a size DICOM cannot hold)."""


# Compression field values (MS-WMF 2.1.1.7; OS/2 2.x reuses 3 and 4).
BI_RGB = 0
BI_RLE8 = 1
BI_RLE4 = 2
BI_BITFIELDS = 3
BI_JPEG = 4
BI_PNG = 5
BI_ALPHABITFIELDS = 6

_COMPRESSION_NAMES = {0: "BI_RGB", 1: "BI_RLE8", 2: "BI_RLE4", 3: "BI_BITFIELDS", 4: "BI_JPEG",
                      5: "BI_PNG", 6: "BI_ALPHABITFIELDS", 11: "BI_CMYK", 12: "BI_CMYKRLE8",
                      13: "BI_CMYKRLE4"}
_HEADER_NAMES = {12: "BITMAPCOREHEADER (OS/2 1.x)", 16: "OS/2 2.x BITMAPINFOHEADER2 (16 bytes)",
                 40: "BITMAPINFOHEADER", 52: "BITMAPV2INFOHEADER", 56: "BITMAPV3INFOHEADER",
                 64: "OS/2 2.x BITMAPINFOHEADER2", 108: "BITMAPV4HEADER", 124: "BITMAPV5HEADER"}

# How the pixels are stored (Hdr.kind).
cdef enum:
    K_PALETTE = 0      # 1/2/4/8-bit indices, uncompressed
    K_RLE8 = 1
    K_RLE4 = 2
    K_MASKED = 3       # 16/24/32-bit with colour masks (explicit or default)

cdef uint32_t PROFILE_LINKED = 0x4C494E4B     # 'LINK'
cdef uint32_t PROFILE_EMBEDDED = 0x4D424544   # 'MBED'


cdef struct Hdr:
    Py_ssize_t size            # file length
    int header_size
    int64_t width
    int64_t height
    bint top_down
    int planes
    int bits
    uint32_t compression
    int kind
    int64_t colors_declared    # biClrUsed (0: 2**bits)
    Py_ssize_t palette_offset
    int palette_entries
    int entry_size             # 3 (OS/2 1.x) or 4 bytes per palette entry
    bint grey                  # every palette entry has R == G == B
    bint masks_explicit        # masks came from the file (BI_BITFIELDS / BI_ALPHABITFIELDS)
    bint masks_defaulted       # BI_BITFIELDS with all-zero colour masks: defaults used (as Pillow)
    uint32_t masks[4]          # R, G, B, A
    int shifts[4]
    int widths[4]
    Py_ssize_t data_offset
    Py_ssize_t stride          # bytes per stored row (uncompressed), 0 for RLE
    Py_ssize_t data_needed     # bytes of pixel data read from data_offset (uncompressed)
    int samples                # 1 (grey) or 3 (RGB) in the output
    int32_t xppm
    int32_t yppm


cdef inline uint32_t le16(const uint8_t* p) noexcept nogil:
    return <uint32_t>p[0] | (<uint32_t>p[1] << 8)


cdef inline uint32_t le32(const uint8_t* p) noexcept nogil:
    return <uint32_t>p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef int _mask_layout(Hdr* h, int c, int bits) except -1:
    """Shift and width of mask ``c``; refuses non-contiguous masks and masks wider than a pixel."""
    cdef uint32_t m = h.masks[c]
    cdef int shift = 0, width = 0
    if m == 0:
        h.shifts[c] = 0
        h.widths[c] = 0
        return 0
    if bits < 32 and (m >> bits) != 0:
        raise BmpError(f"invalid BMP: {'RGBA'[c]} bitfield mask 0x{m:08X} has bits outside the "
                       f"{bits}-bit pixel")
    while not (m >> shift) & 1:
        shift += 1
    while shift + width < 32 and (m >> (shift + width)) & 1:
        width += 1
    if shift + width < 32 and (m >> (shift + width)) != 0:
        raise BmpError(f"invalid BMP: {'RGBA'[c]} bitfield mask 0x{m:08X} is not one contiguous run of bits")
    h.shifts[c] = shift
    h.widths[c] = width
    return 0


cdef int _parse(const uint8_t* d, Py_ssize_t n, Hdr* h) except -1:
    """Fill ``h`` from the file ``d[:n]``, checking everything against ``n``."""
    cdef const uint8_t* p
    cdef uint32_t off_bits, hs, colors
    cdef int64_t header_end, extras_end, mask_count, max_entries, in_file, room, row_bytes
    cdef int i, c
    cdef bint os2v2
    memset(h, 0, sizeof(Hdr))
    h.size = n
    if n < 18:
        raise BmpError(f"not a BMP file: only {n} bytes")
    if d[0] != 0x42 or d[1] != 0x4D:  # "BM"
        sig = bytes(d[:2])
        if sig in (b"BA", b"CI", b"CP", b"IC", b"PT"):
            raise BmpUnsupportedError(f"unsupported OS/2 bitmap file type {sig.decode()!r} (bitmap array, "
                                      "icon or pointer); only 'BM' bitmaps are read")
        raise BmpError("not a BMP file: it does not start with 'BM'")
    off_bits = le32(d + 10)
    hs = le32(d + 14)
    if hs not in (12, 16, 40, 52, 56, 64, 108, 124):
        raise BmpError(f"invalid BMP: unknown information header size {hs} (known: 12, 16, 40, 52, 56, "
                       "64, 108, 124)")
    header_end = 14 + <int64_t>hs
    if header_end > n:
        raise BmpError(f"truncated BMP: the {hs}-byte information header needs {header_end} bytes, "
                       f"the file has {n}")
    h.header_size = hs
    os2v2 = hs == 16 or hs == 64
    p = d + 14
    colors = 0
    if hs == 12:
        h.width = le16(p + 4)
        h.height = le16(p + 6)
        h.planes = le16(p + 8)
        h.bits = le16(p + 10)
        h.compression = BI_RGB
    else:
        h.width = <int32_t>le32(p + 4)
        h.height = <int32_t>le32(p + 8)
        h.planes = le16(p + 12)
        h.bits = le16(p + 14)
        if hs >= 40:
            h.compression = le32(p + 16)
            h.xppm = <int32_t>le32(p + 24)
            h.yppm = <int32_t>le32(p + 28)
            colors = le32(p + 32)
    h.colors_declared = colors

    # ---- dimensions
    if h.width <= 0:
        raise BmpError(f"invalid BMP: width {h.width}")
    if h.height == 0:
        raise BmpError("invalid BMP: height 0")
    if h.height < 0:
        h.top_down = True
        h.height = -h.height
    if h.width > _MAX_DIM or h.height > _MAX_DIM:
        raise BmpUnsupportedError(
            f"BMP of {h.width} x {h.height} pixels is too large: DICOM Rows and Columns are at most "
            f"{_MAX_DIM}")

    # ---- compression and bit depth
    cdef uint32_t comp = h.compression
    cdef int bits = h.bits
    if os2v2 and comp == 3:
        raise BmpUnsupportedError("unsupported BMP compression: OS/2 Huffman 1D")
    if os2v2 and comp == 4:
        raise BmpUnsupportedError("unsupported BMP compression: OS/2 RLE24")
    if comp == BI_JPEG or comp == BI_PNG:
        raise BmpUnsupportedError(f"unsupported BMP compression: an embedded {'JPEG' if comp == BI_JPEG else 'PNG'} "
                                  "image (BI_JPEG/BI_PNG, meant for printers)")
    if 11 <= comp <= 13:
        raise BmpUnsupportedError(f"unsupported BMP compression: CMYK ({_COMPRESSION_NAMES[comp]})")
    if comp > BI_ALPHABITFIELDS:
        raise BmpError(f"invalid BMP: unknown compression {comp}")
    if comp == BI_RGB:
        if bits == 64:
            raise BmpUnsupportedError("unsupported BMP: 64-bit pixels (fixed-point scRGB)")
        if bits not in (1, 2, 4, 8, 16, 24, 32):
            raise BmpError(f"invalid BMP: {bits} bits per pixel")
        h.kind = K_PALETTE if bits <= 8 else K_MASKED
    elif comp == BI_RLE8 or comp == BI_RLE4:
        if bits != (8 if comp == BI_RLE8 else 4):
            raise BmpError(f"invalid BMP: {_COMPRESSION_NAMES[comp]} compression with {bits} bits per pixel "
                           f"(it needs {8 if comp == BI_RLE8 else 4})")
        h.kind = K_RLE8 if comp == BI_RLE8 else K_RLE4
    else:  # BI_BITFIELDS, BI_ALPHABITFIELDS
        if bits not in (16, 24, 32):
            raise BmpError(f"invalid BMP: {_COMPRESSION_NAMES[comp]} with {bits} bits per pixel (it needs 16 or 32)")
        h.kind = K_MASKED

    # ---- colour masks
    extras_end = header_end
    if h.kind == K_MASKED:
        if comp == BI_RGB:
            if bits == 16:
                h.masks[0], h.masks[1], h.masks[2] = 0x7C00, 0x03E0, 0x001F
            else:
                h.masks[0], h.masks[1], h.masks[2] = 0xFF0000, 0x00FF00, 0x0000FF
        else:
            h.masks_explicit = True
            mask_count = 4 if comp == BI_ALPHABITFIELDS else 3
            if hs >= 52:      # BITMAPV2INFOHEADER and later hold R, G, B masks; V3 and later A too
                for i in range(3):
                    h.masks[i] = le32(p + 40 + 4 * i)
                if hs >= 56:
                    h.masks[3] = le32(p + 52)
                elif mask_count == 4:       # V2 header with BI_ALPHABITFIELDS: A follows the header
                    if header_end + 4 > n:
                        raise BmpError("truncated BMP: the alpha bitfield mask is missing")
                    h.masks[3] = le32(d + header_end)
                    extras_end = header_end + 4
            else:             # BITMAPINFOHEADER: the masks follow the header
                extras_end = header_end + 4 * mask_count
                if extras_end > n:
                    raise BmpError(f"truncated BMP: the {mask_count} bitfield masks after the header need "
                                   f"{extras_end} bytes, the file has {n}")
                for i in range(mask_count):
                    h.masks[i] = le32(d + header_end + 4 * i)
            if h.masks[0] == 0 and h.masks[1] == 0 and h.masks[2] == 0:
                h.masks_defaulted = True      # Pillow reads all-zero masks as the default layout
                if bits == 16:
                    h.masks[0], h.masks[1], h.masks[2] = 0x7C00, 0x03E0, 0x001F
                else:
                    h.masks[0], h.masks[1], h.masks[2] = 0xFF0000, 0x00FF00, 0x0000FF
        for c in range(4):
            _mask_layout(h, c, bits)
        h.samples = 3

    # ---- palette and pixel data offset
    if h.kind == K_MASKED:
        if off_bits == 0:
            h.data_offset = extras_end
        elif off_bits < header_end:
            raise BmpError(f"invalid BMP: pixel data offset {off_bits} lies inside the {hs}-byte header")
        else:
            h.data_offset = off_bits
    else:
        h.entry_size = 3 if hs == 12 else 4
        max_entries = 1 << bits
        in_file = colors if colors else max_entries
        h.palette_offset = header_end
        if off_bits == 0 or off_bits == header_end:
            # No gap for a palette: as Pillow, the pixel data follows the palette the header declares.
            if in_file > 65536 or header_end + in_file * h.entry_size > n:
                raise BmpError(f"invalid BMP: a palette of {in_file} entries does not fit in the file")
            h.data_offset = header_end + in_file * h.entry_size
            h.palette_entries = min(in_file, max_entries)
        else:
            if off_bits < header_end:
                raise BmpError(f"invalid BMP: pixel data offset {off_bits} lies inside the {hs}-byte header")
            h.data_offset = off_bits
            # The palette ends where the pixel data starts (OS/2 files with short palettes; files
            # whose colour count is absurd); only the first 2**bits entries can be indexed.
            room = (min(<int64_t>off_bits, <int64_t>n) - header_end) // h.entry_size
            h.palette_entries = min(min(in_file, max_entries), room)
            if h.palette_entries <= 0:
                raise BmpError(f"invalid BMP: no room for the palette between the header and the pixel "
                               f"data at offset {off_bits}")
        h.grey = True
        for i in range(h.palette_entries):
            p = d + h.palette_offset + i * h.entry_size
            if p[0] != p[1] or p[1] != p[2]:
                h.grey = False
                break
        h.samples = 1 if h.grey else 3

    if h.data_offset > n:
        raise BmpError(f"truncated BMP: the pixel data offset {h.data_offset} is beyond the end of the "
                       f"file ({n} bytes)")
    if h.width * h.height * h.samples > _MAX_OUT:
        raise BmpUnsupportedError(f"BMP of {h.width} x {h.height} pixels is too large: "
                                  f"{h.width * h.height * h.samples} bytes unpacked (limit {_MAX_OUT})")
    if h.kind == K_PALETTE or h.kind == K_MASKED:
        h.stride = ((h.width * bits + 31) >> 5) << 2
        row_bytes = (h.width * bits + 7) >> 3
        h.data_needed = h.stride * (h.height - 1) + row_bytes     # the last row may lack its padding
        if h.data_offset + h.data_needed > n:
            raise BmpError(
                f"truncated BMP: {h.width} x {h.height} pixels of {bits} bits need {h.data_needed} bytes "
                f"from offset {h.data_offset}, only {n - h.data_offset} remain")
    return 0


cdef class _Buffer:
    """The bytes of a buffer-protocol object, held for the life of this object."""
    cdef Py_buffer view
    cdef bint held

    def __cinit__(self, data):
        # The raw buffer protocol rather than a typed memoryview: typed memoryviews make the
        # module import collections.abc, which costs a one-file CLI call several milliseconds.
        if PyObject_GetBuffer(data, &self.view, PyBUF_SIMPLE) < 0:
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__}")
        self.held = True

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)


def read_header(data):
    """Parse and check the headers of a BMP file.

    Parameters
    ----------
    data : bytes-like (bytes, bytearray, memoryview, mmap)
        The whole BMP file.

    Returns
    -------
    dict
        ``width``, ``height`` (positive), ``top_down`` (rows stored top row first: negative
        height in the file), ``bits`` (per pixel), ``planes``, ``compression`` (the field's value)
        and ``compression_name``, ``header_size`` and ``header_name``, ``palette`` (bytes of RGB
        triplets, or None above 8 bits) with ``palette_entries`` and ``colors_declared``
        (biClrUsed), ``grey`` (every palette entry has R == G == B), ``masks`` ((R, G, B, A)
        masks, default ones for uncompressed 16/24/32-bit pixels; None for palette images),
        ``mask_bits`` (bits per channel), ``masks_explicit`` (from the file), ``masks_defaulted``
        (all-zero masks in the file, read as the default), ``has_alpha`` (an alpha mask is
        given: the alpha channel will be dropped), ``data_offset``, ``stride`` (bytes per stored
        row; 0 for RLE), ``samples_per_pixel`` (1 grey or 3 RGB: what :func:`unpack` produces),
        ``pixels_per_meter`` ((x, y)), ``icc_profile`` (embedded profile bytes, or None) and
        ``icc_note`` (why a profile was not taken: linked, or out of bounds; or None).

    Raises
    ------
    BmpError, BmpUnsupportedError
        For anything we cannot read, with the reason.
    """
    cdef _Buffer buf = _Buffer(data)
    return _header_dict(<const uint8_t*>buf.view.buf, buf.view.len)


cdef object _header_dict(const uint8_t* d, Py_ssize_t n):
    cdef Hdr h
    _parse(d, n, &h)
    cdef int i
    cdef const uint8_t* e
    palette = None
    if h.kind == K_PALETTE or h.kind == K_RLE8 or h.kind == K_RLE4:
        rgb = bytearray(3 * h.palette_entries)
        for i in range(h.palette_entries):
            e = d + h.palette_offset + i * h.entry_size
            rgb[3 * i] = e[2]
            rgb[3 * i + 1] = e[1]
            rgb[3 * i + 2] = e[0]
        palette = bytes(rgb)
    masks = mask_bits = None
    if h.kind == K_MASKED:
        masks = (h.masks[0], h.masks[1], h.masks[2], h.masks[3])
        mask_bits = (h.widths[0], h.widths[1], h.widths[2], h.widths[3])

    icc = None
    icc_note = None
    cdef uint32_t cs_type, prof_off, prof_size
    cdef int64_t start
    if h.header_size == 124:
        cs_type = le32(d + 14 + 56)
        prof_off = le32(d + 14 + 112)
        prof_size = le32(d + 14 + 116)
        start = 14 + <int64_t>prof_off
        if cs_type == PROFILE_EMBEDDED:
            if prof_size == 0 or start + prof_size > n:
                icc_note = (f"the embedded ICC profile ({prof_size} bytes at header offset {prof_off}) lies "
                            f"outside the file: ignored")
            elif prof_size < 132 or d[start + 36] != 0x61 or d[start + 37] != 0x63 or d[start + 38] != 0x73 \
                    or d[start + 39] != 0x70:   # "acsp" signature (ICC.1 7.2.9)
                icc_note = "the embedded ICC profile is not a valid ICC profile (no 'acsp' signature): ignored"
            else:
                icc = PyBytes_FromStringAndSize(<const char*>d + start, prof_size)
        elif cs_type == PROFILE_LINKED:
            name = b""
            if prof_size and start + prof_size <= n:
                name = bytes(d[start:start + min(<int64_t>prof_size, 260)]).split(b"\0")[0]
            icc_note = (f"the BMP links to an external ICC profile file {name.decode('cp1252', 'replace')!r} "
                        "instead of embedding one: ignored")

    return {
        "width": h.width,
        "height": h.height,
        "top_down": bool(h.top_down),
        "bits": h.bits,
        "planes": h.planes,
        "compression": h.compression,
        "compression_name": _COMPRESSION_NAMES.get(h.compression, str(h.compression)),
        "header_size": h.header_size,
        "header_name": _HEADER_NAMES[h.header_size],
        "palette": palette,
        "palette_entries": h.palette_entries,
        "colors_declared": h.colors_declared,
        "grey": bool(h.grey),
        "masks": masks,
        "mask_bits": mask_bits,
        "masks_explicit": bool(h.masks_explicit),
        "masks_defaulted": bool(h.masks_defaulted),
        "has_alpha": h.kind == K_MASKED and h.masks[3] != 0,
        "data_offset": h.data_offset,
        "stride": h.stride,
        "samples_per_pixel": h.samples,
        "pixels_per_meter": (h.xppm, h.yppm),
        "icc_profile": icc,
        "icc_note": icc_note,
    }


# ------------------------------------------------------------------------------ unpacking

cdef inline void _put(uint8_t* o, Py_ssize_t x, const uint8_t* lut, unsigned int v, int samples) noexcept nogil:
    cdef const uint8_t* e
    if samples == 1:
        o[x] = lut[v]
    else:
        e = lut + 3 * v
        o += 3 * x
        o[0] = e[0]
        o[1] = e[1]
        o[2] = e[2]


cdef void _unpack_indices(const uint8_t* base, Py_ssize_t stride, Py_ssize_t w, Py_ssize_t hgt,
                          bint top_down, int bits, const uint8_t* lut, int samples,
                          uint8_t* out) noexcept nogil:
    """Uncompressed 1/2/4/8-bit indices → grey or RGB through ``lut`` (256 entries of
    ``samples`` bytes). One loop per depth and sample count, so the shifts are constants."""
    cdef Py_ssize_t y, x
    cdef const uint8_t* s
    cdef uint8_t* o
    for y in range(hgt):
        s = base + stride * (y if top_down else hgt - 1 - y)
        o = out + y * w * samples
        if samples == 1:
            if bits == 8:
                for x in range(w):
                    o[x] = lut[s[x]]
            elif bits == 4:
                for x in range(w):
                    o[x] = lut[(s[x >> 1] >> (4 - 4 * (x & 1))) & 15]
            elif bits == 2:
                for x in range(w):
                    o[x] = lut[(s[x >> 2] >> (6 - 2 * (x & 3))) & 3]
            else:
                for x in range(w):
                    o[x] = lut[(s[x >> 3] >> (7 - (x & 7))) & 1]
        else:
            if bits == 8:
                for x in range(w):
                    _put(o, x, lut, s[x], 3)
            elif bits == 4:
                for x in range(w):
                    _put(o, x, lut, (s[x >> 1] >> (4 - 4 * (x & 1))) & 15, 3)
            elif bits == 2:
                for x in range(w):
                    _put(o, x, lut, (s[x >> 2] >> (6 - 2 * (x & 3))) & 3, 3)
            else:
                for x in range(w):
                    _put(o, x, lut, (s[x >> 3] >> (7 - (x & 7))) & 1, 3)


cdef void _unpack_bytes(const uint8_t* base, Py_ssize_t stride, Py_ssize_t w, Py_ssize_t hgt,
                        bint top_down, int bpp, int ro, int go, int bo, uint8_t* out) noexcept nogil:
    """24/32-bit pixels whose R, G, B masks are whole bytes: byte moves."""
    cdef Py_ssize_t y, x
    cdef const uint8_t* s
    cdef uint8_t* o
    for y in range(hgt):
        s = base + stride * (y if top_down else hgt - 1 - y)
        o = out + y * w * 3
        if bpp == 3 and ro == 2 and go == 1 and bo == 0:        # BGR
            for x in range(w):
                o[0] = s[2]
                o[1] = s[1]
                o[2] = s[0]
                o += 3
                s += 3
        elif bpp == 4 and ro == 2 and go == 1 and bo == 0:      # BGRX
            for x in range(w):
                o[0] = s[2]
                o[1] = s[1]
                o[2] = s[0]
                o += 3
                s += 4
        else:
            for x in range(w):
                o[0] = s[ro]
                o[1] = s[go]
                o[2] = s[bo]
                o += 3
                s += bpp


cdef inline uint8_t _scale(uint32_t v, int width, const uint8_t* lut) noexcept nogil:
    if width <= 16:
        return lut[v]
    return <uint8_t>((<uint64_t>v * 255) // ((<uint64_t>1 << width) - 1))


cdef void _unpack_masked(const uint8_t* base, Py_ssize_t stride, Py_ssize_t w, Py_ssize_t hgt,
                         bint top_down, int bpp, const Hdr* h, const uint8_t* luts,
                         uint8_t* out) noexcept nogil:
    """16/24/32-bit pixels with any contiguous masks: ``v * 255 // (2**n - 1)`` per channel, via
    a table for channels of up to 16 bits."""
    cdef Py_ssize_t y, x
    cdef const uint8_t* s
    cdef uint8_t* o
    cdef uint32_t px
    cdef uint32_t mr = h.masks[0] >> h.shifts[0], mg = h.masks[1] >> h.shifts[1], mb = h.masks[2] >> h.shifts[2]
    cdef int sr = h.shifts[0], sg = h.shifts[1], sb = h.shifts[2]
    cdef int wr = h.widths[0], wg = h.widths[1], wb = h.widths[2]
    cdef const uint8_t* lr = luts
    cdef const uint8_t* lg = luts + 65536
    cdef const uint8_t* lb = luts + 2 * 65536
    for y in range(hgt):
        s = base + stride * (y if top_down else hgt - 1 - y)
        o = out + y * w * 3
        for x in range(w):
            if bpp == 2:
                px = <uint32_t>s[0] | (<uint32_t>s[1] << 8)
            elif bpp == 3:
                px = <uint32_t>s[0] | (<uint32_t>s[1] << 8) | (<uint32_t>s[2] << 16)
            else:
                px = le32(s)
            o[0] = _scale((px >> sr) & mr, wr, lr)
            o[1] = _scale((px >> sg) & mg, wg, lg)
            o[2] = _scale((px >> sb) & mb, wb, lb)
            o += 3
            s += bpp


cdef enum:
    RLE_FULL = 0
    RLE_END_OF_BITMAP = 1
    RLE_TRUNCATED = 2


cdef int _rle_decode(const uint8_t* d, Py_ssize_t n, Py_ssize_t start, uint8_t* idx, Py_ssize_t w,
                     Py_ssize_t total, bint rle4, Py_ssize_t* written, Py_ssize_t* stop) noexcept nogil:
    """Pillow's BmpRleDecoder: decode into ``idx`` (``total`` zeroed bytes, rows in file order).

    Returns RLE_FULL (every pixel position reached), RLE_END_OF_BITMAP (the end-of-bitmap code
    came first) or RLE_TRUNCATED (the data ended); ``written`` counts pixels the stream wrote,
    ``stop`` is the file offset where decoding stopped."""
    cdef Py_ssize_t p = start, pos = 0, x = 0, k, cnt, got, nbytes, i
    cdef unsigned int c, b, hi, lo
    cdef int status = RLE_FULL
    written[0] = 0
    while pos < total:
        if p + 2 > n:
            status = RLE_TRUNCATED
            break
        c = d[p]
        b = d[p + 1]
        p += 2
        if c:                                   # encoded run: c pixels of b
            k = c
            if x + k > w:                       # clipped at the end of the row
                k = w - x if w > x else 0
            if k > total - pos:
                k = total - pos
            if rle4:
                hi = b >> 4
                lo = b & 15
                for i in range(k):
                    idx[pos + i] = hi if (i & 1) == 0 else lo
            else:
                memset(idx + pos, b, <size_t>k)
            pos += k
            written[0] += k
            x += k
        elif b == 0:                            # end of line: the rest of the row stays 0
            if pos % w:
                pos += w - pos % w
            x = 0
        elif b == 1:                            # end of bitmap
            status = RLE_END_OF_BITMAP
            break
        elif b == 2:                            # delta: right, up (further into the data)
            if p + 2 > n:
                status = RLE_TRUNCATED
                break
            k = d[p] + <Py_ssize_t>d[p + 1] * w
            p += 2
            if k > total - pos:
                k = total - pos
            pos += k
            x = pos % w
        else:                                   # absolute run of b pixels
            cnt = b
            k = cnt if cnt < total - pos else total - pos
            if rle4:
                nbytes = (k + 1) >> 1
                got = nbytes if nbytes <= n - p else n - p
                for i in range(got):
                    idx[pos] = d[p + i] >> 4
                    pos += 1
                    written[0] += 1
                    if 2 * i + 1 < k:
                        idx[pos] = d[p + i] & 15
                        pos += 1
                        written[0] += 1
            else:
                nbytes = k
                got = nbytes if nbytes <= n - p else n - p
                memcpy(idx + pos, d + p, <size_t>got)
                pos += got
                written[0] += got
            p += got
            if got < nbytes:
                status = RLE_TRUNCATED
                break
            if pos >= total:
                break
            x += cnt
            if p & 1:                           # runs are word-aligned (on the file offset, as Pillow)
                p += 1
    stop[0] = p
    return status


def unpack(data):
    """Unpack the pixels of a BMP file.

    Parameters
    ----------
    data : bytes-like
        The whole BMP file (the headers are read again and checked: nothing from a previous
        :func:`read_header` call is trusted).

    Returns
    -------
    tuple
        ``(pixels, samples_per_pixel, unwritten)``: ``pixels`` a bytearray of
        ``height × width × samples_per_pixel`` bytes, rows top-down, samples interleaved (R, G,
        B), 8 bits each; ``samples_per_pixel`` 1 (every palette entry grey) or 3; ``unwritten``
        the number of pixels an RLE stream skipped (delta, end-of-line and end-of-bitmap codes)
        and that therefore have palette index 0 (0 for uncompressed images).

    Raises
    ------
    BmpError, BmpUnsupportedError
        As :func:`read_header`, and for an RLE stream that ends before its end-of-bitmap code.
    """
    cdef _Buffer buf = _Buffer(data)
    cdef const uint8_t* d = <const uint8_t*>buf.view.buf
    cdef Py_ssize_t n = buf.view.len
    cdef Hdr h
    _parse(d, n, &h)

    cdef Py_ssize_t w = h.width, hgt = h.height, total = w * hgt
    cdef Py_ssize_t out_len = total * h.samples, written = 0, stop = 0, y
    cdef bytearray result = PyByteArray_FromStringAndSize(NULL, out_len)
    cdef uint8_t* out = <uint8_t*>PyByteArray_AS_STRING(result)
    if out_len >= (8 << 20):
        dicomconv_bmp_advise_huge(out, <size_t>out_len)
    cdef uint8_t lut[768]
    cdef uint8_t* luts = NULL
    cdef uint8_t* idx = NULL
    cdef const uint8_t* e
    cdef int i, c, status = RLE_FULL
    cdef uint32_t v, maxv
    cdef int bpp = h.bits // 8
    cdef bint rle4 = h.kind == K_RLE4

    if h.kind == K_MASKED:
        if h.widths[0] == 8 and h.widths[1] == 8 and h.widths[2] == 8 \
                and h.shifts[0] % 8 == 0 and h.shifts[1] % 8 == 0 and h.shifts[2] % 8 == 0 and bpp >= 3:
            with nogil:
                _unpack_bytes(d + h.data_offset, h.stride, w, hgt, h.top_down, bpp,
                              h.shifts[0] >> 3, h.shifts[1] >> 3, h.shifts[2] >> 3, out)
        else:
            luts = <uint8_t*>malloc(3 * 65536)
            if luts == NULL:
                raise MemoryError()
            try:
                for c in range(3):
                    if h.widths[c] <= 16:
                        maxv = (1u << h.widths[c]) - 1
                        for v in range(maxv + 1):
                            luts[c * 65536 + v] = <uint8_t>((v * 255) // maxv) if maxv else 0
                with nogil:
                    _unpack_masked(d + h.data_offset, h.stride, w, hgt, h.top_down, bpp, &h, luts, out)
            finally:
                free(luts)
        return result, 3, 0

    # Palette images: a 256-entry table of grey values or RGB triplets; indices beyond the
    # palette give black (0), as in Pillow.
    memset(lut, 0, sizeof(lut))
    for i in range(h.palette_entries):
        e = d + h.palette_offset + i * h.entry_size
        if h.samples == 1:
            lut[i] = e[0]
        else:
            lut[3 * i] = e[2]
            lut[3 * i + 1] = e[1]
            lut[3 * i + 2] = e[0]

    if h.kind == K_PALETTE:
        with nogil:
            _unpack_indices(d + h.data_offset, h.stride, w, hgt, h.top_down, h.bits, lut, h.samples, out)
        return result, h.samples, 0

    idx = <uint8_t*>calloc(<size_t>total, 1)
    if idx == NULL:
        raise MemoryError()
    try:
        with nogil:
            status = _rle_decode(d, n, h.data_offset, idx, w, total, rle4, &written, &stop)
            if status != RLE_TRUNCATED:
                # idx rows are in file order; 8-bit indices, stride w
                _unpack_indices(idx, w, w, hgt, h.top_down, 8, lut, h.samples, out)
    finally:
        free(idx)
    if status == RLE_TRUNCATED:
        raise BmpError(f"truncated BMP: the {'RLE4' if rle4 else 'RLE8'} data ends at byte {min(stop, n)} "
                       "before its end-of-bitmap code")
    return result, h.samples, total - written


def decode(data):
    """``(read_header(data), *unpack(data))``: the header dict, pixels, samples per pixel and the
    count of pixels an RLE stream left unwritten."""
    header = read_header(data)
    pixels, samples, unwritten = unpack(data)
    return header, pixels, samples, unwritten
