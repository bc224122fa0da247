"""JPEG-LS (ISO/IEC 14495-1 interchange format) → ImageSource, without decoding.

The stream is scanned by the native scanner (``dicomconv._native.codestreams``); the transfer
syntax and pixel description come from the stream itself (PS3.5 8.2.3, A.4.3, Table 8.2.3-1):

* NEAR = 0 in every scan: JPEG-LS Lossless (1.2.840.10008.1.2.4.80); otherwise JPEG-LS Lossy
  (Near-Lossless) (1.2.840.10008.1.2.4.81), with Lossy Image Compression "01" and method
  ``ISO_14495_1``;
* one component is MONOCHROME2, three are RGB: JPEG-LS codes the samples as they are (there is
  no colour transform in 14495-1), Planar Configuration 0 (CP 1843) whatever the interleave
  mode;
* Bits Allocated 8 for P <= 8, else 16; Bits Stored = P; Pixel Representation 0.

APPn segments are removed, as the JPEG reader does (SPIFF headers, JFIF, and so on mean nothing
in DICOM, where the Image Pixel module describes the pixels). The HP colour transforms (APP8
"mrfx" with a transform other than 0, written by CharLS and HP's LOCO-I for colour images) are
refused rather than stripped: the samples in such a stream are not RGB, DICOM has no Photometric
Interpretation for them, and removing the segment would change the decoded image. Comments (COM)
and preset parameters (LSE) are kept; the stream ends at its EOI and anything after it is dropped.

Refused (UnsupportedInputError): component counts other than 1 and 3, subsampled components
(DICOM has no JPEG-LS photometric interpretation for them), mapping tables (palettised
JPEG-LS), a point transform, JPEG-LS part 2, the HP colour transforms, images larger than 65535
rows or columns.
"""
from __future__ import annotations

from .._native import codestreams
from ..errors import InputError, UnsupportedInputError
from ..source import ImageSource

JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"


def read_jpegls(data: bytes | bytearray | memoryview, keep_appn: bool = False) -> ImageSource:
    """Scan a JPEG-LS stream and describe it for DICOM; the frame is the stream from SOI to EOI
    without its APPn segments (with them if ``keep_appn``), as views of ``data``.

    Raises :class:`InputError` for malformed streams and :class:`UnsupportedInputError` for
    streams DICOM cannot hold as they are.
    """
    try:
        info = codestreams.scan_jpegls(data, not keep_appn)
    except codestreams.UnsupportedCodestreamError as exc:
        raise UnsupportedInputError(str(exc)) from None
    except codestreams.CodestreamError as exc:
        raise InputError(str(exc)) from None

    components = info["components"]
    if len(components) not in (1, 3):
        raise UnsupportedInputError(
            f"the JPEG-LS stream has {len(components)} components; DICOM allows only 1 (grey) or 3 (colour)")
    sampling = {(h, v) for _, h, v in components}
    if len(sampling) > 1:
        raise UnsupportedInputError(
            "the JPEG-LS stream has subsampled components (sampling factors "
            + ", ".join(f"{h}x{v}" for _, h, v in components)
            + "); DICOM has no Photometric Interpretation for subsampled JPEG-LS")
    hp = info["hp_transform"]
    if hp:
        name = codestreams.HP_TRANSFORMS.get(hp, f"number {hp}")
        raise UnsupportedInputError(
            f"the JPEG-LS stream uses the HP colour transform {name} (APP8 'mrfx'): its samples are "
            f"not RGB, and DICOM has no Photometric Interpretation for them")
    if info["mapping_tables"]:
        raise UnsupportedInputError(
            f"the JPEG-LS stream uses mapping tables {info['mapping_tables']} (palettised JPEG-LS, "
            f"LSE 2/3), which DICOM decoders do not apply")
    if info["point_transform"]:
        raise UnsupportedInputError(
            f"the JPEG-LS stream uses a point transform (Al = {info['point_transform']}), which "
            f"DICOM's JPEG-LS transfer syntaxes do not allow")
    rows, columns = info["rows"], info["columns"]
    if rows > 65535 or columns > 65535:
        raise UnsupportedInputError(
            f"the image is {columns} x {rows} pixels; DICOM allows at most 65535 rows and columns")

    precision = info["precision"]
    near = info["near"]
    lossy = near > 0
    notes = []
    if lossy:
        notes.append(f"near-lossless JPEG-LS (NEAR = {near}): stored as lossy compressed")
    removed = info["removed"]
    if removed:
        notes.append(f"removed {len(removed)} APPn segment(s), {sum(b - a for a, b in removed)} bytes")
    if hp == 0:
        notes.append("the APP8 'mrfx' segment says no colour transform")
    if info["trailing"]:
        notes.append(f"dropped {info['trailing']} bytes after the EOI")

    view = memoryview(data)
    return ImageSource(
        [[view[a:b] for a, b in info["kept"]]],
        JPEG_LS_NEAR_LOSSLESS if lossy else JPEG_LS_LOSSLESS,
        rows, columns, len(components),
        "MONOCHROME2" if len(components) == 1 else "RGB",
        8 if precision <= 8 else 16, precision,
        lossy=lossy, lossy_method="ISO_14495_1" if lossy else None, notes=notes)
