# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""JPEG interchange-format marker scanner (ISO/IEC 10918-1 Annex B).

Walks the marker segments of a JPEG stream, reports what DICOM needs to know about it (coding
process, precision, dimensions, components, JFIF/EXIF/ICC/Adobe application segments, restart
interval, comments, where the real EOI is) and the byte ranges that make up the stream with the
chosen APPn segments removed.

Native code only: it takes a bytes-like object and returns plain Python values. Every length and
offset is checked against the buffer size before it is read; a malformed stream raises
:class:`JpegError` naming the byte offset and the problem.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from libc.string cimport memchr, memcmp

# What to do with APPn (0xFFE0-0xFFEF) segments.
APPN_KEEP_ALL = 0      # keep every APPn segment
APPN_STRIP_ALL = 1     # remove every APPn segment (img2dcm default)
APPN_STRIP_JFIF = 2    # remove only the JFIF/JFXX APP0 segments (img2dcm --keep-appn)


class JpegError(ValueError):
    """The bytes are not a JPEG stream we can read: the message says why and where."""


cdef inline unsigned int be16(const unsigned char* p) noexcept nogil:
    return (<unsigned int>p[0] << 8) | p[1]


cdef Py_ssize_t find_marker(const unsigned char* d, Py_ssize_t pos, Py_ssize_t n) noexcept nogil:
    """Offset of the next marker that can end entropy-coded data (0xFF followed by 0xC0-0xFE
    other than RSTn, B.1.1.3) at or after ``pos``, or -1 if there is none before ``n``.

    0xFF 0x00 is a stuffed zero, RSTn are part of the scan, 0xFF 0xFF is a fill byte, and the
    codes 0x01-0xBF (TEM and reserved) cannot end a scan: real cameras write corrupt scans that
    contain such pairs, and decoders read past them, so we do too."""
    cdef const unsigned char* hit
    cdef unsigned char c
    while pos < n - 1:
        hit = <const unsigned char*>memchr(d + pos, 0xFF, <size_t>(n - 1 - pos))
        if hit == NULL:
            return -1
        pos = hit - d
        c = d[pos + 1]
        if c < 0xC0 or (0xD0 <= c <= 0xD7):
            pos += 2          # stuffed zero, restart marker or not a marker: entropy-coded data
        elif c == 0xFF:
            pos += 1          # fill byte: the marker code follows later
        else:
            return pos
    return -1


cdef Py_ssize_t find_last_eoi(const unsigned char* d, Py_ssize_t pos, Py_ssize_t n) noexcept nogil:
    """Offset of the last 0xFF 0xD9 pair at or after ``pos``, or -1."""
    cdef Py_ssize_t last = -1
    cdef const unsigned char* hit
    while pos < n - 1:
        hit = <const unsigned char*>memchr(d + pos, 0xFF, <size_t>(n - 1 - pos))
        if hit == NULL:
            break
        pos = hit - d
        if d[pos + 1] == 0xD9:
            last = pos
            pos += 2
        else:
            pos += 1
    return last


_REFUSED_SOF = {
    0xC5: "differential sequential DCT (hierarchical, SOF5)",
    0xC6: "differential progressive DCT (hierarchical, SOF6)",
    0xC7: "differential lossless (hierarchical, SOF7)",
    0xC9: "extended sequential DCT with arithmetic coding (SOF9)",
    0xCA: "progressive DCT with arithmetic coding (SOF10)",
    0xCB: "lossless with arithmetic coding (SOF11)",
    0xCD: "differential sequential DCT with arithmetic coding (hierarchical, SOF13)",
    0xCE: "differential progressive DCT with arithmetic coding (hierarchical, SOF14)",
    0xCF: "differential lossless with arithmetic coding (hierarchical, SOF15)",
}


def scan(data, int appn_policy=APPN_STRIP_ALL):
    """Scan a JPEG interchange-format stream.

    Parameters
    ----------
    data : bytes-like (bytes, bytearray, memoryview, mmap)
        The whole JPEG file.
    appn_policy : int
        ``APPN_STRIP_ALL`` (default), ``APPN_STRIP_JFIF`` or ``APPN_KEEP_ALL``.

    Returns
    -------
    dict
        ``sof`` (marker code, 0xC0-0xC3), ``precision`` (bits), ``rows``, ``columns``,
        ``components`` (list of ``(id, h, v)``), ``selection_value`` (first scan's Ss: the
        lossless predictor), ``point_transform`` (first scan's Al), ``scans`` (count), ``jfif``
        (``(major, minor)`` or None), ``exif`` (bool), ``icc`` (reassembled profile bytes or
        None), ``adobe_transform`` (int or None), ``restart_interval`` (int or None),
        ``comments`` (list of bytes), ``eoi`` (offset of the final EOI marker),
        ``appended_image`` (offset of a second image appended after the EOI, or -1), ``removed``
        (list of ``(start, end)`` byte ranges removed), ``kept`` (list of ``(start, end)``
        byte ranges which, concatenated, give the output stream, ending with the EOI marker),
        ``length`` (total length of the kept ranges).

    Raises
    ------
    JpegError
        On anything that is not a well-formed JPEG stream, with the byte offset.
    """
    # The raw buffer protocol rather than a typed memoryview: typed memoryviews make the module
    # import collections.abc, which costs a one-file CLI call several milliseconds.
    cdef Py_buffer buf
    if PyObject_GetBuffer(data, &buf, PyBUF_SIMPLE) < 0:  # raises TypeError for non-buffers
        raise TypeError(f"scan() needs a bytes-like object, not {type(data).__name__}")
    try:
        return _scan(<const unsigned char*>buf.buf, buf.len, appn_policy)
    finally:
        PyBuffer_Release(&buf)


cdef object _scan(const unsigned char* d, Py_ssize_t n, int appn_policy):
    if n < 4:
        raise JpegError(f"not a JPEG stream: only {n} bytes")
    if d[0] != 0xFF or d[1] != 0xD8:
        raise JpegError("not a JPEG stream: it does not start with an SOI marker (FF D8)")

    cdef Py_ssize_t pos = 2, seg_start, seg_end, eoi = -1, keep_from = 0, tail
    cdef unsigned int marker, length, i, nf, ns
    cdef int sof = -1
    cdef bint strip
    cdef int precision = 0, rows = 0, columns = 0, dnl_rows = -1
    cdef int selection_value = -1, point_transform = -1, scans = 0
    cdef const unsigned char* p

    components = []
    removed = []
    kept = []
    comments = []
    icc_chunks = {}
    icc_count = 0
    jfif = None
    exif = False
    mpf = False
    adobe_transform = None
    restart_interval = None

    while True:
        # Markers may be preceded by any number of 0xFF fill bytes (B.1.1.2).
        if pos >= n or d[pos] != 0xFF:
            if pos >= n:
                raise JpegError(f"truncated JPEG stream: it ends at byte {n} before an EOI marker")
            raise JpegError(f"corrupt JPEG stream: expected a marker at byte {pos}, found 0x{d[pos]:02X}")
        seg_start = pos
        while pos < n and d[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise JpegError(f"truncated JPEG stream: it ends in fill bytes at byte {n}")
        marker = d[pos]
        pos += 1
        if marker == 0xD9:                      # EOI
            if sof == -1:
                raise JpegError("no image in this JPEG stream: it holds only tables (abbreviated "
                                "format, B.4) or is corrupt")
            if scans == 0:
                raise JpegError(f"corrupt JPEG stream: EOI at byte {seg_start} before any scan")
            eoi = pos - 2
            break
        if marker == 0xD8:
            raise JpegError(f"corrupt JPEG stream: a second SOI marker at byte {seg_start}")
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if marker == 0x00:
            raise JpegError(f"corrupt JPEG stream: invalid marker FF 00 at byte {seg_start}")
        if pos + 2 > n:
            raise JpegError(f"truncated JPEG stream: marker FF {marker:02X} at byte {seg_start} has no length")
        length = be16(d + pos)
        if length < 2:
            raise JpegError(f"corrupt JPEG stream: marker FF {marker:02X} at byte {seg_start} has length {length}")
        seg_end = pos + length
        if seg_end > n:
            raise JpegError(
                f"truncated JPEG stream: segment FF {marker:02X} at byte {seg_start} needs {length} bytes, "
                f"only {n - pos} remain")
        p = d + pos + 2                          # segment payload
        length -= 2                              # payload length

        if marker == 0xC4 or marker == 0xDB:    # DHT, DQT: kept as they are
            pass
        elif 0xC0 <= marker <= 0xCF and marker != 0xC4 and marker != 0xC8 and marker != 0xCC:
            if marker in _REFUSED_SOF:
                raise JpegError(f"unsupported JPEG coding process: {_REFUSED_SOF[marker]}")
            if sof != -1:
                raise JpegError(f"corrupt JPEG stream: a second frame header (SOF) at byte {seg_start}")
            if length < 6:
                raise JpegError(f"corrupt JPEG stream: frame header at byte {seg_start} is too short")
            sof = marker
            precision = p[0]
            rows = be16(p + 1)
            columns = be16(p + 3)
            nf = p[5]
            if length != 6 + 3 * nf:
                raise JpegError(
                    f"corrupt JPEG stream: frame header at byte {seg_start} has length {length + 2} "
                    f"for {nf} components")
            for i in range(nf):
                components.append((p[6 + 3 * i], p[7 + 3 * i] >> 4, p[7 + 3 * i] & 15))
        elif marker == 0xCC:
            raise JpegError("unsupported JPEG coding process: arithmetic coding (DAC marker)")
        elif marker == 0xDE:
            raise JpegError("unsupported JPEG coding process: hierarchical (DHP marker)")
        elif marker == 0xDA:                     # SOS
            if sof == -1:
                raise JpegError(f"corrupt JPEG stream: scan at byte {seg_start} before any frame header")
            if length < 1:
                raise JpegError(f"corrupt JPEG stream: scan header at byte {seg_start} is too short")
            ns = p[0]
            if length != 4 + 2 * ns:
                raise JpegError(f"corrupt JPEG stream: scan header at byte {seg_start} has a bad length")
            if scans == 0:
                selection_value = p[1 + 2 * ns]
                point_transform = p[3 + 2 * ns] & 15
            scans += 1
            pos = find_marker(d, seg_end, n)
            if pos < 0:
                raise JpegError(f"truncated JPEG stream: entropy-coded data after byte {seg_end} has no EOI marker")
            continue
        elif marker == 0xDD:                     # DRI
            if length != 2:
                raise JpegError(f"corrupt JPEG stream: DRI at byte {seg_start} has length {length + 2}")
            restart_interval = be16(p)
        elif marker == 0xDC:                     # DNL: number of lines after the first scan
            if length != 2:
                raise JpegError(f"corrupt JPEG stream: DNL at byte {seg_start} has length {length + 2}")
            dnl_rows = be16(p)
        elif marker == 0xFE:                     # COM
            comments.append(bytes(p[:length]))
        elif 0xE0 <= marker <= 0xEF:             # APPn
            strip = appn_policy == APPN_STRIP_ALL
            if marker == 0xE0 and length >= 5 and (memcmp(p, b"JFIF\0", 5) == 0 or memcmp(p, b"JFXX\0", 5) == 0):
                if memcmp(p, b"JFIF\0", 5) == 0 and length >= 7:
                    jfif = (p[5], p[6])
                strip = appn_policy != APPN_KEEP_ALL
            elif marker == 0xE1 and length >= 6 and memcmp(p, b"Exif\0", 5) == 0:
                exif = True
            elif marker == 0xE2 and length >= 14 and memcmp(p, b"ICC_PROFILE\0", 12) == 0:
                icc_chunks[p[12]] = bytes(p[14:length])
                icc_count = p[13]
            elif marker == 0xE2 and length >= 4 and memcmp(p, b"MPF\0", 4) == 0:
                mpf = True
            elif marker == 0xEE and length >= 12 and memcmp(p, b"Adobe", 5) == 0:
                adobe_transform = p[11]
            if strip:
                if seg_start > keep_from:
                    kept.append((keep_from, seg_start))
                removed.append((seg_start, seg_end))
                keep_from = seg_end
        pos = seg_end

    if sof == -1:
        raise JpegError("corrupt JPEG stream: no frame header (SOF)")
    if rows == 0:
        if dnl_rows <= 0:
            raise JpegError("corrupt JPEG stream: the frame header gives 0 rows and no DNL marker follows")
        rows = dnl_rows
    if columns == 0:
        raise JpegError("corrupt JPEG stream: the frame header gives 0 columns")
    if not components:
        raise JpegError("corrupt JPEG stream: the frame header has no components")

    # An EOI inside (corrupt) entropy-coded data is not the end of the stream: the stream ends at
    # the last EOI in the file, and bytes after it (trailers, garbage) are dropped. The exception
    # is a second JPEG image appended right after the EOI (MPO / CIPA DC-007 multi-picture files,
    # phone gain maps): that is another image, and the stream ends at the first EOI.
    appended_image = -1
    if mpf or (eoi + 4 < n and d[eoi + 2] == 0xFF and d[eoi + 3] == 0xD8):
        if eoi + 4 < n:
            appended_image = eoi + 2
    else:
        tail = find_last_eoi(d, eoi + 2, n)
        if tail > eoi:
            eoi = tail
    kept.append((keep_from, eoi + 2))

    icc = None
    if icc_chunks:
        if icc_count and len(icc_chunks) == icc_count and all(k in icc_chunks for k in range(1, icc_count + 1)):
            icc = b"".join(icc_chunks[k] for k in range(1, icc_count + 1))
        else:
            raise JpegError(
                f"corrupt JPEG stream: ICC profile has chunks {sorted(icc_chunks)} of {icc_count}")

    total = 0
    for a, b in kept:
        total += b - a
    return {
        "sof": sof,
        "precision": precision,
        "rows": rows,
        "columns": columns,
        "components": components,
        "selection_value": selection_value,
        "point_transform": point_transform,
        "scans": scans,
        "jfif": jfif,
        "exif": exif,
        "icc": icc,
        "adobe_transform": adobe_transform,
        "restart_interval": restart_interval,
        "comments": comments,
        "eoi": eoi,
        "appended_image": appended_image,
        "removed": removed,
        "kept": kept,
        "length": total,
    }
