# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Header scanners for the codestreams stored as they are in DICOM: JPEG-LS (ISO/IEC 14495-1)
and JPEG 2000 (ISO/IEC 15444-1, with the High-Throughput block coder of 15444-15), plus the JP2
file format boxes (15444-1 Annex I) around a JPEG 2000 codestream.

Nothing is decoded: the scanners walk the marker segments (and, for JPEG 2000, the tile-parts by
their declared lengths), report what DICOM needs to know about the image, and say which byte
ranges make up the stream to store.

Native code only: the functions take a bytes-like object and return plain Python values. Every
length and offset is checked against the buffer size before it is read; a malformed stream raises
:class:`CodestreamError` (a ``ValueError``) naming the byte offset and the problem, a well-formed
one that uses something we do not store raises :class:`UnsupportedCodestreamError`.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from libc.string cimport memchr, memcmp


class CodestreamError(ValueError):
    """The bytes are not a stream we can read: the message says why and where."""


class UnsupportedCodestreamError(CodestreamError):
    """A well-formed stream that uses a feature DICOM (or this converter) does not store."""


cdef inline unsigned int be16(const unsigned char* p) noexcept nogil:
    return (<unsigned int>p[0] << 8) | p[1]


cdef inline unsigned long long be32(const unsigned char* p) noexcept nogil:
    return ((<unsigned long long>p[0] << 24) | (<unsigned long long>p[1] << 16)
            | (<unsigned long long>p[2] << 8) | p[3])


cdef inline unsigned long long be64(const unsigned char* p) noexcept nogil:
    return (be32(p) << 32) | be32(p + 4)


cdef inline unsigned long long ceil_div(unsigned long long a, unsigned long long b) noexcept nogil:
    return (a + b - 1) // b


cdef class _Buffer:
    """The raw buffer protocol rather than a typed memoryview: typed memoryviews make the module
    import collections.abc, which costs a one-file CLI call several milliseconds."""
    cdef Py_buffer buf
    cdef bint held

    def __cinit__(self, data, str caller):
        if PyObject_GetBuffer(data, &self.buf, PyBUF_SIMPLE) < 0:  # raises TypeError for non-buffers
            raise TypeError(f"{caller}() needs a bytes-like object, not {type(data).__name__}")
        self.held = True

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.buf)
            self.held = False


# ================================================================================= sniffing

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"


def sniff(data):
    """The codestream family of ``data`` from its first bytes: "JPEG-LS", "JPEG", "J2K", "JP2",
    or None.

    A JPEG-LS stream starts with SOI (FF D8) like a JPEG one: the two differ by their frame
    header, SOF55 (FF F7, or SOF57 FF F9 for JPEG-LS part 2) against SOF0-SOF15 (FF C0-FF CF).
    The marker segments before the first frame header (APPn, COM, tables) are skipped by their
    lengths, so this costs a few microseconds. A stream starting with FF D8 in which no frame
    header can be found (truncated, corrupt) is reported as "JPEG", for the JPEG scanner to
    explain what is wrong with it.
    """
    cdef _Buffer b = _Buffer(data, "sniff")
    cdef const unsigned char* d = <const unsigned char*>b.buf.buf
    cdef Py_ssize_t n = b.buf.len, pos
    cdef unsigned int marker
    if n >= 2 and d[0] == 0xFF and d[1] == 0xD8:
        pos = 2
        while pos < n:
            if d[pos] != 0xFF:
                return "JPEG"
            while pos < n and d[pos] == 0xFF:
                pos += 1
            if pos >= n:
                return "JPEG"
            marker = d[pos]
            pos += 1
            if marker == 0xF7 or marker == 0xF9:
                return "JPEG-LS"
            if 0xC0 <= marker <= 0xCF and marker != 0xC4 and marker != 0xC8 and marker != 0xCC:
                return "JPEG"
            if marker == 0xDA or marker == 0xD9 or marker == 0xD8 or marker == 0x00:
                return "JPEG"
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:
                continue
            if pos + 2 > n:
                return "JPEG"
            pos += be16(d + pos)
        return "JPEG"
    if n >= 4 and d[0] == 0xFF and d[1] == 0x4F and d[2] == 0xFF and d[3] == 0x51:
        return "J2K"
    if n >= 12 and memcmp(d, b"\x00\x00\x00\x0cjP  \r\n\x87\n", 12) == 0:
        return "JP2"
    return None


# ================================================================================= JPEG-LS

cdef Py_ssize_t find_ls_marker(const unsigned char* d, Py_ssize_t pos, Py_ssize_t n) noexcept nogil:
    """Offset of the next marker that ends JPEG-LS coded data at or after ``pos``, or -1.

    In JPEG-LS coded data a 0xFF byte is always followed by a byte whose high bit is 0 (a zero
    bit is stuffed, 14495-1 A.1), so the first 0xFF followed by a byte >= 0x80 other than RSTn
    (which belong to the scan) is a marker, or a fill byte before one."""
    cdef const unsigned char* hit
    cdef unsigned char c
    while pos < n - 1:
        hit = <const unsigned char*>memchr(d + pos, 0xFF, <size_t>(n - 1 - pos))
        if hit == NULL:
            return -1
        pos = hit - d
        c = d[pos + 1]
        if c < 0x80 or (0xD0 <= c <= 0xD7):
            pos += 2
        else:
            return pos
    return -1


_NOT_JPEG_LS = {
    0xC4: "a Huffman table (DHT)",
    0xCC: "an arithmetic coding table (DAC)",
    0xDB: "a quantisation table (DQT)",
    0xDE: "a hierarchical progression marker (DHP)",
    0xDF: "a reference expansion marker (EXP)",
}

HP_TRANSFORMS = {0: "none", 1: "HP1", 2: "HP2", 3: "HP3"}


def scan_jpegls(data, bint strip_appn=True):
    """Scan a JPEG-LS interchange-format stream (ISO/IEC 14495-1 Annex C).

    Parameters
    ----------
    data : bytes-like
        The whole file.
    strip_appn : bool
        Remove the APPn segments (SPIFF, JFIF, the HP colour transform APP8 "mrfx", ...) from the
        stored stream (default) or keep them.

    Returns
    -------
    dict
        ``precision`` (P, bits), ``rows`` and ``columns`` (from SOF55, or from an LSE
        oversize-dimension segment or a DNL marker), ``components`` (list of ``(id, h, v)``),
        ``scans`` (list of ``(component ids, near, ilv, point_transform, mapping table ids)``),
        ``near`` (largest NEAR of all scans), ``interleave`` (ILV of the first scan),
        ``point_transform`` (largest Al), ``mapping_tables`` (table ids referenced by scans or
        defined by LSE segments), ``preset`` (``(maxval, t1, t2, t3, reset)`` from an LSE
        ID 1 segment, or None), ``hp_transform`` (the colour transform of an APP8 "mrfx"
        segment, or None), ``spiff`` (an APP8 SPIFF header was present), ``restart_interval``,
        ``comments`` (list of bytes), ``eoi`` (offset of the EOI marker), ``trailing`` (bytes
        after the EOI), ``removed`` (``(start, end)`` byte ranges removed), ``kept`` (``(start,
        end)`` byte ranges which, concatenated, give the stream to store, ending with the EOI
        marker), ``length`` (total length of ``kept``).

    Raises
    ------
    UnsupportedCodestreamError
        JPEG-LS part 2 (SOF57), unknown LSE segment types.
    CodestreamError
        On anything that is not a well-formed JPEG-LS stream, with the byte offset.
    """
    cdef _Buffer b = _Buffer(data, "scan_jpegls")
    return _scan_jpegls(<const unsigned char*>b.buf.buf, b.buf.len, strip_appn)


cdef object _scan_jpegls(const unsigned char* d, Py_ssize_t n, bint strip_appn):
    if n < 4:
        raise CodestreamError(f"not a JPEG-LS stream: only {n} bytes")
    if d[0] != 0xFF or d[1] != 0xD8:
        raise CodestreamError("not a JPEG-LS stream: it does not start with an SOI marker (FF D8)")

    cdef Py_ssize_t pos = 2, seg_start, seg_end, eoi = -1, keep_from = 0
    cdef unsigned int marker, length, i, nf, ns, cid, wxy
    cdef int precision = -1, rows = 0, columns = 0, dnl_rows = -1, near, ilv, pt, max_near = 0
    cdef int max_pt = 0, interleave = -1
    cdef long long big_rows = -1, big_columns = -1
    cdef const unsigned char* p

    components = []
    component_ids = set()
    scanned = set()
    scans = []
    removed = []
    kept = []
    comments = []
    tables = set()
    preset = None
    hp_transform = None
    spiff = False
    restart_interval = None

    while True:
        # Markers may be preceded by any number of 0xFF fill bytes (14495-1 C.1.3, 10918-1 B.1.1.2).
        if pos >= n:
            raise CodestreamError(f"truncated JPEG-LS stream: it ends at byte {n} before an EOI marker")
        if d[pos] != 0xFF:
            raise CodestreamError(
                f"corrupt JPEG-LS stream: expected a marker at byte {pos}, found 0x{d[pos]:02X}")
        seg_start = pos
        while pos < n and d[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise CodestreamError(f"truncated JPEG-LS stream: it ends in fill bytes at byte {n}")
        marker = d[pos]
        pos += 1
        if marker == 0xD9:                       # EOI
            if precision < 0:
                raise CodestreamError("corrupt JPEG-LS stream: EOI before any frame header (SOF55)")
            if not scans:
                raise CodestreamError(f"corrupt JPEG-LS stream: EOI at byte {seg_start} before any scan")
            eoi = pos - 2                         # after any fill bytes: they stay in the stream
            break
        if marker == 0xD8:
            raise CodestreamError(f"corrupt JPEG-LS stream: a second SOI marker at byte {seg_start}")
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:   # TEM, RSTn: no length
            continue
        if marker == 0x00 or marker < 0xC0:
            raise CodestreamError(
                f"corrupt JPEG-LS stream: invalid marker FF {marker:02X} at byte {seg_start}")
        if pos + 2 > n:
            raise CodestreamError(
                f"truncated JPEG-LS stream: marker FF {marker:02X} at byte {seg_start} has no length")
        length = be16(d + pos)
        if length < 2:
            raise CodestreamError(
                f"corrupt JPEG-LS stream: marker FF {marker:02X} at byte {seg_start} has length {length}")
        seg_end = pos + length
        if seg_end > n:
            raise CodestreamError(
                f"truncated JPEG-LS stream: segment FF {marker:02X} at byte {seg_start} needs {length} "
                f"bytes, only {n - pos} remain")
        p = d + pos + 2
        length -= 2                               # payload length

        if marker == 0xF7:                        # SOF55: JPEG-LS frame header (C.2.2)
            if precision >= 0:
                raise CodestreamError(f"corrupt JPEG-LS stream: a second frame header at byte {seg_start}")
            if length < 6:
                raise CodestreamError(f"corrupt JPEG-LS stream: frame header at byte {seg_start} is too short")
            precision = p[0]
            rows = be16(p + 1)
            columns = be16(p + 3)
            nf = p[5]
            if nf == 0:
                raise CodestreamError(f"corrupt JPEG-LS stream: frame header at byte {seg_start} has no components")
            if length != 6 + 3 * nf:
                raise CodestreamError(
                    f"corrupt JPEG-LS stream: frame header at byte {seg_start} has length {length + 2} "
                    f"for {nf} components")
            if precision < 2 or precision > 16:
                raise CodestreamError(
                    f"corrupt JPEG-LS stream: sample precision {precision} (JPEG-LS allows 2 to 16 bits)")
            for i in range(nf):
                cid = p[6 + 3 * i]
                if cid in component_ids:
                    raise CodestreamError(f"corrupt JPEG-LS stream: component id {cid} appears twice")
                component_ids.add(cid)
                if (p[7 + 3 * i] >> 4) == 0 or (p[7 + 3 * i] & 15) == 0:
                    raise CodestreamError(
                        f"corrupt JPEG-LS stream: component {cid} has sampling factor 0")
                components.append((cid, p[7 + 3 * i] >> 4, p[7 + 3 * i] & 15))
        elif marker == 0xF9:
            raise UnsupportedCodestreamError("unsupported JPEG-LS stream: JPEG-LS part 2 extensions (SOF57)")
        elif 0xC0 <= marker <= 0xCF and marker != 0xC4 and marker != 0xC8 and marker != 0xCC:
            raise CodestreamError(
                f"not a JPEG-LS stream: it has a JPEG (ISO/IEC 10918-1) frame header SOF{marker - 0xC0} "
                f"at byte {seg_start}")
        elif marker in _NOT_JPEG_LS:
            raise CodestreamError(
                f"not a JPEG-LS stream: it has {_NOT_JPEG_LS[marker]} at byte {seg_start}, which "
                f"JPEG-LS does not use")
        elif marker == 0xDA:                      # SOS (C.2.3)
            if precision < 0:
                raise CodestreamError(f"corrupt JPEG-LS stream: scan at byte {seg_start} before the frame header")
            if length < 1:
                raise CodestreamError(f"corrupt JPEG-LS stream: scan header at byte {seg_start} is too short")
            ns = p[0]
            if ns == 0 or length != 4 + 2 * ns:
                raise CodestreamError(
                    f"corrupt JPEG-LS stream: scan header at byte {seg_start} has length {length + 2} "
                    f"for {ns} components")
            ids = []
            scan_tables = []
            for i in range(ns):
                cid = p[1 + 2 * i]
                if cid not in component_ids:
                    raise CodestreamError(
                        f"corrupt JPEG-LS stream: scan at byte {seg_start} codes component {cid}, "
                        f"which the frame header does not define")
                ids.append(cid)
                scanned.add(cid)
                if p[2 + 2 * i]:
                    scan_tables.append(p[2 + 2 * i])
                    tables.add(p[2 + 2 * i])
            near = p[1 + 2 * ns]
            ilv = p[2 + 2 * ns]
            pt = p[3 + 2 * ns] & 15
            if ilv > 2:
                raise CodestreamError(
                    f"corrupt JPEG-LS stream: scan at byte {seg_start} has interleave mode {ilv} (0-2)")
            if ns > 1 and ilv == 0:
                raise CodestreamError(
                    f"corrupt JPEG-LS stream: scan at byte {seg_start} codes {ns} components without "
                    f"interleaving")
            if near > max_near:
                max_near = near
            if pt > max_pt:
                max_pt = pt
            if interleave < 0:
                interleave = ilv
            scans.append((tuple(ids), near, ilv, pt, tuple(scan_tables)))
            pos = find_ls_marker(d, seg_end, n)
            if pos < 0:
                raise CodestreamError(
                    f"truncated JPEG-LS stream: the coded data after byte {seg_end} has no EOI marker")
            continue
        elif marker == 0xF8:                      # LSE: JPEG-LS preset parameters (C.2.4)
            if length < 1:
                raise CodestreamError(f"corrupt JPEG-LS stream: LSE segment at byte {seg_start} is empty")
            if p[0] == 1:                         # preset coding parameters
                if length != 11:
                    raise CodestreamError(
                        f"corrupt JPEG-LS stream: preset parameters (LSE 1) at byte {seg_start} have "
                        f"length {length + 2}, not 13")
                preset = (be16(p + 1), be16(p + 3), be16(p + 5), be16(p + 7), be16(p + 9))
            elif p[0] == 2 or p[0] == 3:          # mapping table specification / continuation
                if length < 3:
                    raise CodestreamError(
                        f"corrupt JPEG-LS stream: mapping table (LSE {p[0]}) at byte {seg_start} is too short")
                tables.add(p[1])
            elif p[0] == 4:                       # oversize image dimensions
                if length < 2:
                    raise CodestreamError(
                        f"corrupt JPEG-LS stream: size extension (LSE 4) at byte {seg_start} is too short")
                wxy = p[1]
                if wxy < 2 or wxy > 4 or length != 2 + 2 * wxy:
                    raise CodestreamError(
                        f"corrupt JPEG-LS stream: size extension (LSE 4) at byte {seg_start} has field "
                        f"size {wxy} and length {length + 2}")
                big_rows = 0
                big_columns = 0
                for i in range(wxy):
                    big_rows = (big_rows << 8) | p[2 + i]
                    big_columns = (big_columns << 8) | p[2 + wxy + i]
            else:
                raise UnsupportedCodestreamError(
                    f"unsupported JPEG-LS stream: LSE segment of type {p[0]} at byte {seg_start} "
                    f"(JPEG-LS part 2?)")
        elif marker == 0xDD:                      # DRI: 2-4 byte restart interval (C.2.5)
            if length < 2 or length > 4:
                raise CodestreamError(f"corrupt JPEG-LS stream: DRI at byte {seg_start} has length {length + 2}")
            restart_interval = 0
            for i in range(length):
                restart_interval = (restart_interval << 8) | p[i]
        elif marker == 0xDC:                      # DNL
            if length != 2:
                raise CodestreamError(f"corrupt JPEG-LS stream: DNL at byte {seg_start} has length {length + 2}")
            dnl_rows = be16(p)
        elif marker == 0xFE:                      # COM: kept
            comments.append(bytes(p[:length]))
        elif 0xE0 <= marker <= 0xEF:              # APPn
            if marker == 0xE8 and length >= 5 and memcmp(p, b"mrfx", 4) == 0:
                hp_transform = p[4]               # HP colour transform (CharLS, HP LOCO-I)
            elif marker == 0xE8 and length >= 6 and memcmp(p, b"SPIFF\0", 6) == 0:
                spiff = True
            if strip_appn:
                if seg_start > keep_from:
                    kept.append((keep_from, seg_start))
                removed.append((seg_start, seg_end))
                keep_from = seg_end
        # any other marker segment is kept as it is
        pos = seg_end

    # Dimensions: SOF55; where it gives 0, an LSE ID 4 segment (sizes beyond 16 bits, C.2.4.1.4)
    # or, for the number of lines, a DNL marker.
    cdef long long out_rows = rows, out_columns = columns
    if big_rows >= 0:
        if out_rows == 0:
            out_rows = big_rows
        if out_columns == 0:
            out_columns = big_columns
    if out_rows == 0 and dnl_rows > 0:
        out_rows = dnl_rows
    if out_rows <= 0:
        raise CodestreamError("corrupt JPEG-LS stream: the frame header gives 0 lines and no DNL marker follows")
    if out_columns <= 0:
        raise CodestreamError("corrupt JPEG-LS stream: the frame header gives 0 columns")
    missing = component_ids - scanned
    if missing:
        raise CodestreamError(
            f"corrupt JPEG-LS stream: no scan codes component(s) {sorted(missing)}")
    if preset is not None:
        if preset[0] and preset[0] >= (1 << precision):
            raise CodestreamError(
                f"corrupt JPEG-LS stream: MAXVAL {preset[0]} (LSE 1) does not fit {precision}-bit samples")

    kept.append((keep_from, eoi + 2))
    total = 0
    for a, c in kept:
        total += c - a
    return {
        "precision": precision,
        "rows": out_rows,
        "columns": out_columns,
        "components": components,
        "scans": scans,
        "near": max_near,
        "interleave": interleave,
        "point_transform": max_pt,
        "mapping_tables": sorted(tables),
        "preset": preset,
        "hp_transform": hp_transform,
        "spiff": spiff,
        "restart_interval": restart_interval,
        "comments": comments,
        "eoi": eoi,
        "trailing": n - eoi - 2,
        "removed": removed,
        "kept": kept,
        "length": total,
    }


# ============================================================================= JPEG 2000

PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")

# Part 2 (15444-2) marker segments: a Part 1 decoder cannot decode a codestream that holds them.
_PART2_MARKERS = {0xFF74: "MCT", 0xFF75: "MCC", 0xFF77: "MCO", 0xFF76: "NLT", 0xFF78: "CBD",
                  0xFF79: "ATK", 0xFF5A: "ADS", 0xFF5B: "DCO"}


def scan_j2k(data, Py_ssize_t offset=0, Py_ssize_t length=-1):
    """Scan a JPEG 2000 codestream (ISO/IEC 15444-1 Annex A), optionally the part of ``data``
    from ``offset`` for ``length`` bytes (the contents of a JP2 'jp2c' box).

    Returns
    -------
    dict
        ``rsiz``; ``width``/``height`` (image area, Xsiz-XOsiz by Ysiz-YOsiz) and ``x_offset``/
        ``y_offset``; ``tile_size`` (XTsiz, YTsiz); ``tiles`` (number of tiles); ``components``
        (list of ``(bit depth, signed, XRsiz, YRsiz, width, height)``); ``pcap`` (CAP marker's
        Pcap, 0 if absent), ``ccap15`` (Part 15 capabilities word or None); ``ht`` (HTJ2K: the
        CAP marker lists Part 15; HT code-blocks without it are an error); ``progression`` (main COD progression order
        index, see ``PROGRESSIONS``), ``layers``, ``levels`` (decomposition levels), ``mct``
        (main COD multiple component transform flag), ``transform`` (main COD: 1 reversible 5-3,
        0 irreversible 9-7), ``cblk_style``, ``quantisation`` (main QCD style: 0 none, 1 scalar
        derived, 2 scalar expounded); over the main and every tile-part header: ``transforms``
        (set of wavelet transforms used by any COD/COC), ``mcts`` (set of MCT flags of all COD
        segments), ``progressions`` (set of progression orders), ``min_levels`` (fewest
        decomposition levels of any COD/COC), ``quantisations`` (set of QCD/QCC styles);
        ``poc`` (a progression order change is present), ``tlm`` (TLM marker present in the main
        header), ``plm``, ``plt``, ``ppm``, ``tile_parts`` (count), ``sot_offsets`` (where each
        tile-part's SOT marker is), ``comments`` (list of bytes of COM segments), ``eoc`` (offset
        of the EOC marker), ``length`` (bytes from SOC to the end of EOC), ``trailing`` (bytes
        after EOC in the range); offsets are relative to ``offset``.

    Raises
    ------
    UnsupportedCodestreamError
        Part 2 extensions (Rsiz bit 15, Part 2 marker segments, CAP listing a part other than 15).
    CodestreamError
        Anything that is not a well-formed codestream, with the byte offset.
    """
    cdef _Buffer b = _Buffer(data, "scan_j2k")
    cdef Py_ssize_t n = b.buf.len
    if offset < 0 or offset > n:
        raise ValueError(f"offset {offset} outside the data ({n} bytes)")
    if length < 0:
        length = n - offset
    if length > n - offset:
        raise ValueError(f"length {length} from offset {offset} exceeds the data ({n} bytes)")
    return _scan_j2k(<const unsigned char*>b.buf.buf + offset, length)


cdef inline int component_bytes(unsigned int csiz) noexcept nogil:
    """Size of a component index in COC/QCC/RGN/POC: 1 byte below 257 components, else 2."""
    return 1 if csiz < 257 else 2


cdef class _J2kHeaders:
    """What the main and tile-part headers say, gathered while they are walked."""
    cdef const unsigned char* d
    cdef Py_ssize_t n
    cdef unsigned int csiz
    cdef unsigned long long num_tiles, pcap
    cdef bint have_cod, have_qcd
    cdef int progression, layers, levels, mct, transform, cblk_style, quantisation, min_levels
    cdef public object ccap15, transforms, mcts, progressions, quantisations, comments, seen
    cdef public bint poc, tlm, plm, plt, ppm, ht_blocks

    def __cinit__(self):
        self.progression = self.layers = self.levels = self.mct = -1
        self.transform = self.cblk_style = self.quantisation = -1
        self.min_levels = 33
        self.ccap15 = None
        self.transforms = set()
        self.mcts = set()
        self.progressions = set()
        self.quantisations = set()
        self.comments = []

    cdef Py_ssize_t walk(self, Py_ssize_t pos, Py_ssize_t limit, bint in_tile) except -2:
        """Parse the marker segments of a header from ``pos``: the main header up to the first
        SOT (returns its offset) or a tile-part header up to its SOD (returns the offset after
        SOD). Nothing is read at or beyond ``limit``."""
        cdef const unsigned char* d = self.d
        cdef const unsigned char* p
        cdef unsigned int marker, lseg, k, comp, scod, prog, layers, mct, levels, xcb, ycb, style
        cdef unsigned int transform, nbits, i
        cdef Py_ssize_t seg_start, seg_end
        where = "a tile-part header" if in_tile else "the main header"
        while True:
            if pos + 2 > limit:
                if in_tile:
                    raise CodestreamError(
                        f"truncated JPEG 2000 codestream: the tile-part header ends at byte {limit} "
                        f"without an SOD marker")
                raise CodestreamError(
                    f"truncated JPEG 2000 codestream: it ends at byte {limit} before the first tile-part (SOT)")
            seg_start = pos
            marker = be16(d + pos)
            if marker < 0xFF30:
                raise CodestreamError(
                    f"corrupt JPEG 2000 codestream: expected a marker at byte {pos} in {where}, found "
                    f"{d[pos]:02X} {d[pos + 1]:02X}")
            pos += 2
            if marker <= 0xFF3F:                  # reserved markers without parameters (A.1.4)
                continue
            if marker == 0xFF90 and not in_tile:  # SOT: the main header ends
                return seg_start
            if marker == 0xFF93 and in_tile:      # SOD: the tile-part's data follows
                return pos
            if marker in (0xFF90, 0xFF93, 0xFFD9, 0xFF4F, 0xFF51):
                raise CodestreamError(
                    f"corrupt JPEG 2000 codestream: marker FF {marker & 0xFF:02X} at byte {seg_start} in {where}")
            if pos + 2 > limit:
                raise CodestreamError(
                    f"truncated JPEG 2000 codestream: marker FF {marker & 0xFF:02X} at byte {seg_start} has no length")
            lseg = be16(d + pos)
            if lseg < 2:
                raise CodestreamError(
                    f"corrupt JPEG 2000 codestream: marker FF {marker & 0xFF:02X} at byte {seg_start} has length {lseg}")
            seg_end = pos + lseg
            if seg_end > limit:
                raise CodestreamError(
                    f"truncated JPEG 2000 codestream: marker segment FF {marker & 0xFF:02X} at byte "
                    f"{seg_start} needs {lseg} bytes, only {limit - pos} remain")
            p = d + pos + 2
            lseg -= 2                             # parameter bytes
            pos = seg_end

            if marker == 0xFF52:                  # COD (A.6.1)
                if lseg < 10:
                    raise CodestreamError(f"corrupt JPEG 2000 codestream: COD at byte {seg_start} is too short")
                scod = p[0]
                prog, layers, mct = p[1], be16(p + 2), p[4]
                levels, xcb, ycb, style, transform = p[5], p[6], p[7], p[8], p[9]
                if levels > 32 or lseg != 10 + ((levels + 1) if scod & 1 else 0):
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: COD at byte {seg_start} has length {lseg + 2} for "
                        f"{levels} decomposition levels")
                if prog > 4 or layers == 0 or mct > 1 or transform > 1 or xcb > 8 or ycb > 8 or xcb + ycb > 8:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: COD at byte {seg_start} has invalid values "
                        f"(progression {prog}, layers {layers}, MCT {mct}, transform {transform}, "
                        f"code-block exponents {xcb}/{ycb})")
                if not in_tile:
                    if self.have_cod:
                        raise CodestreamError(
                            f"corrupt JPEG 2000 codestream: a second COD in the main header at byte {seg_start}")
                    self.have_cod = True
                    self.progression, self.layers, self.mct, self.levels = prog, layers, mct, levels
                    self.transform, self.cblk_style = transform, style
                self.transforms.add(transform)
                self.mcts.add(mct)
                self.progressions.add(prog)
                if <int>levels < self.min_levels:
                    self.min_levels = levels
                if style & 0x40:
                    self.ht_blocks = True
            elif marker == 0xFF53:                # COC (A.6.2)
                k = component_bytes(self.csiz)
                if lseg < k + 6:
                    raise CodestreamError(f"corrupt JPEG 2000 codestream: COC at byte {seg_start} is too short")
                comp = p[0] if k == 1 else be16(p)
                scod, levels, style, transform = p[k], p[k + 1], p[k + 4], p[k + 5]
                if comp >= self.csiz or levels > 32 or transform > 1 \
                        or lseg != k + 6 + ((levels + 1) if scod & 1 else 0):
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: COC at byte {seg_start} is invalid (component "
                        f"{comp}, {levels} levels, transform {transform}, length {lseg + 2})")
                self.transforms.add(transform)
                if <int>levels < self.min_levels:
                    self.min_levels = levels
                if style & 0x40:
                    self.ht_blocks = True
            elif marker == 0xFF5C or marker == 0xFF5D:    # QCD, QCC (A.6.4, A.6.5)
                k = 0 if marker == 0xFF5C else component_bytes(self.csiz)
                if lseg < k + 1:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: quantisation segment at byte {seg_start} is too short")
                if k and (p[0] if k == 1 else be16(p)) >= self.csiz:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: QCC at byte {seg_start} is for a component that does not exist")
                if (p[k] & 0x1F) > 2:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: quantisation style {p[k] & 0x1F} at byte {seg_start}")
                self.quantisations.add(p[k] & 0x1F)
                if marker == 0xFF5C and not in_tile:
                    if self.have_qcd:
                        raise CodestreamError(
                            f"corrupt JPEG 2000 codestream: a second QCD in the main header at byte {seg_start}")
                    self.have_qcd = True
                    self.quantisation = p[k] & 0x1F
            elif marker == 0xFF50:                # CAP (15444-1:2019 A.5.2)
                if in_tile:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: CAP in a tile-part header at byte {seg_start}")
                if lseg < 4:
                    raise CodestreamError(f"corrupt JPEG 2000 codestream: CAP at byte {seg_start} is too short")
                self.pcap = be32(p)
                nbits = 0
                for i in range(32):
                    if self.pcap & (1ULL << i):
                        nbits += 1
                if lseg != 4 + 2 * nbits:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: CAP at byte {seg_start} has length {lseg + 2} for "
                        f"{nbits} capability words")
                # Pcap bit (32 - i), counting the least significant as bit 0, says that part i
                # is used; one Ccap word per part follows, in increasing part order.
                k = 0
                for i in range(1, 33):
                    if self.pcap & (1ULL << (32 - i)):
                        if i == 15:
                            self.ccap15 = be16(p + 4 + 2 * k)
                        k += 1
                if self.pcap & ~(1ULL << 17):
                    raise UnsupportedCodestreamError(
                        f"unsupported JPEG 2000 codestream: its CAP marker lists capabilities of parts "
                        f"other than 15 (Pcap 0x{self.pcap:08X})")
            elif marker == 0xFF5F:                # POC
                self.poc = True
            elif marker == 0xFF55:                # TLM (main header only)
                if in_tile:
                    raise CodestreamError(
                        f"corrupt JPEG 2000 codestream: TLM in a tile-part header at byte {seg_start}")
                self.tlm = True
            elif marker == 0xFF57:
                self.plm = True
            elif marker == 0xFF58:
                self.plt = True
            elif marker == 0xFF60:
                self.ppm = True
            elif marker == 0xFF64:                # COM: Rcom (2 bytes), then the comment
                if lseg >= 2:
                    self.comments.append(bytes(p[2:lseg]))
            elif marker in _PART2_MARKERS:
                raise UnsupportedCodestreamError(
                    f"unsupported JPEG 2000 codestream: Part 2 marker segment {_PART2_MARKERS[marker]} "
                    f"at byte {seg_start}")
            # RGN, CRG, PPT, CPF and unknown segments are skipped by their length

    cdef Py_ssize_t sot(self, Py_ssize_t pos) except -2:
        """Check the SOT marker segment at ``pos`` (A.4.2); the offset where its tile-part ends,
        or -1 when Psot is 0 (the tile-part runs up to the EOC)."""
        cdef const unsigned char* d = self.d
        cdef unsigned int isot
        cdef unsigned long long psot
        if pos + 12 > self.n:
            raise CodestreamError(f"truncated JPEG 2000 codestream: SOT at byte {pos} is cut off")
        if be16(d + pos + 2) != 10:
            raise CodestreamError(
                f"corrupt JPEG 2000 codestream: SOT at byte {pos} has length {be16(d + pos + 2)}, not 10")
        isot = be16(d + pos + 4)
        psot = be32(d + pos + 6)
        if isot >= self.num_tiles:
            raise CodestreamError(
                f"corrupt JPEG 2000 codestream: the tile-part at byte {pos} is for tile {isot}, but "
                f"there are {self.num_tiles} tiles")
        self.seen[isot] = 1
        if psot == 0:
            return -1
        if psot < 14:
            raise CodestreamError(
                f"corrupt JPEG 2000 codestream: the tile-part at byte {pos} has length {psot}")
        if psot > <unsigned long long>(self.n - pos):
            raise CodestreamError(
                f"truncated JPEG 2000 codestream: the tile-part at byte {pos} needs {psot} bytes, "
                f"only {self.n - pos} remain")
        return pos + <Py_ssize_t>psot


cdef object _scan_j2k(const unsigned char* d, Py_ssize_t n):
    if n < 4:
        raise CodestreamError(f"not a JPEG 2000 codestream: only {n} bytes")
    if be16(d) != 0xFF4F:
        raise CodestreamError("not a JPEG 2000 codestream: it does not start with SOC (FF 4F)")
    if be16(d + 2) != 0xFF51:
        raise CodestreamError("corrupt JPEG 2000 codestream: SOC is not followed by SIZ (FF 51)")
    if n < 6:
        raise CodestreamError("truncated JPEG 2000 codestream: the SIZ marker has no length")

    cdef Py_ssize_t pos, tp_end, eoc = -1, j
    cdef unsigned int lsiz, csiz, i, rsiz
    cdef unsigned long long xsiz, ysiz, xosiz, yosiz, xtsiz, ytsiz, xtosiz, ytosiz
    cdef unsigned long long tiles_x, tiles_y
    cdef const unsigned char* p
    cdef const unsigned char* q
    cdef int tile_parts = 0
    sot_offsets = []

    # ---- SIZ (A.5.1)
    lsiz = be16(d + 4)
    if lsiz < 41:
        raise CodestreamError(f"corrupt JPEG 2000 codestream: SIZ has length {lsiz}")
    if 4 + <Py_ssize_t>lsiz > n:
        raise CodestreamError(f"truncated JPEG 2000 codestream: SIZ needs {lsiz} bytes, only {n - 4} remain")
    p = d + 6
    rsiz = be16(p)
    xsiz, ysiz, xosiz, yosiz = be32(p + 2), be32(p + 6), be32(p + 10), be32(p + 14)
    xtsiz, ytsiz, xtosiz, ytosiz = be32(p + 18), be32(p + 22), be32(p + 26), be32(p + 30)
    csiz = be16(p + 34)
    if csiz == 0 or csiz > 16384:
        raise CodestreamError(f"corrupt JPEG 2000 codestream: SIZ gives {csiz} components (1-16384)")
    if lsiz != 38 + 3 * csiz:
        raise CodestreamError(f"corrupt JPEG 2000 codestream: SIZ has length {lsiz} for {csiz} components")
    if xsiz <= xosiz or ysiz <= yosiz:
        raise CodestreamError(
            f"corrupt JPEG 2000 codestream: empty image area (Xsiz {xsiz}, XOsiz {xosiz}, Ysiz {ysiz}, "
            f"YOsiz {yosiz})")
    if xtsiz == 0 or ytsiz == 0:
        raise CodestreamError("corrupt JPEG 2000 codestream: SIZ gives a tile size of 0")
    if xtosiz > xosiz or ytosiz > yosiz or xtsiz + xtosiz <= xosiz or ytsiz + ytosiz <= yosiz:
        raise CodestreamError(
            "corrupt JPEG 2000 codestream: the tile grid does not cover the image origin (A.5.1)")
    tiles_x = ceil_div(xsiz - xtosiz, xtsiz)
    tiles_y = ceil_div(ysiz - ytosiz, ytsiz)
    if tiles_x > 65535 or tiles_y > 65535 or tiles_x * tiles_y > 65535:
        raise CodestreamError(
            f"corrupt JPEG 2000 codestream: {tiles_x} x {tiles_y} tiles (at most 65535 are allowed)")
    components = []
    for i in range(csiz):
        q = p + 36 + 3 * i
        if q[1] == 0 or q[2] == 0:
            raise CodestreamError(
                f"corrupt JPEG 2000 codestream: component {i} has a subsampling factor of 0")
        if (q[0] & 0x7F) + 1 > 38:
            raise CodestreamError(
                f"corrupt JPEG 2000 codestream: component {i} has bit depth {(q[0] & 0x7F) + 1} (1-38)")
        components.append(((q[0] & 0x7F) + 1, bool(q[0] & 0x80), q[1], q[2],
                           ceil_div(xsiz, q[1]) - ceil_div(xosiz, q[1]),
                           ceil_div(ysiz, q[2]) - ceil_div(yosiz, q[2])))
    if rsiz & 0x8000:
        raise UnsupportedCodestreamError(
            f"unsupported JPEG 2000 codestream: it uses Part 2 extensions (Rsiz 0x{rsiz:04X}); DICOM "
            f"stores those only in the Part 2 multi-component transfer syntaxes")

    cdef _J2kHeaders h = _J2kHeaders()
    h.d, h.n, h.csiz = d, n, csiz
    h.num_tiles = tiles_x * tiles_y
    h.seen = bytearray(<Py_ssize_t>h.num_tiles)

    # ---- main header, then the tile-parts by their lengths
    pos = h.walk(4 + lsiz, n, False)
    if not h.have_cod:
        raise CodestreamError("corrupt JPEG 2000 codestream: the main header has no COD marker segment")
    if not h.have_qcd:
        raise CodestreamError("corrupt JPEG 2000 codestream: the main header has no QCD marker segment")
    if (rsiz & 0x4000) and h.ccap15 is None:
        raise CodestreamError(
            f"corrupt JPEG 2000 codestream: Rsiz 0x{rsiz:04X} announces a CAP marker, but there is none")
    if h.ht_blocks and h.ccap15 is None:
        raise CodestreamError(
            "corrupt JPEG 2000 codestream: it has HT code-blocks but no CAP marker listing Part 15")
    while True:
        if pos + 2 > n:
            raise CodestreamError(f"truncated JPEG 2000 codestream: it ends at byte {n} without an EOC marker")
        if be16(d + pos) == 0xFFD9:
            eoc = pos
            break
        if be16(d + pos) != 0xFF90:
            raise CodestreamError(
                f"corrupt JPEG 2000 codestream: expected SOT or EOC at byte {pos}, found "
                f"{d[pos]:02X} {d[pos + 1]:02X}")
        sot_offsets.append(pos)
        tp_end = h.sot(pos)
        pos = h.walk(pos + 12, tp_end if tp_end >= 0 else n, True)
        tile_parts += 1
        if tp_end >= 0:
            pos = tp_end
        else:
            # Psot 0: the last tile-part, its data runs up to the EOC that ends the codestream
            j = n - 2
            while j >= pos and not (d[j] == 0xFF and d[j + 1] == 0xD9):
                j -= 1
            if j < pos:
                raise CodestreamError(
                    f"truncated JPEG 2000 codestream: the last tile-part (length 0: up to the EOC) has no EOC marker")
            eoc = j
            break
    missing = h.seen.count(0)
    if missing:
        raise CodestreamError(
            f"truncated JPEG 2000 codestream: {missing} of its {h.num_tiles} tiles have no tile-part")

    return {
        "rsiz": rsiz,
        "width": xsiz - xosiz,
        "height": ysiz - yosiz,
        "x_offset": xosiz,
        "y_offset": yosiz,
        "tile_size": (xtsiz, ytsiz),
        "tiles": h.num_tiles,
        "components": components,
        "pcap": h.pcap,
        "ccap15": h.ccap15,
        "ht": h.ccap15 is not None,
        "progression": h.progression,
        "layers": h.layers,
        "levels": h.levels,
        "mct": h.mct,
        "transform": h.transform,
        "cblk_style": h.cblk_style,
        "quantisation": h.quantisation,
        "transforms": h.transforms,
        "mcts": h.mcts,
        "progressions": h.progressions,
        "min_levels": h.min_levels,
        "quantisations": h.quantisations,
        "poc": h.poc,
        "tlm": h.tlm,
        "plm": h.plm,
        "plt": h.plt,
        "ppm": h.ppm,
        "tile_parts": tile_parts,
        "sot_offsets": sot_offsets,
        "comments": h.comments,
        "eoc": eoc,
        "length": eoc + 2,
        "trailing": n - eoc - 2,
    }


# ================================================================================ JP2 boxes

COLOURSPACES = {16: "sRGB", 17: "greyscale", 18: "sYCC", 12: "CMYK", 20: "e-sRGB", 21: "ROMM-RGB",
                22: "YPbPr(1125/60)", 23: "YPbPr(1250/50)", 24: "e-sYCC"}


cdef Py_ssize_t box_header(const unsigned char* d, Py_ssize_t pos, Py_ssize_t end,
                           unsigned long long* box_type, Py_ssize_t* content) except -2:
    """Read the box header at ``pos`` (I.4): its type into ``box_type``, the offset of its
    contents into ``content``; returns the offset where the box ends (``end`` for LBox 0)."""
    cdef unsigned long long lbox
    cdef Py_ssize_t header = 8
    if pos + 8 > end:
        raise CodestreamError(f"truncated JP2 file: the box header at byte {pos} is cut off")
    lbox = be32(d + pos)
    box_type[0] = be32(d + pos + 4)
    if lbox == 1:                                 # XLBox: 64-bit length
        if pos + 16 > end:
            raise CodestreamError(f"truncated JP2 file: the extended box length at byte {pos} is cut off")
        lbox = be64(d + pos + 8)
        header = 16
        if lbox < 16:
            raise CodestreamError(f"corrupt JP2 file: box at byte {pos} has extended length {lbox}")
    elif lbox == 0:                               # the box runs to the end of its container
        content[0] = pos + 8
        return end
    elif lbox < 8:
        raise CodestreamError(f"corrupt JP2 file: box at byte {pos} has length {lbox}")
    if lbox > <unsigned long long>(end - pos):
        raise CodestreamError(
            f"truncated JP2 file: the '{_box_name(box_type[0])}' box at byte {pos} needs {lbox} bytes, "
            f"only {end - pos} remain")
    content[0] = pos + header
    return pos + <Py_ssize_t>lbox


def _box_name(unsigned long long t):
    return "".join(chr(c) if 32 <= c < 127 else "?" for c in
                   ((t >> 24) & 255, (t >> 16) & 255, (t >> 8) & 255, t & 255))


cdef enum:
    BOX_JP = 0x6A502020     # 'jP  '
    BOX_FTYP = 0x66747970   # 'ftyp'
    BOX_JP2H = 0x6A703268   # 'jp2h'
    BOX_IHDR = 0x69686472   # 'ihdr'
    BOX_BPCC = 0x62706363   # 'bpcc'
    BOX_COLR = 0x636F6C72   # 'colr'
    BOX_PCLR = 0x70636C72   # 'pclr'
    BOX_CMAP = 0x636D6170   # 'cmap'
    BOX_CDEF = 0x63646566   # 'cdef'
    BOX_JP2C = 0x6A703263   # 'jp2c'
    BRAND_JP2 = 0x6A703220  # 'jp2 '
    BRAND_JPH = 0x6A706820  # 'jph ' (15444-15 Annex D)


def jp2_codestream(data):
    """``(offset, length)`` of the codestream in the first 'jp2c' box of a JP2 (or JPH) file."""
    info = scan_jp2(data)
    return info["codestream"]


def scan_jp2(data):
    """Walk the boxes of a JP2 file (ISO/IEC 15444-1 Annex I; JPH files of 15444-15 Annex D
    have the same structure).

    Returns
    -------
    dict
        ``brand`` and ``compatibility`` (ftyp, as str), ``ihdr`` (``(height, width, components,
        bpc, compression, unknown colourspace, ipr)``), ``bpcc`` (list of per-component depth
        bytes or None), ``colr`` (list of ``(method, precedence, approximation, enumerated
        colourspace or None, ICC profile bytes or None)``, in file order), ``pclr`` and ``cmap``
        (bool: a palette / component mapping is present), ``cdef`` (list of ``(channel, type,
        association)`` or None), ``codestream`` (``(offset, length)`` of the first 'jp2c'
        box's contents), ``boxes`` (list of top-level ``(type, offset, length)``).

    Raises
    ------
    CodestreamError
        If the file is not a well-formed JP2 file (signature, file type, header box, box
        lengths, codestream box), with the byte offset.
    """
    cdef _Buffer b = _Buffer(data, "scan_jp2")
    return _scan_jp2(<const unsigned char*>b.buf.buf, b.buf.len)


cdef object _scan_jp2(const unsigned char* d, Py_ssize_t n):
    cdef Py_ssize_t pos, end, content, sub, sub_end, sub_content, i, count
    cdef unsigned long long box_type, sub_type, brand
    cdef bint have_ftyp = False, have_jp2h = False, compatible = False
    cdef const unsigned char* p
    if n < 12 or memcmp(d, b"\x00\x00\x00\x0cjP  \r\n\x87\n", 12) != 0:
        raise CodestreamError("not a JP2 file: it does not start with the JPEG 2000 signature box")
    boxes = []
    brand_name = None
    compatibility = []
    ihdr = None
    bpcc = None
    colr = []
    pclr = cmap = False
    cdef_entries = None
    codestream = None
    pos = 12
    while pos < n:
        end = box_header(d, pos, n, &box_type, &content)
        boxes.append((_box_name(box_type), pos, end - pos))
        if not have_ftyp:
            if box_type != BOX_FTYP:
                raise CodestreamError(
                    f"corrupt JP2 file: the signature box is followed by '{_box_name(box_type)}', not 'ftyp'")
            if end - content < 8 or (end - content) % 4:
                raise CodestreamError(f"corrupt JP2 file: the 'ftyp' box at byte {pos} has a bad length")
            brand = be32(d + content)
            brand_name = _box_name(brand)
            compatible = brand == BRAND_JP2 or brand == BRAND_JPH
            for i in range(content + 8, end, 4):
                compatibility.append(_box_name(be32(d + i)))
                if be32(d + i) == BRAND_JP2 or be32(d + i) == BRAND_JPH:
                    compatible = True
            if not compatible:
                raise UnsupportedCodestreamError(
                    f"unsupported JPEG 2000 file: brand '{brand_name}' is not compatible with JP2 "
                    f"(compatibility list {compatibility})")
            have_ftyp = True
        elif box_type == BOX_JP2H and not have_jp2h:
            have_jp2h = True
            sub = content
            while sub < end:
                sub_end = box_header(d, sub, end, &sub_type, &sub_content)
                p = d + sub_content
                if sub == content and sub_type != BOX_IHDR:
                    raise CodestreamError(
                        f"corrupt JP2 file: the JP2 header box does not start with 'ihdr' but "
                        f"'{_box_name(sub_type)}'")
                if sub_type == BOX_IHDR:
                    if sub_end - sub_content != 14:
                        raise CodestreamError(f"corrupt JP2 file: the 'ihdr' box at byte {sub} has a bad length")
                    ihdr = (be32(p), be32(p + 4), be16(p + 8), p[10], p[11], p[12], p[13])
                elif sub_type == BOX_BPCC:
                    bpcc = list(p[:sub_end - sub_content])
                elif sub_type == BOX_COLR:
                    if sub_end - sub_content < 3:
                        raise CodestreamError(f"corrupt JP2 file: the 'colr' box at byte {sub} is too short")
                    if p[0] == 1:
                        if sub_end - sub_content < 7:
                            raise CodestreamError(f"corrupt JP2 file: the 'colr' box at byte {sub} is too short")
                        colr.append((1, p[1], p[2], be32(p + 3), None))
                    elif p[0] == 2 or p[0] == 3:
                        colr.append((p[0], p[1], p[2], None, bytes(p[3:sub_end - sub_content])))
                    else:
                        colr.append((p[0], p[1], p[2], None, None))
                elif sub_type == BOX_PCLR:
                    pclr = True
                elif sub_type == BOX_CMAP:
                    cmap = True
                elif sub_type == BOX_CDEF:
                    if sub_end - sub_content < 2:
                        raise CodestreamError(f"corrupt JP2 file: the 'cdef' box at byte {sub} is too short")
                    count = be16(p)
                    if sub_end - sub_content != 2 + 6 * count:
                        raise CodestreamError(f"corrupt JP2 file: the 'cdef' box at byte {sub} has a bad length")
                    cdef_entries = [(be16(p + 2 + 6 * i), be16(p + 4 + 6 * i), be16(p + 6 + 6 * i))
                                    for i in range(count)]
                sub = sub_end
            if ihdr is None:
                raise CodestreamError("corrupt JP2 file: the JP2 header box has no 'ihdr' box")
        elif box_type == BOX_JP2C:
            if not have_jp2h:
                raise CodestreamError(
                    f"corrupt JP2 file: the codestream box at byte {pos} comes before the JP2 header box")
            codestream = (content, end - content)
            break                                  # the first codestream is the image
        pos = end
    if not have_ftyp:
        raise CodestreamError("truncated JP2 file: no file type ('ftyp') box")
    if codestream is None:
        if not have_jp2h:
            raise CodestreamError("corrupt or truncated JP2 file: no JP2 header ('jp2h') box")
        raise CodestreamError("corrupt or truncated JP2 file: no contiguous codestream ('jp2c') box")
    return {
        "brand": brand_name,
        "compatibility": compatibility,
        "ihdr": ihdr,
        "bpcc": bpcc,
        "colr": colr,
        "pclr": pclr,
        "cmap": cmap,
        "cdef": cdef_entries,
        "codestream": codestream,
        "boxes": boxes,
    }
