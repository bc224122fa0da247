# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Encapsulated Pixel Data (PS3.5 A.4): item structure, frame boundaries, new item sequences.

The value of an encapsulated Pixel Data element is a sequence of items (tag (FFFE,E000), a
32-bit little-endian length, the value): first the Basic Offset Table (BOT), then one item per
fragment, optionally ended by a Sequence Delimitation Item (FFFE,E0DD) with length 0.

:class:`Encapsulated` parses that structure -- every tag and length is checked against the
bytes that are really there before anything is read -- and finds which fragments make up each
frame (:meth:`Encapsulated.frames`): from the Extended Offset Table (7FE0,0001) when given, else
from the BOT, else one frame for all fragments, one fragment per frame, or by the frame start
signatures of the compression (JPEG SOI, JPEG 2000 SOC/SIZ or JP2 signature box, RLE header)
preceded by the previous frame's end marker. Fragments are handed out as memoryviews into the
input (no copies).

:func:`build` makes a new item sequence from frames given as buffers (or lists of buffers, e.g.
the fragments of an input frame): the fragmentation kept, one fragment per frame, or every frame
split into fragments of at most N bytes; with a BOT, an empty BOT, or the values of an Extended
Offset Table and its lengths. It returns a list of chunks to write one after the other (item
headers as small bytes, the data as memoryviews into the frames: zero-copy) or one contiguous
bytes object. Every item has an even length: a frame of odd length gets one 0x00 pad byte.

Native code only: the raw buffer protocol (not typed memoryviews, which make the module import
``collections.abc``); errors raise :class:`FragmentError` (a ValueError) saying what and where.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

# Frame start signatures for frames() when neither offset table can be used.
KIND_UNKNOWN = 0
KIND_JPEG = 1       # JPEG family and JPEG-LS: starts with SOI FF D8, ends with EOI FF D9
KIND_J2K = 2        # JPEG 2000 / HTJ2K: SOC FF 4F + SIZ FF 51 (or a JP2 signature box), ends with EOC FF D9
KIND_RLE = 3        # RLE Lossless: a 64-byte header, 1-15 segments, the first at offset 64

MAX_BOT = 0xFFFFFFFF


class FragmentError(ValueError):
    """The encapsulated Pixel Data is malformed, or frames cannot be found in it."""


cdef inline uint32_t le32(const uint8_t* p) noexcept nogil:
    return (<uint32_t>p[0]) | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef inline uint64_t le64(const uint8_t* p) noexcept nogil:
    return (<uint64_t>le32(p)) | ((<uint64_t>le32(p + 4)) << 32)


cdef inline void put_le32(uint8_t* p, uint32_t v) noexcept nogil:
    p[0] = v & 0xFF
    p[1] = (v >> 8) & 0xFF
    p[2] = (v >> 16) & 0xFF
    p[3] = (v >> 24) & 0xFF


cdef inline void put_le64(uint8_t* p, uint64_t v) noexcept nogil:
    put_le32(p, <uint32_t>(v & 0xFFFFFFFFu))
    put_le32(p + 4, <uint32_t>(v >> 32))


cdef inline bint is_item(const uint8_t* p) noexcept nogil:
    return p[0] == 0xFE and p[1] == 0xFF and p[2] == 0x00 and p[3] == 0xE0


cdef inline bint is_delimiter(const uint8_t* p) noexcept nogil:
    return p[0] == 0xFE and p[1] == 0xFF and p[2] == 0xDD and p[3] == 0xE0


cdef inline void put_item_header(uint8_t* p, uint32_t length) noexcept nogil:
    p[0] = 0xFE
    p[1] = 0xFF
    p[2] = 0x00
    p[3] = 0xE0
    put_le32(p + 4, length)


cdef str tag_at(const uint8_t* p):
    return f"({p[1]:02X}{p[0]:02X},{p[3]:02X}{p[2]:02X})"


cdef class Encapsulated:
    """The parsed value of an encapsulated Pixel Data element.

    ``Encapsulated(data)``: ``data`` is any bytes-like object holding the element value, starting
    with the Basic Offset Table item (pydicom's ``ds.PixelData``); a Sequence Delimitation Item
    at the end is optional. Raises :class:`FragmentError` for anything malformed.

    Attributes: ``fragment_count``, ``basic_offsets`` (list of the BOT's values),
    ``first_item`` (byte offset of the first fragment's item tag in ``data``), ``end`` (offset
    just after the last item, or after the delimiter), ``has_delimiter``, ``trailing`` (bytes
    after the delimiter, ignored).
    """
    cdef Py_buffer buf
    cdef bint have_buf
    cdef object view
    cdef Py_ssize_t* item       # offset of each fragment's item tag
    cdef Py_ssize_t* length     # each fragment's value length
    cdef readonly Py_ssize_t fragment_count
    cdef readonly Py_ssize_t first_item
    cdef readonly Py_ssize_t end
    cdef readonly bint has_delimiter
    cdef readonly Py_ssize_t trailing
    cdef readonly list basic_offsets
    cdef readonly list notes

    def __cinit__(self, data):
        self.have_buf = False
        self.item = NULL
        self.length = NULL
        self.fragment_count = 0
        PyObject_GetBuffer(data, &self.buf, PyBUF_SIMPLE)
        self.have_buf = True
        self.view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
        self.notes = []
        self._parse()

    def __dealloc__(self):
        PyMem_Free(self.item)
        PyMem_Free(self.length)
        if self.have_buf:
            PyBuffer_Release(&self.buf)

    cdef _parse(self):
        cdef const uint8_t* d = <const uint8_t*>self.buf.buf
        cdef Py_ssize_t n = self.buf.len
        cdef Py_ssize_t pos, cap = 0, count = 0, i
        cdef uint64_t bot_len, frag_len
        cdef Py_ssize_t* grown
        if n < 8:
            raise FragmentError(f"encapsulated Pixel Data of {n} bytes is shorter than the "
                                "8-byte Basic Offset Table item header")
        if not is_item(d):
            raise FragmentError(f"encapsulated Pixel Data does not start with an item tag "
                                f"(FFFE,E000) but with {tag_at(d)}")
        bot_len = le32(d + 4)
        if bot_len == 0xFFFFFFFF:
            raise FragmentError("the Basic Offset Table item has an undefined length")
        if bot_len % 4:
            raise FragmentError(f"the Basic Offset Table has length {bot_len}, not a multiple "
                                "of 4")
        if bot_len > <uint64_t>(n - 8):
            raise FragmentError(f"the Basic Offset Table has length {bot_len} but only "
                                f"{n - 8} bytes follow its header")
        self.basic_offsets = [le32(d + 8 + 4 * i) for i in range(<Py_ssize_t>(bot_len // 4))]
        pos = 8 + <Py_ssize_t>bot_len
        self.first_item = pos
        self.has_delimiter = False
        self.trailing = 0
        while pos < n:
            if n - pos < 8:
                raise FragmentError(f"truncated item header at byte {pos} of the encapsulated "
                                    f"Pixel Data: {n - pos} byte(s) left, 8 needed")
            if is_delimiter(d + pos):
                if le32(d + pos + 4) != 0:
                    raise FragmentError(f"the Sequence Delimitation Item at byte {pos} has "
                                        f"length {le32(d + pos + 4)}, not 0")
                self.has_delimiter = True
                pos += 8
                self.trailing = n - pos
                break
            if not is_item(d + pos):
                raise FragmentError(f"expected an item tag (FFFE,E000) at byte {pos} of the "
                                    f"encapsulated Pixel Data, found {tag_at(d + pos)}")
            frag_len = le32(d + pos + 4)
            if frag_len == 0xFFFFFFFF:
                raise FragmentError(f"fragment {count + 1} (item at byte {pos}) has an "
                                    "undefined length")
            if frag_len > <uint64_t>(n - pos - 8):
                raise FragmentError(f"fragment {count + 1} (item at byte {pos}) has length "
                                    f"{frag_len} but only {n - pos - 8} bytes follow: "
                                    "truncated Pixel Data")
            if count == cap:
                cap = 64 if cap == 0 else cap * 2
                grown = <Py_ssize_t*>PyMem_Realloc(self.item, cap * sizeof(Py_ssize_t))
                if grown == NULL:
                    raise MemoryError()
                self.item = grown
                grown = <Py_ssize_t*>PyMem_Realloc(self.length, cap * sizeof(Py_ssize_t))
                if grown == NULL:
                    raise MemoryError()
                self.length = grown
            self.item[count] = pos
            self.length[count] = <Py_ssize_t>frag_len
            count += 1
            self.fragment_count = count
            pos += 8 + <Py_ssize_t>frag_len
        self.end = pos

    # ------------------------------------------------------------------- fragments

    cdef inline void _check_index(self, Py_ssize_t i) except *:
        if i < 0 or i >= self.fragment_count:
            raise IndexError(f"fragment index {i} out of range (0-{self.fragment_count - 1})")

    def fragment(self, Py_ssize_t i):
        """Fragment ``i`` (0-based) as a memoryview into the data."""
        self._check_index(i)
        return self.view[self.item[i] + 8:self.item[i] + 8 + self.length[i]]

    def fragment_offset(self, Py_ssize_t i):
        """Byte offset of fragment ``i``'s item tag from the first fragment's item tag (what
        offset tables hold)."""
        self._check_index(i)
        return self.item[i] - self.first_item

    def fragment_length(self, Py_ssize_t i):
        self._check_index(i)
        return self.length[i]

    def fragments(self):
        """All fragments, as memoryviews."""
        return [self.view[self.item[i] + 8:self.item[i] + 8 + self.length[i]]
                for i in range(self.fragment_count)]

    def chunks(self, Py_ssize_t first, Py_ssize_t stop):
        """Fragments ``first`` to ``stop - 1`` as a list of memoryviews."""
        if first < 0 or stop > self.fragment_count or first >= stop:
            raise IndexError(f"fragment range {first}:{stop} out of range "
                             f"(0-{self.fragment_count})")
        return [self.view[self.item[i] + 8:self.item[i] + 8 + self.length[i]]
                for i in range(first, stop)]

    def join(self, Py_ssize_t first, Py_ssize_t stop):
        """Fragments ``first`` to ``stop - 1`` as one buffer: a memoryview for a single
        fragment (no copy), else new bytes."""
        if stop - first == 1:
            return self.fragment(first)
        return b"".join(self.chunks(first, stop))

    # ---------------------------------------------------------------------- frames

    cdef Py_ssize_t _find_item(self, uint64_t offset):
        """Index of the fragment whose item tag is at ``offset`` (from the first fragment's),
        or -1. Binary search: item offsets increase."""
        cdef Py_ssize_t lo = 0, hi = self.fragment_count - 1, mid
        cdef uint64_t at
        while lo <= hi:
            mid = (lo + hi) // 2
            at = <uint64_t>(self.item[mid] - self.first_item)
            if at == offset:
                return mid
            if at < offset:
                lo = mid + 1
            else:
                hi = mid - 1
        return -1

    cdef list _from_offsets(self, offsets, str what):
        """Frame ranges from offset-table values; raises FragmentError naming ``what``."""
        cdef Py_ssize_t k, idx, prev = -1
        cdef list starts = []
        for k, value in enumerate(offsets):
            if value < 0:
                raise FragmentError(f"{what} entry {k + 1} is negative")
            idx = self._find_item(<uint64_t>value)
            if idx < 0:
                raise FragmentError(f"{what} entry {k + 1} ({value}) does not point at the item "
                                    "tag of a fragment")
            if idx <= prev:
                raise FragmentError(f"{what} entry {k + 1} ({value}) is not after entry {k}")
            if k == 0 and idx != 0:
                raise FragmentError(f"{what} entry 1 is {value}, not 0: fragments before the "
                                    "first frame")
            starts.append(idx)
            prev = idx
        starts.append(self.fragment_count)
        return [(starts[k], starts[k + 1]) for k in range(len(starts) - 1)]

    cdef bint _starts_frame(self, Py_ssize_t i, int kind):
        cdef const uint8_t* d = <const uint8_t*>self.buf.buf
        cdef const uint8_t* p = d + self.item[i] + 8
        cdef Py_ssize_t m = self.length[i]
        cdef const uint8_t* q
        cdef Py_ssize_t pm
        cdef uint32_t nseg
        if kind == 3:               # RLE header
            if m < 64:
                return False
            nseg = le32(p)
            return 1 <= nseg <= 15 and le32(p + 4) == 64
        if kind == 1:
            if m < 2 or p[0] != 0xFF or p[1] != 0xD8:
                return False
        elif kind == 2:
            if not ((m >= 4 and p[0] == 0xFF and p[1] == 0x4F and p[2] == 0xFF and p[3] == 0x51)
                    or (m >= 12 and p[0] == 0 and p[1] == 0 and p[2] == 0 and p[3] == 12
                        and p[4] == 0x6A and p[5] == 0x50 and p[6] == 0x20 and p[7] == 0x20)):
                return False
        else:
            return False
        if i == 0:
            return True
        # the previous fragment must end the previous frame: EOI / EOC, maybe one 0x00 pad
        q = d + self.item[i - 1] + 8
        pm = self.length[i - 1]
        if pm >= 1 and q[pm - 1] == 0:
            pm -= 1
        return pm >= 2 and q[pm - 2] == 0xFF and q[pm - 1] == 0xD9

    def frames(self, Py_ssize_t number_of_frames, extended_offsets=None, extended_lengths=None,
               int kind=KIND_UNKNOWN):
        """Which fragments make up each frame: a list of ``(first, stop)`` fragment index
        ranges, one per frame.

        ``extended_offsets`` / ``extended_lengths``: the values of the Extended Offset Table and
        its lengths (sequences of int), used first when given. Then the BOT, if it has
        ``number_of_frames`` valid entries (an invalid BOT is noted in ``notes`` and ignored).
        Then: all fragments for one frame, one fragment per frame when the counts match, else
        frame starts found by the signatures of ``kind`` (``KIND_JPEG``, ``KIND_J2K``,
        ``KIND_RLE``). Raises :class:`FragmentError` when the frames cannot be found.
        """
        cdef Py_ssize_t nfrag = self.fragment_count, k, first, stop
        cdef list ranges, starts
        if number_of_frames < 1:
            raise FragmentError(f"Number of Frames is {number_of_frames}")
        if nfrag == 0:
            raise FragmentError("the encapsulated Pixel Data holds no fragments")
        if extended_offsets is not None:
            offsets = list(extended_offsets)
            if len(offsets) != number_of_frames:
                raise FragmentError(f"the Extended Offset Table has {len(offsets)} entries for "
                                    f"{number_of_frames} frame(s)")
            if self.basic_offsets:
                raise FragmentError("the Basic Offset Table is not empty although an Extended "
                                    "Offset Table is present (PS3.5 A.4)")
            ranges = self._from_offsets(offsets, "Extended Offset Table")
            if extended_lengths is not None:
                lengths = list(extended_lengths)
                if len(lengths) != number_of_frames:
                    raise FragmentError(f"the Extended Offset Table Lengths has {len(lengths)} "
                                        f"entries for {number_of_frames} frame(s)")
                for k in range(number_of_frames):
                    first, stop = ranges[k]
                    total = sum([self.length[j] for j in range(first, stop)])
                    if lengths[k] < 0 or lengths[k] > total:
                        raise FragmentError(f"Extended Offset Table Lengths entry {k + 1} "
                                            f"({lengths[k]}) exceeds the frame's {total} bytes")
            return ranges
        if self.basic_offsets:
            if len(self.basic_offsets) == number_of_frames:
                try:
                    return self._from_offsets(self.basic_offsets, "Basic Offset Table")
                except FragmentError as exc:
                    self.notes.append(f"{exc}; Basic Offset Table ignored")
            else:
                self.notes.append(f"the Basic Offset Table has {len(self.basic_offsets)} "
                                  f"entries for {number_of_frames} frame(s); ignored")
        if number_of_frames == 1:
            return [(0, nfrag)]
        if nfrag == number_of_frames:
            return [(k, k + 1) for k in range(nfrag)]
        if nfrag < number_of_frames:
            raise FragmentError(f"{nfrag} fragment(s) cannot hold {number_of_frames} frames")
        if kind == KIND_UNKNOWN:
            raise FragmentError(f"cannot tell which of the {nfrag} fragments belong to which of "
                                f"the {number_of_frames} frames: no usable offset table")
        starts = [k for k in range(nfrag) if self._starts_frame(k, kind)]
        if len(starts) != number_of_frames or starts[0] != 0:
            raise FragmentError(f"cannot tell which of the {nfrag} fragments belong to which of "
                                f"the {number_of_frames} frames: no usable offset table and "
                                f"{len(starts)} fragment(s) start a frame")
        starts.append(nfrag)
        return [(starts[k], starts[k + 1]) for k in range(number_of_frames)]


# ------------------------------------------------------------------------------ building

cdef struct Piece:
    const uint8_t* p
    Py_ssize_t n
    Py_ssize_t frame
    Py_ssize_t obj          # index into the Python list of source objects


cdef inline Py_ssize_t frame_fragments(Py_ssize_t total, Py_ssize_t npieces, Py_ssize_t mode) noexcept nogil:
    """Number of output fragments for a frame of ``total`` bytes given as ``npieces`` buffers."""
    if mode > 0:
        return 1 if total == 0 else (total + mode - 1) // mode
    if mode == 0:
        return npieces if npieces > 0 else 1
    return 1


def build(frames, Py_ssize_t max_fragment=0, bint basic_offsets=True,
          bint extended_offsets=False, contiguous=None):
    """Encapsulate ``frames`` into a new item sequence (the Pixel Data element value).

    ``frames``: a sequence with one entry per frame, each a bytes-like object or a list/tuple of
    bytes-like objects (the frame's data in pieces, e.g. its input fragments).

    ``max_fragment``: 0 -- each piece becomes one fragment (fragmentation kept); -1 -- one
    fragment per frame (pieces joined); N >= 2 -- each frame's data split into fragments of at
    most N bytes (N rounded down to even). A frame of odd total length gets a 0x00 pad byte
    (in its own last fragment for modes -1 and N; with mode 0 any odd piece is padded).

    ``basic_offsets``: fill the BOT with the offset of each frame's first item (else empty).
    ``extended_offsets``: also return the Extended Offset Table values (needs one fragment
    per frame, i.e. ``max_fragment=-1`` or frames of one piece each; the BOT is then empty).

    ``contiguous``: True -- the value as one bytes object; False -- a list of chunks (item
    headers as bytes, data as memoryviews into ``frames``); None -- chunks when there are at
    most 100000 fragments, else contiguous.

    Returns ``(value, offsets, lengths, eot, eot_lengths)``: ``value`` a bytes object or a list
    of chunks (BOT item first, Sequence Delimitation Item last), ``offsets`` each frame's first
    item offset from the first fragment's item tag, ``lengths`` each frame's fragment bytes
    (pad included), ``eot`` / ``eot_lengths`` the encoded 64-bit Extended Offset Table and
    Lengths values (bytes, or None without ``extended_offsets``). Raises :class:`FragmentError`
    when a BOT offset would not fit in 32 bits.
    """
    cdef Py_ssize_t nframes = len(frames)
    cdef Py_ssize_t mode = max_fragment
    cdef list objs = []
    cdef list counts = []
    cdef Py_ssize_t npieces = 0, i, j, k, f, cnt, total_frags = 0
    if mode > 0:
        if mode < 2:
            raise ValueError(f"max_fragment must be at least 2, not {max_fragment}")
        mode &= ~(<Py_ssize_t>1)
    elif mode < -1:
        raise ValueError(f"max_fragment must be -1, 0 or at least 2, not {max_fragment}")
    if extended_offsets:
        basic_offsets = False
    for frame in frames:
        if isinstance(frame, (list, tuple)):
            objs.extend(frame)
            counts.append(len(frame))
        else:
            objs.append(frame)
            counts.append(1)
    npieces = len(objs)

    cdef Py_buffer* bufs = <Py_buffer*>PyMem_Malloc((npieces if npieces else 1) * sizeof(Py_buffer))
    cdef Piece* pieces = <Piece*>PyMem_Malloc((npieces if npieces else 1) * sizeof(Piece))
    cdef Py_ssize_t* ftotal = <Py_ssize_t*>PyMem_Malloc((nframes if nframes else 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* fstart = <Py_ssize_t*>PyMem_Malloc((nframes + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* fnfrag = <Py_ssize_t*>PyMem_Malloc((nframes if nframes else 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* fbytes = <Py_ssize_t*>PyMem_Malloc((nframes if nframes else 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t* foffset = <Py_ssize_t*>PyMem_Malloc((nframes if nframes else 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t got = 0
    cdef Py_ssize_t pos, size, bot_size, value_size, frame_bytes, n, a, b, take, left
    cdef Py_ssize_t piece_index, piece_pos
    cdef uint8_t* out
    cdef uint8_t hdr[8]
    cdef bint pad
    if (bufs == NULL or pieces == NULL or ftotal == NULL or fstart == NULL or fnfrag == NULL
            or fbytes == NULL or foffset == NULL):
        PyMem_Free(bufs); PyMem_Free(pieces); PyMem_Free(ftotal); PyMem_Free(fstart)
        PyMem_Free(fnfrag); PyMem_Free(fbytes); PyMem_Free(foffset)
        raise MemoryError()
    try:
        # ---- the pieces, frame by frame
        k = 0
        for f in range(nframes):
            fstart[f] = k
            ftotal[f] = 0
            for j in range(<Py_ssize_t>counts[f]):
                PyObject_GetBuffer(objs[k], &bufs[k], PyBUF_SIMPLE)
                got += 1
                pieces[k].p = <const uint8_t*>bufs[k].buf
                pieces[k].n = bufs[k].len
                pieces[k].frame = f
                pieces[k].obj = k
                ftotal[f] += bufs[k].len
                k += 1
        fstart[nframes] = k

        # ---- sizes and offsets
        pos = 0
        for f in range(nframes):
            foffset[f] = pos
            cnt = counts[f]
            if mode == 0:
                frame_bytes = 0
                fnfrag[f] = cnt if cnt > 0 else 1
                for j in range(fstart[f], fstart[f + 1]):
                    frame_bytes += pieces[j].n + (pieces[j].n & 1)
            else:
                fnfrag[f] = frame_fragments(ftotal[f], cnt, mode)
                frame_bytes = ftotal[f] + (ftotal[f] & 1)
            if extended_offsets and fnfrag[f] != 1:
                raise FragmentError(f"frame {f + 1} would be in {fnfrag[f]} fragments: the "
                                    "Extended Offset Table needs one fragment per frame")
            fbytes[f] = frame_bytes
            pos += 8 * fnfrag[f] + frame_bytes
            total_frags += fnfrag[f]
        value_size = pos
        if basic_offsets:
            for f in range(nframes):
                if <uint64_t>foffset[f] > MAX_BOT:
                    raise FragmentError(f"frame {f + 1} starts at byte {foffset[f]}, beyond the "
                                        "32-bit Basic Offset Table; use an empty BOT or the "
                                        "Extended Offset Table")
        bot_size = 4 * nframes if basic_offsets else 0
        size = 8 + bot_size + value_size + 8

        offsets = [foffset[f] for f in range(nframes)]
        lengths = [fbytes[f] for f in range(nframes)]
        eot = eot_lengths = None
        if extended_offsets:
            eot = PyBytes_FromStringAndSize(NULL, 8 * nframes)
            eot_lengths = PyBytes_FromStringAndSize(NULL, 8 * nframes)
            for f in range(nframes):
                put_le64(<uint8_t*>PyBytes_AS_STRING(eot) + 8 * f, <uint64_t>foffset[f])
                put_le64(<uint8_t*>PyBytes_AS_STRING(eot_lengths) + 8 * f, <uint64_t>fbytes[f])

        for f in range(nframes):       # every item length must fit 32 bits (and be even)
            if mode == 0:
                for j in range(fstart[f], fstart[f + 1]):
                    if pieces[j].n > 0xFFFFFFFE:
                        raise FragmentError(f"frame {f + 1} has a fragment of {pieces[j].n} "
                                            "bytes, too long for an item")
            else:
                n = mode if (mode > 0 and ftotal[f] > mode) else ftotal[f]
                if n + (n & 1) > 0xFFFFFFFE:
                    raise FragmentError(f"frame {f + 1} would need a fragment of {n} bytes, too "
                                        "long for an item; split it into smaller fragments")

        if contiguous is None:
            contiguous = total_frags > 100000
        if contiguous:
            value = PyBytes_FromStringAndSize(NULL, size)
            out = <uint8_t*>PyBytes_AS_STRING(value)
            put_item_header(out, <uint32_t>bot_size)
            pos = 8
            if basic_offsets:
                for f in range(nframes):
                    put_le32(out + pos, <uint32_t>foffset[f])
                    pos += 4
            for f in range(nframes):
                _write_frame(out, &pos, pieces + fstart[f], fstart[f + 1] - fstart[f],
                             ftotal[f], mode)
            out[pos] = 0xFE
            out[pos + 1] = 0xFF
            out[pos + 2] = 0xDD
            out[pos + 3] = 0xE0
            put_le32(out + pos + 4, 0)
            pos += 8
            if pos != size:
                raise AssertionError(f"built {pos} bytes, expected {size}")
            return value, offsets, lengths, eot, eot_lengths

        # ---- chunks: small headers collected in `small`, data as memoryviews
        chunks = []
        small = bytearray()
        put_item_header(hdr, <uint32_t>bot_size)
        small += hdr[:8]
        if basic_offsets:
            for f in range(nframes):
                put_le32(hdr, <uint32_t>foffset[f])
                small += hdr[:4]
        views = [None] * npieces
        for f in range(nframes):
            if mode == 0:
                if fstart[f] == fstart[f + 1]:
                    put_item_header(hdr, 0)
                    small += hdr[:8]
                for j in range(fstart[f], fstart[f + 1]):
                    n = pieces[j].n
                    put_item_header(hdr, <uint32_t>(n + (n & 1)))
                    small += hdr[:8]
                    if n:
                        chunks.append(bytes(small))
                        small = bytearray()
                        chunks.append(_view(views, objs, j))
                    if n & 1:
                        small.append(0)
                continue
            left = ftotal[f]
            piece_index = fstart[f]
            piece_pos = 0
            for k in range(fnfrag[f]):
                if mode > 0:
                    take = mode if left > mode else left
                else:
                    take = left
                pad = (take & 1) == 1
                put_item_header(hdr, <uint32_t>(take + pad))
                small += hdr[:8]
                left -= take
                while take > 0:
                    while pieces[piece_index].n - piece_pos == 0:
                        piece_index += 1
                        piece_pos = 0
                    a = piece_pos
                    b = pieces[piece_index].n
                    if b - a > take:
                        b = a + take
                    chunks.append(bytes(small))
                    small = bytearray()
                    view = _view(views, objs, piece_index)
                    chunks.append(view if (a == 0 and b == pieces[piece_index].n) else view[a:b])
                    take -= b - a
                    piece_pos = b
                if pad:
                    small.append(0)
        small += b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
        chunks.append(bytes(small))
        return chunks, offsets, lengths, eot, eot_lengths
    finally:
        for k in range(got):
            PyBuffer_Release(&bufs[k])
        PyMem_Free(bufs)
        PyMem_Free(pieces)
        PyMem_Free(ftotal)
        PyMem_Free(fstart)
        PyMem_Free(fnfrag)
        PyMem_Free(fbytes)
        PyMem_Free(foffset)


cdef object _view(list views, list objs, Py_ssize_t j):
    v = views[j]
    if v is None:
        v = memoryview(objs[j])
        if v.ndim != 1 or v.itemsize != 1 or v.format not in ("B", "b", "c"):
            v = v.cast("B") if v.c_contiguous else memoryview(bytes(v))
        views[j] = v
    return v


cdef void _write_frame(uint8_t* out, Py_ssize_t* pos_, Piece* pieces, Py_ssize_t npieces,
                       Py_ssize_t total, Py_ssize_t mode) noexcept nogil:
    """Write one frame's items at out + pos_[0] (sizes already checked by the caller)."""
    cdef Py_ssize_t pos = pos_[0], j, take, left, a, b, k, nfr, c
    cdef Py_ssize_t pi = 0, pp = 0
    cdef bint pad
    if mode == 0:
        if npieces == 0:
            put_item_header(out + pos, 0)
            pos += 8
        for j in range(npieces):
            put_item_header(out + pos, <uint32_t>(pieces[j].n + (pieces[j].n & 1)))
            pos += 8
            if pieces[j].n:
                memcpy(out + pos, pieces[j].p, <size_t>pieces[j].n)
            pos += pieces[j].n
            if pieces[j].n & 1:
                out[pos] = 0
                pos += 1
        pos_[0] = pos
        return
    nfr = frame_fragments(total, npieces, mode)
    left = total
    for k in range(nfr):
        take = (mode if left > mode else left) if mode > 0 else left
        pad = (take & 1) == 1
        put_item_header(out + pos, <uint32_t>(take + pad))
        pos += 8
        left -= take
        while take > 0:
            while pieces[pi].n - pp == 0:
                pi += 1
                pp = 0
            c = pieces[pi].n - pp
            if c > take:
                c = take
            memcpy(out + pos, pieces[pi].p + pp, <size_t>c)
            pos += c
            pp += c
            take -= c
        if pad:
            out[pos] = 0
            pos += 1
    pos_[0] = pos
