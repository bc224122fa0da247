"""Frame-by-frame decoding of a dataset's Pixel Data, whatever its transfer syntax.

:class:`FrameSource` finds where each frame is (native: by size; encapsulated: the native
:mod:`dicomconv._native.fragments` parser, from the Extended Offset Table, the Basic Offset
Table or the frame start signatures) and decodes one frame at a time without touching the
others. :func:`decode_frame` / :func:`iter_frames` are the convenience functions::

    from dicomconv.codecs.decode import decode_frame, iter_frames, FrameSource
    arr = decode_frame(ds, 0)                 # (rows, columns[, samples]) numpy array
    for arr in iter_frames(ds, as_rgb=True):  # YBR_FULL converted to RGB for display
        ...

Decoders, and what they return (``FrameSource.photometric`` is the Photometric Interpretation
of the decoded samples):

============================  ==================================  ===============================
Transfer syntax               Decoder                             Decoded samples
============================  ==================================  ===============================
Implicit / Explicit VR LE,    none (the stored samples); big      as stored; YBR_FULL_422 (2
Deflated, Explicit VR BE,     endian byte-swapped; Bits           samples per pixel, chroma
Encapsulated Uncompressed     Allocated 1 unpacked                shared) expanded → YBR_FULL
RLE Lossless                  dicomconv (native/rle.pyx)          as stored
JPEG Baseline / Extended /    pylibjpeg-libjpeg, no colour        the coded components: YCbCr
Progressive / Lossless (SV1)  transform                           stays YCbCr (→ YBR_FULL, chroma
                                                                  upsampled), RGB stays RGB
JPEG-LS Lossless / Near-      pylibjpeg-libjpeg                   the coded components (RGB /
Lossless                                                          YBR_FULL / MONOCHROME*)
JPEG 2000 (Lossless), HTJ2K   pylibjpeg-openjpeg                  YBR_RCT / YBR_ICT → RGB (the
                                                                  inverse component transform
                                                                  is applied); others as stored
============================  ==================================  ===============================

For JPEG and JPEG-LS the stored value is first checked against the stream as pydicom does:
component identifiers 'R','G','B' mean RGB, a JFIF APP0 segment means YCbCr. Decoded frames are
interleaved (colour-by-pixel) unless asked otherwise; samples are little endian in a container
of Bits Allocated bits.

:meth:`FrameSource.native` returns the decoder's samples as they are (bit-exact for native and
RLE input: unused high bits are kept); :meth:`FrameSource.decode` / :func:`decode_frame` by
default also make the values what pydicom's ``pixel_array`` gives: bits above Bits Stored
cleared or sign-extended (native, RLE, JPEG), JPEG 2000 signedness made to match Pixel
Representation, JPEG-LS signed samples sign-extended.

Errors: :class:`DecodeError` (exit 21) for data that cannot be decoded, and
:class:`UnsupportedPixelDataError` (exit 22) for transfer syntaxes or pixel descriptions we do
not decode (or a missing decoder package).
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, UnsupportedInputError

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["FrameSource", "decode_frame", "iter_frames", "DecodeError",
           "UnsupportedPixelDataError", "transfer_syntax_kind", "is_lossy_syntax"]

# ------------------------------------------------------------------------ transfer syntaxes

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"

NATIVE = {IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE}
JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55",
        "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}
JPEG_LS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
J2K = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}
HTJ2K = {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}
# MPEG-2, MPEG-4, HEVC and the JPIP referenced syntaxes: one stream for all frames, or no pixels
VIDEO_OR_REFERENCED = {"1.2.840.10008.1.2.4.94", "1.2.840.10008.1.2.4.95",
                       "1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.4.100.1",
                       "1.2.840.10008.1.2.4.101", "1.2.840.10008.1.2.4.101.1",
                       "1.2.840.10008.1.2.4.102", "1.2.840.10008.1.2.4.102.1",
                       "1.2.840.10008.1.2.4.103", "1.2.840.10008.1.2.4.103.1",
                       "1.2.840.10008.1.2.4.104", "1.2.840.10008.1.2.4.104.1",
                       "1.2.840.10008.1.2.4.105", "1.2.840.10008.1.2.4.105.1",
                       "1.2.840.10008.1.2.4.106", "1.2.840.10008.1.2.4.106.1",
                       "1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108",
                       "1.2.840.10008.1.2.4.204", "1.2.840.10008.1.2.4.205"}

# Lossy by definition (DCT processes) and possibly lossy (lossless unless (0028,2110) says so)
ALWAYS_LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.55"}
MAYBE_LOSSY = {"1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203"}

# (0028,2114) Lossy Image Compression Method, PS3.3 C.7.6.1.1.5.1
COMPRESSION_METHOD = {**{uid: "ISO_10918_1" for uid in JPEG}, **{uid: "ISO_14495_1" for uid in JPEG_LS},
                      **{uid: "ISO_15444_1" for uid in J2K}, **{uid: "ISO_15444_15" for uid in HTJ2K}}


class DecodeError(InputError):
    """A frame's data cannot be decoded (corrupt or inconsistent with the dataset)."""


class UnsupportedPixelDataError(UnsupportedInputError):
    """Pixel data we do not decode: transfer syntax, pixel description or missing decoder."""


def transfer_syntax_kind(uid: str) -> str:
    """"native", "rle", "jpeg", "jpegls", "j2k", "uncompressed" (encapsulated uncompressed),
    "other" (encapsulated, not decoded) or "unknown"."""
    if uid in NATIVE:
        return "native"
    if uid == RLE_LOSSLESS:
        return "rle"
    if uid in JPEG:
        return "jpeg"
    if uid in JPEG_LS:
        return "jpegls"
    if uid in J2K or uid in HTJ2K:
        return "j2k"
    if uid == ENCAPSULATED_UNCOMPRESSED:
        return "uncompressed"
    if uid.startswith("1.2.840.10008.1.2.4."):
        return "other"
    return "unknown"


def is_lossy_syntax(uid: str, lossy_image_compression: str | None = None) -> bool:
    """True if pixel data in transfer syntax ``uid`` has been through lossy compression: the
    DCT JPEG processes always; JPEG-LS near-lossless, JPEG 2000 and HTJ2K (which may be either)
    unless Lossy Image Compression (0028,2110) is "00"; MPEG-family video always."""
    if uid in ALWAYS_LOSSY:
        return True
    if uid in MAYBE_LOSSY:
        return (lossy_image_compression or "").strip() != "00"
    return uid in VIDEO_OR_REFERENCED


# --------------------------------------------------------------------- stream headers

def _jpeg_header(data) -> dict[str, Any]:
    """What the JPEG / JPEG-LS frame header says: ``precision``, ``rows``, ``columns``,
    ``component_ids``, ``jfif`` (APP0 JFIF present), ``adobe`` (APP14 transform or None),
    ``near`` (JPEG-LS NEAR of the first scan). Markers are walked up to the first SOS; every
    length is checked. Raises DecodeError."""
    d = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    n = len(d)
    if n < 4 or d[0] != 0xFF or d[1] != 0xD8:
        raise DecodeError("not a JPEG stream: no SOI marker (FF D8) at the start of the frame")
    info: dict[str, Any] = {"jfif": False, "adobe": None, "component_ids": [], "near": None}
    pos = 2
    while True:
        while pos < n and d[pos] == 0xFF and pos + 1 < n and d[pos + 1] == 0xFF:
            pos += 1                                 # fill bytes
        if pos + 4 > n or d[pos] != 0xFF:
            raise DecodeError(f"corrupt JPEG stream: no marker segment at byte {pos}")
        marker = d[pos + 1]
        length = (d[pos + 2] << 8) | d[pos + 3]
        if marker in (0xD9, 0x01) or 0xD0 <= marker <= 0xD7 or length < 2 or pos + 2 + length > n:
            raise DecodeError(f"corrupt JPEG stream: bad marker segment FF {marker:02X} at byte {pos}")
        p = pos + 4
        payload = bytes(d[p:pos + 2 + length])
        if (0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)) or marker == 0xF7:
            if len(payload) < 6:
                raise DecodeError(f"corrupt JPEG stream: short frame header at byte {pos}")
            nf = payload[5]
            if len(payload) < 6 + 3 * nf:
                raise DecodeError(f"corrupt JPEG stream: frame header at byte {pos} is too short")
            info.update(sof=marker, precision=payload[0], rows=(payload[1] << 8) | payload[2],
                        columns=(payload[3] << 8) | payload[4],
                        component_ids=[payload[6 + 3 * i] for i in range(nf)])
        elif marker == 0xE0 and payload[:5] == b"JFIF\0":
            info["jfif"] = True
        elif marker == 0xEE and payload[:5] == b"Adobe" and len(payload) >= 12:
            info["adobe"] = payload[11]
        elif marker == 0xDA:
            if "sof" not in info:
                raise DecodeError("corrupt JPEG stream: a scan before the frame header")
            ns = payload[0] if payload else 0
            if info["sof"] == 0xF7 and len(payload) >= 1 + 2 * ns + 1:
                info["near"] = payload[1 + 2 * ns]
            return info
        pos += 2 + length


def _fix_sequential_scans(data: bytes) -> bytes | None:
    """``data`` with the Se field of every scan header set to 63 when the frame is sequential
    DCT (SOF0 / SOF1) and some scan has Ss = 0 and Se != 63 -- a known encoder bug that
    strict decoders (libjpeg) refuse and lenient ones (IJG 6b in DCMTK and GDCM) ignore, since
    Se has no meaning for sequential DCT. None when there is nothing to fix."""
    d = bytearray(data)
    n = len(d)
    pos, sof, patched = 2, None, False
    while pos + 4 <= n:
        if d[pos] != 0xFF:
            return None
        marker = d[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = (d[pos + 2] << 8) | d[pos + 3]
        end = pos + 2 + length
        if length < 2 or end > n:
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            sof = marker
        elif marker == 0xDA:
            if sof not in (0xC0, 0xC1) or length < 6:
                return None
            ns = d[pos + 4]
            ss_at = pos + 5 + 2 * ns
            if ss_at + 1 >= end:
                return None
            if d[ss_at] == 0 and d[ss_at + 1] != 63:
                d[ss_at + 1] = 63
                patched = True
            # skip the entropy-coded data: up to the next marker other than RSTn / stuffing
            pos = end
            while True:
                pos = d.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return bytes(d) if patched else None
                code = d[pos + 1]
                if code == 0 or 0xD0 <= code <= 0xD7:
                    pos += 2
                elif code == 0xFF:
                    pos += 1
                else:
                    break
            continue
        pos = end
    return bytes(d) if patched else None


def _j2k_header(data) -> dict[str, Any]:
    """``precision``, ``signed`` (of component 0), ``rows``, ``columns``, ``components`` and
    ``mct`` (COD multiple component transform) of a JPEG 2000 codestream (or JP2 file: the
    codestream is found by its SOC+SIZ markers). Raises DecodeError."""
    d = bytes(data[:65536]) if len(data) > 65536 else bytes(data)
    start = 0 if d[:4] == b"\xff\x4f\xff\x51" else d.find(b"\xff\x4f\xff\x51")
    if start < 0:
        raise DecodeError("not a JPEG 2000 codestream: no SOC and SIZ markers (FF 4F FF 51)")
    p = start + 4
    if p + 40 > len(d):
        raise DecodeError("truncated JPEG 2000 codestream: the SIZ segment is cut off")
    lsiz, _rsiz, xsiz, ysiz, xo, yo = struct.unpack(">HHIIII", d[p:p + 20])
    csiz = struct.unpack(">H", d[p + 36:p + 38])[0]
    if csiz < 1 or p + 38 + 3 * csiz > len(d) or lsiz != 38 + 3 * csiz:
        raise DecodeError("corrupt JPEG 2000 codestream: bad SIZ segment")
    ssiz = d[p + 38]
    info = {"precision": (ssiz & 0x7F) + 1, "signed": bool(ssiz & 0x80), "rows": ysiz - yo,
            "columns": xsiz - xo, "components": csiz, "mct": None}
    q = p + lsiz
    while q + 4 <= len(d) and d[q] == 0xFF:          # main header segments up to COD
        marker, length = d[q + 1], struct.unpack(">H", d[q + 2:q + 4])[0]
        if marker == 0x52 and q + 9 <= len(d):       # COD: Scod, SGcod (order, layers(2), MCT)
            info["mct"] = d[q + 8]
            break
        if marker in (0x90, 0x93) or length < 2:     # SOT / SOD: tile data
            break
        q += 2 + length
    return info


# -------------------------------------------------------------------------- frames

def _container(bits_allocated: int, signed: bool) -> np.dtype:
    return np.dtype(f"<{'i' if signed else 'u'}{bits_allocated // 8}")


class FrameSource:
    """The frames of a dataset's Pixel Data, decoded one at a time.

    ``FrameSource(ds)``: ``ds`` a pydicom Dataset with (7FE0,0010) Pixel Data and the Image
    Pixel attributes; the transfer syntax comes from ``ds.file_meta`` (or ``transfer_syntax``).
    Raises :class:`UnsupportedPixelDataError` or :class:`DecodeError` (both InputErrors) when
    the pixel data cannot be read. ``pixel_data``: the Pixel Data value to use instead of
    ``ds.PixelData`` (e.g. a memoryview into the memory-mapped file; encapsulated data may be
    followed by anything after its Sequence Delimitation Item).

    Attributes: ``transfer_syntax``, ``kind`` (see :func:`transfer_syntax_kind`),
    ``is_encapsulated``, ``number_of_frames``, ``rows``, ``columns``, ``samples_per_pixel``,
    ``bits_allocated``, ``bits_stored``, ``pixel_representation``, ``stored_photometric``,
    ``stored_planar_configuration``, ``photometric`` (of the decoded samples), ``lossy`` (the
    encoding is lossy), ``compression_method``, ``frame_length`` (bytes of one decoded frame),
    ``stored_length`` (bytes of pixel data as stored: native value or all fragments),
    ``encapsulated`` (the parsed :class:`~dicomconv._native.fragments.Encapsulated`, or None),
    ``frame_ranges`` (fragment ranges per frame), ``notes``.
    """

    def __init__(self, ds: Dataset, transfer_syntax: str | None = None, *,
                 pixel_data=None) -> None:
        if transfer_syntax is None:
            meta = getattr(ds, "file_meta", None)
            transfer_syntax = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
            if transfer_syntax is None:
                raise UnsupportedPixelDataError("no Transfer Syntax UID (0002,0010) in the file "
                                                "meta information")
        self.ds = ds
        self._given_pixel_data = pixel_data
        self.transfer_syntax = ts = str(transfer_syntax)
        self.kind = transfer_syntax_kind(ts)
        self.notes: list[str] = []
        if 0x7FE00010 not in ds:
            for keyword in ("FloatPixelData", "DoubleFloatPixelData"):
                if keyword in ds:
                    raise UnsupportedPixelDataError(f"{keyword} is not supported, only (7FE0,0010) "
                                                    "Pixel Data")
            raise InputError("the dataset has no Pixel Data (7FE0,0010)")
        try:
            self.rows = int(ds.Rows)
            self.columns = int(ds.Columns)
            self.bits_allocated = int(ds.BitsAllocated)
            self.samples_per_pixel = int(ds.get("SamplesPerPixel", 1) or 1)
            self.bits_stored = int(ds.get("BitsStored", self.bits_allocated) or self.bits_allocated)
            self.pixel_representation = int(ds.get("PixelRepresentation", 0) or 0)
            self.stored_photometric = str(ds.get("PhotometricInterpretation", "") or "").strip()
            self.stored_planar_configuration = int(ds.get("PlanarConfiguration", 0) or 0)
            self.number_of_frames = int(ds.get("NumberOfFrames", 1) or 1)
        except (AttributeError, ValueError, TypeError) as exc:
            raise InputError(f"invalid or missing Image Pixel attribute: {exc}") from None
        if self.rows < 1 or self.columns < 1:
            raise InputError(f"Rows {self.rows} / Columns {self.columns}: no pixels")
        if self.number_of_frames < 1:
            raise InputError(f"Number of Frames is {self.number_of_frames}")
        if self.samples_per_pixel not in (1, 3, 4):
            raise UnsupportedPixelDataError(f"Samples per Pixel {self.samples_per_pixel} is not "
                                            "supported")
        if self.bits_allocated not in (1, 8, 16, 32, 64):
            raise UnsupportedPixelDataError(f"Bits Allocated {self.bits_allocated} is not supported")
        if not 1 <= self.bits_stored <= self.bits_allocated:
            raise InputError(f"Bits Stored {self.bits_stored} does not fit Bits Allocated "
                             f"{self.bits_allocated}")
        if self.stored_planar_configuration not in (0, 1):
            raise InputError(f"Planar Configuration {self.stored_planar_configuration} is not 0 or 1")
        self.lossy = is_lossy_syntax(ts, ds.get("LossyImageCompression"))
        self.compression_method = COMPRESSION_METHOD.get(ts)
        self.is_encapsulated = self.kind not in ("native", "unknown")
        self.encapsulated = None
        self.frame_ranges: list[tuple[int, int]] = []
        self._native_le = None
        self._ybr422 = (self.kind == "native" and self.stored_photometric == "YBR_FULL_422"
                        and self.samples_per_pixel == 3)
        if self.kind == "unknown":
            raise UnsupportedPixelDataError(f"unknown transfer syntax {ts}")
        if self.bits_allocated == 1 and self.kind != "native":
            raise UnsupportedPixelDataError("Bits Allocated 1 is only supported in native "
                                            "(uncompressed) transfer syntaxes")
        self.frame_length = (self.rows * self.columns * self.samples_per_pixel
                             * max(self.bits_allocated, 8) // 8)
        if self.is_encapsulated:
            self._init_encapsulated()
        else:
            self._init_native()
        self.photometric = self._decoded_photometric()

    # -------------------------------------------------------------------- set-up

    def _init_native(self) -> None:
        value = self._pixel_value()
        self._pixel_data = value
        self.stored_length = len(value)
        if self.bits_allocated == 1:
            need = (self.rows * self.columns * self.samples_per_pixel * self.number_of_frames + 7) // 8
            self._stored_frame_length = 0
        else:
            stored = self.frame_length
            if self._ybr422:
                stored = stored * 2 // 3
            self._stored_frame_length = stored
            need = stored * self.number_of_frames
        if len(value) < need:
            raise InputError(f"Pixel Data has {len(value)} bytes but {self.number_of_frames} "
                             f"frame(s) of {self.rows} x {self.columns} x {self.samples_per_pixel} "
                             f"samples of {self.bits_allocated} bits need {need}")
        if len(value) > need + 1:
            self.notes.append(f"Pixel Data has {len(value) - need} byte(s) more than the frames "
                              "need; ignored")
        if self._ybr422 and (self.bits_allocated != 8 or self.columns % 2
                             or self.stored_planar_configuration):
            raise UnsupportedPixelDataError("native YBR_FULL_422 needs 8 bits, an even number of "
                                            "columns and Planar Configuration 0")

    def _init_encapsulated(self) -> None:
        ts = self.transfer_syntax
        if self.kind == "other":
            from pydicom.uid import UID

            name = UID(ts).name
            if ts in VIDEO_OR_REFERENCED:
                raise UnsupportedPixelDataError(f"{name} pixel data is not supported (one stream "
                                                "for all frames, or referenced pixel data)")
            raise UnsupportedPixelDataError(f"{name} pixel data is not supported")
        from .._native.fragments import (KIND_J2K, KIND_JPEG, KIND_RLE, KIND_UNKNOWN,
                                         Encapsulated, FragmentError)

        value = self._pixel_value()
        try:
            self.encapsulated = enc = Encapsulated(value)
        except FragmentError as exc:
            raise DecodeError(f"encapsulated Pixel Data: {exc}") from None
        eot = eot_lengths = None
        if "ExtendedOffsetTable" in self.ds:
            eot = _unpack_u64(self.ds.ExtendedOffsetTable, "Extended Offset Table")
            if "ExtendedOffsetTableLengths" in self.ds:
                eot_lengths = _unpack_u64(self.ds.ExtendedOffsetTableLengths,
                                          "Extended Offset Table Lengths")
        kind = {"jpeg": KIND_JPEG, "jpegls": KIND_JPEG, "j2k": KIND_J2K,
                "rle": KIND_RLE}.get(self.kind, KIND_UNKNOWN)
        try:
            self.frame_ranges = enc.frames(self.number_of_frames, eot, eot_lengths, kind)
        except FragmentError as exc:
            raise DecodeError(f"encapsulated Pixel Data: {exc}") from None
        self.notes.extend(enc.notes)
        self.stored_length = sum(enc.fragment_length(i) for i in range(enc.fragment_count))
        if enc.trailing and self._given_pixel_data is None:
            self.notes.append(f"{enc.trailing} byte(s) after the Sequence Delimitation Item "
                              "ignored")

    def _pixel_value(self):
        """The Pixel Data value: the buffer given to the constructor (e.g. a memoryview of the
        memory-mapped file; for encapsulated data it may run on past the Sequence Delimitation
        Item) or the dataset's."""
        elem = self.ds.get_item(0x7FE00010, keep_deferred=True)
        self._pixel_vr = elem.VR
        value = self._given_pixel_data
        if value is None:
            value = self.ds.PixelData
        if value is None or len(value) == 0:
            raise InputError("Pixel Data (7FE0,0010) is empty")
        return value

    def _decoded_photometric(self) -> str:
        pi = self.stored_photometric
        if self.kind == "native" and self._ybr422:
            return "YBR_FULL"
        if self.kind in ("jpeg", "jpegls") and self.samples_per_pixel == 3:
            try:
                info = _jpeg_header(self.encoded(0))
            except DecodeError:
                info = {}
            ids = info.get("component_ids")
            if ids in ([82, 71, 66], [114, 103, 98]) and pi != "RGB":
                self.notes.append(f"Photometric Interpretation {pi} but the JPEG components are "
                                  "'R','G','B': RGB")
                pi = "RGB"
            elif info.get("jfif") and "YBR" not in pi:
                self.notes.append(f"Photometric Interpretation {pi} but the JPEG stream has a JFIF "
                                  "APP0 segment: YBR_FULL")
                pi = "YBR_FULL"
            if pi in ("YBR_FULL_422", "YBR_PARTIAL_422", "YBR_PARTIAL_420"):
                # libjpeg upsamples the chroma: full-resolution YCbCr
                pi = "YBR_FULL" if pi == "YBR_FULL_422" else pi
        elif self.kind == "j2k" and pi in ("YBR_RCT", "YBR_ICT"):
            pi = "RGB"         # openjpeg applies the inverse component transform
        return pi

    # ------------------------------------------------------------------- access

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one decoded (interleaved) frame."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    @property
    def dtype(self) -> np.dtype:
        """Sample type of decoded frames (Bits Allocated container, signed per Pixel
        Representation; uint8 for Bits Allocated 1)."""
        if self.bits_allocated == 1:
            return np.dtype(np.uint8)
        return _container(self.bits_allocated, self.pixel_representation == 1)

    def _check_index(self, index: int) -> int:
        if not -self.number_of_frames <= index < self.number_of_frames:
            raise IndexError(f"frame index {index} out of range for {self.number_of_frames} "
                             "frame(s)")
        return index % self.number_of_frames

    def fragments(self, index: int) -> list:
        """The fragments of encapsulated frame ``index`` (memoryviews into the Pixel Data)."""
        index = self._check_index(index)
        if self.encapsulated is None:
            raise ValueError("native pixel data has no fragments")
        first, stop = self.frame_ranges[index]
        return self.encapsulated.chunks(first, stop)

    def encoded(self, index: int):
        """Frame ``index`` as stored: the encapsulated frame (its fragments joined; a
        memoryview when it is one fragment) or the native frame's bytes (a memoryview; not for
        Bits Allocated 1)."""
        index = self._check_index(index)
        if self.encapsulated is not None:
            first, stop = self.frame_ranges[index]
            return self.encapsulated.join(first, stop)
        if self.bits_allocated == 1:
            raise ValueError("Bits Allocated 1 frames are not byte-aligned")
        start = index * self._stored_frame_length
        return memoryview(self._pixel_data)[start:start + self._stored_frame_length]

    def native(self, index: int, planar_configuration: int = 0, correct: bool = False):
        """Frame ``index`` decoded to little-endian samples in a Bits Allocated container,
        interleaved (``planar_configuration`` 0) or colour-by-plane (1): a buffer (memoryview
        into the input when no conversion is needed, else a numpy array). Bits Allocated 1:
        one uint8 0/1 per sample.

        ``correct`` False: what the decoder gives (unused high bits of native and RLE samples
        kept, bit-exact). True: the values :meth:`decode` gives (see the module docstring)."""
        index = self._check_index(index)
        planar = planar_configuration if self.samples_per_pixel > 1 else 0
        if correct and self.bits_allocated > 1:
            arr = self._correct(index, self._interleaved(self.native(index, 0)))
            return self._layout(arr, planar)
        kind = self.kind
        if kind == "native":
            return self._native_frame(index, planar)
        if kind == "rle":
            from .rle import RLEError, decode_frame as rle_decode

            try:
                return rle_decode(self.encoded(index), self.rows, self.columns,
                                  self.samples_per_pixel, self.bits_allocated,
                                  planar_configuration=planar)
            except RLEError as exc:
                raise DecodeError(f"frame {index + 1}: {exc}") from None
            except ValueError as exc:
                raise UnsupportedPixelDataError(f"RLE Lossless: {exc}") from None
        if kind == "uncompressed":
            data = self.encoded(index)
            if len(data) < self.frame_length:
                raise DecodeError(f"frame {index + 1} has {len(data)} bytes, "
                                  f"{self.frame_length} expected")
            arr = np.frombuffer(data, np.uint8, self.frame_length)
            stored = self.stored_planar_configuration if self.samples_per_pixel > 1 else 0
            return self._layout(arr.view(self.dtype).reshape(self._stored_shape()), planar, stored)
        arr = self._decode_compressed(index)
        return self._layout(arr, planar)

    def _stored_shape(self) -> tuple[int, ...]:
        if self.samples_per_pixel == 1:
            return self.shape
        if self.stored_planar_configuration:
            return (self.samples_per_pixel, self.rows, self.columns)
        return self.shape

    def _layout(self, arr: np.ndarray, planar: int, stored_planar: int = 0):
        """``arr`` (interleaved (rows, cols, spp), or (spp, rows, cols) when ``stored_planar``)
        as a C-contiguous array in the wanted planar configuration."""
        if self.samples_per_pixel > 1 and planar != stored_planar:
            arr = arr.transpose(1, 2, 0) if stored_planar else arr.transpose(2, 0, 1)
        return np.ascontiguousarray(arr)

    def _native_frame(self, index: int, planar: int):
        if self.bits_allocated == 1:
            return self._unpack_bits(index, planar)
        data = self._pixel_data
        if self.transfer_syntax == EXPLICIT_BE:
            data = self._little_endian()
        start = index * self._stored_frame_length
        view = memoryview(data)[start:start + self._stored_frame_length]
        if self._ybr422:
            src = np.frombuffer(view, np.uint8).reshape(-1, 4)
            out = np.empty((src.shape[0], 2, 3), np.uint8)
            out[:, 0, 0] = src[:, 0]
            out[:, 1, 0] = src[:, 1]
            out[:, :, 1] = src[:, 2:3]
            out[:, :, 2] = src[:, 3:4]
            return self._layout(out.reshape(self.shape), planar)
        stored = self.stored_planar_configuration if self.samples_per_pixel > 1 else 0
        if planar == stored:
            return view
        arr = np.frombuffer(view, self.dtype).reshape(self._stored_shape())
        return self._layout(arr, planar, stored)

    def _little_endian(self):
        """The whole big-endian Pixel Data byte-swapped to little endian (once)."""
        if self._native_le is None:
            data = self._pixel_data
            bits = self.bits_allocated
            if bits == 8 and self._pixel_vr == "OW":
                bits = 16       # 8-bit samples in OW words: the words are big endian
            if bits == 8:
                self._native_le = data
            else:
                size = bits // 8
                whole = len(data) // size * size
                self._native_le = np.frombuffer(data, f">u{size}", whole // size).astype(
                    f"<u{size}").tobytes() + bytes(data[whole:])
        return self._native_le

    def _unpack_bits(self, index: int, planar: int):
        count = self.rows * self.columns * self.samples_per_pixel
        first = index * count
        data = self._pixel_data
        if self.transfer_syntax == EXPLICIT_BE and self._pixel_vr == "OW":
            data = self._little_endian_words(data)
        start, stop = first // 8, (first + count + 7) // 8
        bits = np.unpackbits(np.frombuffer(data, np.uint8, stop - start, start), bitorder="little")
        arr = bits[first - start * 8:first - start * 8 + count]
        return self._layout(arr.reshape(self._stored_shape()), planar,
                            self.stored_planar_configuration if self.samples_per_pixel > 1 else 0)

    @staticmethod
    def _little_endian_words(data):
        whole = len(data) // 2 * 2
        return np.frombuffer(data, ">u2", whole // 2).astype("<u2").tobytes() + bytes(data[whole:])

    def _decode_compressed(self, index: int) -> np.ndarray:
        """Frame ``index`` decoded by libjpeg / openjpeg: an interleaved array in the Bits
        Allocated container, uncorrected."""
        data = self.encoded(index)
        data = data if isinstance(data, bytes) else bytes(data)
        if self.kind in ("jpeg", "jpegls"):
            try:
                import libjpeg
            except ImportError:
                raise UnsupportedPixelDataError("decoding JPEG / JPEG-LS needs the "
                                                "pylibjpeg-libjpeg package") from None
            try:
                arr = libjpeg.decode(data, 0, reshape=True)
            except (RuntimeError, ValueError) as exc:
                fixed = _fix_sequential_scans(data) if self.kind == "jpeg" else None
                if fixed is None:
                    raise DecodeError(f"frame {index + 1}: {' '.join(str(exc).split())}") from None
                try:
                    arr = libjpeg.decode(fixed, 0, reshape=True)
                except (RuntimeError, ValueError):
                    raise DecodeError(f"frame {index + 1}: {' '.join(str(exc).split())}") from None
                note = ("sequential JPEG scans with spectral selection end Se != 63 (invalid, "
                        "ISO 10918-1 B.2.3) decoded as Se = 63")
                if note not in self.notes:
                    self.notes.append(note)
            signed = False
        else:
            try:
                import openjpeg
            except ImportError:
                raise UnsupportedPixelDataError("decoding JPEG 2000 / HTJ2K needs the "
                                                "pylibjpeg-openjpeg package") from None
            try:
                arr = openjpeg.decode(data)
            except (RuntimeError, ValueError) as exc:
                raise DecodeError(f"frame {index + 1}: {' '.join(str(exc).split())}") from None
            signed = arr.dtype.kind == "i"
        if arr.shape != self.shape:
            raise DecodeError(f"frame {index + 1} decodes to {'x'.join(map(str, arr.shape))} "
                              f"samples but the dataset describes {'x'.join(map(str, self.shape))}")
        size = self.bits_allocated // 8
        if arr.dtype.itemsize > size:
            raise DecodeError(f"frame {index + 1} has {arr.dtype.itemsize * 8}-bit samples "
                              f"but Bits Allocated is {self.bits_allocated}")
        if arr.dtype.itemsize < size:
            arr = arr.astype(f"<{'i' if signed else 'u'}{size}")
        return np.ascontiguousarray(arr).view(self.dtype)

    # ----------------------------------------------------------------- decoding

    def decode(self, index: int, *, correct: bool = True, as_rgb: bool = False) -> np.ndarray:
        """Frame ``index`` as a numpy array of shape (rows, columns[, samples]).

        ``correct``: make the values what pydicom's ``pixel_array`` gives (see the module
        docstring). ``as_rgb``: convert YBR_FULL / YBR_FULL_422 samples to RGB (pydicom's
        conversion)."""
        index = self._check_index(index)
        arr = self._interleaved(self.native(index, 0, correct))
        if as_rgb and self.photometric in ("YBR_FULL", "YBR_FULL_422") and self.samples_per_pixel == 3:
            from pydicom.pixels import convert_color_space

            arr = convert_color_space(arr, "YBR_FULL", "RGB")
        return arr

    def _interleaved(self, buf) -> np.ndarray:
        """An interleaved frame buffer as an array of :attr:`shape` and :attr:`dtype`."""
        if isinstance(buf, np.ndarray):
            arr = buf.reshape(self.shape)
            return arr if arr.dtype == self.dtype else arr.view(self.dtype)
        return np.frombuffer(buf, self.dtype).reshape(self.shape)

    def _correct(self, index: int, arr: np.ndarray) -> np.ndarray:
        container = self.bits_allocated
        if self.kind == "j2k":
            if self.stored_photometric not in ("MONOCHROME1", "MONOCHROME2"):
                return arr
            info = _j2k_header(self.encoded(index))
            if info["signed"] == bool(self.pixel_representation):
                return arr
            shift = container - info["precision"]
        elif self.kind == "jpegls":
            if self.pixel_representation != 1:
                return arr
            shift = container - _jpeg_header(self.encoded(index)).get("precision", self.bits_stored)
        else:
            shift = container - self.bits_stored
        if shift <= 0:
            return arr
        arr = np.array(arr, copy=True)
        np.left_shift(arr, shift, out=arr)
        np.right_shift(arr, shift, out=arr)
        return arr

    def __iter__(self) -> Iterator[np.ndarray]:
        for index in range(self.number_of_frames):
            yield self.decode(index)


def _unpack_u64(value, what: str) -> list[int]:
    data = bytes(value or b"")
    if len(data) % 8:
        raise DecodeError(f"{what} has {len(data)} bytes, not a multiple of 8")
    return list(struct.unpack(f"<{len(data) // 8}Q", data))


def decode_frame(ds: Dataset, index: int, *, correct: bool = True,
                 as_rgb: bool = False) -> np.ndarray:
    """Frame ``index`` (0-based) of ``ds``'s Pixel Data as a numpy array (rows, columns[,
    samples]); only that frame is decoded. See :meth:`FrameSource.decode`."""
    return FrameSource(ds).decode(index, correct=correct, as_rgb=as_rgb)


def iter_frames(ds: Dataset, *, correct: bool = True, as_rgb: bool = False) -> Iterator[np.ndarray]:
    """Each frame of ``ds``'s Pixel Data in turn, decoded one at a time."""
    source = FrameSource(ds)
    for index in range(source.number_of_frames):
        yield source.decode(index, correct=correct, as_rgb=as_rgb)
