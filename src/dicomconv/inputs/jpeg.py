"""JPEG (ISO/IEC 10918-1 interchange format) → ImageSource, without decoding.

The stream is scanned by the native marker scanner; APPn segments are removed as img2dcm does;
the transfer syntax and pixel description come from the stream itself (PS3.5 8.2.1, 10.x).
"""
from __future__ import annotations

from .._native import jpeg_markers
from ..errors import InputError, UnsupportedInputError
from ..options import Options
from ..source import ImageSource

JPEG_BASELINE = "1.2.840.10008.1.2.4.50"          # process 1
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"          # processes 2 and 4
JPEG_PROGRESSIVE = "1.2.840.10008.1.2.4.55"       # processes 10 and 12 (retired)
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"          # process 14, any selection value
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"      # process 14, selection value 1

_RGB_IDS = (ord("R"), ord("G"), ord("B"))


class JpegOptions(Options):
    """img2dcm's JPEG options: ``disable_progressive`` (-dp: refuse SOF2), ``disable_extended``
    (-de: refuse SOF1), ``insist_on_jfif`` (-jf: refuse streams without a JFIF APP0),
    ``keep_appn`` (-ka: keep APPn segments except JFIF). All default to False."""

    _fields = {"disable_progressive": False, "disable_extended": False, "insist_on_jfif": False,
               "keep_appn": False}
    __slots__ = tuple(_fields)


def read_jpeg(data: bytes | bytearray | memoryview, options: JpegOptions = JpegOptions()) -> ImageSource:
    """Scan a JPEG stream and describe it for DICOM.

    Raises :class:`InputError` for malformed streams and :class:`UnsupportedInputError` for
    coding processes or component counts DICOM (or img2dcm's options) do not allow.
    """
    policy = jpeg_markers.APPN_STRIP_JFIF if options.keep_appn else jpeg_markers.APPN_STRIP_ALL
    try:
        info = jpeg_markers.scan(data, policy)
    except jpeg_markers.JpegError as exc:
        if str(exc).startswith("unsupported"):
            raise UnsupportedInputError(str(exc)) from None
        raise InputError(str(exc)) from None

    # What DICOM makes of the stream depends on a few header fields only, which the files of a
    # batch usually share: the decision is cached by them.
    key = (info["sof"], info["precision"], tuple(info["components"]), info["adobe_transform"],
           info["jfif"] is not None, info["selection_value"], options)
    described = _DESCRIPTIONS.get(key)
    if described is None:
        described = _describe(info, options)
        if len(_DESCRIPTIONS) > 1024:
            _DESCRIPTIONS.clear()
        _DESCRIPTIONS[key] = described
    transfer_syntax, lossy, photometric, bits_allocated, notes = described

    notes = list(notes)
    removed = info["removed"]
    if removed:
        notes.append(f"removed {len(removed)} APPn segment(s), {sum(b - a for a, b in removed)} bytes")
    if info["appended_image"] >= 0:
        notes.append(f"dropped a second image appended after the EOI at byte {info['appended_image']} "
                     "(multi-picture/MPO file): only the first image is stored")
    elif info["eoi"] + 2 < len(data):
        notes.append(f"dropped {len(data) - info['eoi'] - 2} bytes after the final EOI")

    view = memoryview(data)
    return ImageSource(
        [[view[a:b] for a, b in info["kept"]]], transfer_syntax, info["rows"], info["columns"],
        len(info["components"]), photometric, bits_allocated, info["precision"],
        lossy=lossy, lossy_method="ISO_10918_1" if lossy else None, icc_profile=info["icc"], notes=notes)


_DESCRIPTIONS: dict = {}


def _describe(info: dict, options: JpegOptions) -> tuple[str, bool, str, int, tuple[str, ...]]:
    """(transfer syntax, lossy, photometric, bits allocated, notes) for a scanned stream, or the
    reason it is refused."""
    sof, precision = info["sof"], info["precision"]
    components = info["components"]
    notes: list[str] = []

    if options.insist_on_jfif and info["jfif"] is None:
        raise UnsupportedInputError("no JFIF APP0 segment, and --insist-on-jfif was given")
    if len(components) not in (1, 3):
        raise UnsupportedInputError(
            f"the JPEG stream has {len(components)} components; DICOM allows only 1 (grey) or 3 (colour)"
            + (" (CMYK/YCCK JPEGs cannot be stored)" if len(components) == 4 else ""))

    # Transfer syntax from the coding process (PS3.5 8.2.1, PS3.6 Annex A).
    if sof == 0xC0:
        if precision != 8:
            raise InputError(f"baseline JPEG (SOF0) must have 8-bit precision, not {precision}")
        transfer_syntax, lossy = JPEG_BASELINE, True
    elif sof == 0xC1:
        if options.disable_extended:
            raise UnsupportedInputError("extended sequential JPEG (SOF1) refused by --disable-ext")
        if precision not in (8, 12):
            raise InputError(f"extended JPEG (SOF1) must have 8- or 12-bit precision, not {precision}")
        transfer_syntax, lossy = JPEG_EXTENDED, True
    elif sof == 0xC2:
        if options.disable_progressive:
            raise UnsupportedInputError("progressive JPEG (SOF2) refused by --disable-progr")
        if precision not in (8, 12):
            raise InputError(f"progressive JPEG (SOF2) must have 8- or 12-bit precision, not {precision}")
        transfer_syntax, lossy = JPEG_PROGRESSIVE, True
        notes.append("progressive JPEG: transfer syntax 1.2.840.10008.1.2.4.55 is retired")
    elif sof == 0xC3:
        if not 2 <= precision <= 16:
            raise InputError(f"lossless JPEG (SOF3) must have 2- to 16-bit precision, not {precision}")
        sv = info["selection_value"]
        if not 1 <= sv <= 7:
            raise InputError(f"lossless JPEG (SOF3) has an invalid selection value (predictor) {sv}")
        transfer_syntax = JPEG_LOSSLESS_SV1 if sv == 1 else JPEG_LOSSLESS
        lossy = False
    else:  # pragma: no cover - the scanner refuses everything else
        raise UnsupportedInputError(f"unsupported JPEG frame type 0x{sof:02X}")

    return transfer_syntax, lossy, _photometric(info, lossy), 8 if precision <= 8 else 16, tuple(notes)


def _photometric(info: dict, lossy: bool) -> str:
    """Photometric Interpretation implied by the stream (PS3.5 8.2.1, PS3.3 C.7.6.3.1.2).

    One component is MONOCHROME2. Three components are RGB when an Adobe APP14 says "no
    transform", or (without Adobe marker) when the component ids are 'R','G','B', or for
    lossless processes without any colour marker; otherwise the components are YCbCr:
    YBR_FULL_422 when the chroma is subsampled, YBR_FULL when it is not.
    """
    components = info["components"]
    if len(components) == 1:
        return "MONOCHROME2"
    adobe = info["adobe_transform"]
    ids = tuple(c[0] for c in components)
    if adobe is not None:
        is_rgb = adobe == 0
    elif ids == _RGB_IDS:
        is_rgb = True   # ids 'R','G','B' say RGB even beside a JFIF marker (as IJG libjpeg 9 reads it)
    elif info["jfif"] is not None:
        is_rgb = False  # JFIF mandates YCbCr
    else:
        is_rgb = not lossy  # lossless JPEG has no colour transform unless a marker says so
    if is_rgb:
        return "RGB"
    luma_h, luma_v = components[0][1], components[0][2]
    subsampled = any((h, v) != (luma_h, luma_v) for _, h, v in components[1:])
    return "YBR_FULL_422" if subsampled else "YBR_FULL"
