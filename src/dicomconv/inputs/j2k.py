"""JPEG 2000 (ISO/IEC 15444-1) and High-Throughput JPEG 2000 (15444-15) → ImageSource, without
decoding, from a raw codestream (.j2k, .j2c, .jhc) or a JP2/JPH file.

Only the codestream is stored (PS3.5 A.4.4: the fragments hold the codestream, SOC to EOC):
the JP2 boxes around it are dropped. (GDCM's gdcmimg copies the whole JP2 file into Pixel Data,
which is not valid DICOM.) From the JP2 header only the colour specification is used: an
embedded (restricted) ICC profile becomes the ICC Profile attribute; palettes, channel
re-ordering and colour spaces other than sRGB and greyscale are refused.

Transfer syntax (PS3.5 8.2.4, 8.2.14, A.4.4, A.4.11, 10.18):

* Part 1 codestream: every component reversible (5-3 wavelet) and unquantised → JPEG 2000
  Lossless Only (1.2.840.10008.1.2.4.90); otherwise JPEG 2000 (.91), lossy, method
  ``ISO_15444_1``;
* HTJ2K codestream (CAP marker listing Part 15, Rsiz bit 14): reversible → HTJ2K Lossless
  (.201), or HTJ2K Lossless RPCL (.202) when the codestream meets the RPCL options of PS3.5
  10.18: progression order RPCL (with no progression order change), enough decomposition
  levels for the lowest resolution to be at most 64 pixels wide and high, and a TLM marker;
  irreversible (9-7) → HTJ2K (.203), lossy, method ``ISO_15444_15``.

A reversible codestream is taken as lossless. That is what the wavelet allows, not a proof: an
encoder can still drop quality layers or truncate code-blocks of a reversible codestream. We
only catch the explicit signs (quantisation in QCD/QCC, which a lossless codestream has none
of). The only way to be sure would be to decode.

Pixel description (PS3.5 Table 8.2.4-1, PS3.3 C.7.6.3.1.2): one component is MONOCHROME2, with
Pixel Representation from the component's signedness; three components must have the same
size, depth and signedness (unsigned) and no subsampling, and are YBR_RCT when the multiple
component transform is used with the reversible wavelet, YBR_ICT when used with the
irreversible one, RGB without it. Bits Stored is the component depth; Bits Allocated 8 up to 8
bits, 16 up to 16; deeper components are refused. Planar Configuration is 0.
"""
from __future__ import annotations

from .._native import codestreams
from ..errors import InputError, UnsupportedInputError
from ..source import ImageSource

JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG2000 = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"

RPCL = 2  # progression order index in COD (15444-1 Table A.16)


def read_j2k(data: bytes | bytearray | memoryview) -> ImageSource:
    """Scan a JPEG 2000 codestream or JP2/JPH file and describe it for DICOM; the frame is the
    codestream (SOC to EOC), a view of ``data``.

    Raises :class:`InputError` for malformed input and :class:`UnsupportedInputError` for
    codestreams DICOM (or this converter) cannot store as they are.
    """
    notes: list[str] = []
    icc = None
    head = bytes(data[:4])
    try:
        if head[:2] == b"\xff\x4f":
            jp2 = None
            offset = 0
            info = codestreams.scan_j2k(data)
        elif head == b"\0\0\0\x0c":
            jp2 = codestreams.scan_jp2(data)
            offset, length = jp2["codestream"]
            info = codestreams.scan_j2k(data, offset, length)
        else:
            raise InputError(
                "not a JPEG 2000 file: it starts neither with a codestream's SOC marker (FF 4F) nor "
                "with the JP2 signature box" if len(data) else "empty file")
    except codestreams.UnsupportedCodestreamError as exc:
        raise UnsupportedInputError(str(exc)) from None
    except codestreams.CodestreamError as exc:
        raise InputError(str(exc)) from None

    transfer_syntax, lossy, photometric, bits_allocated, signed = _describe(info, notes)
    if jp2 is not None:
        icc = _check_jp2(jp2, info, notes)
        notes.append(f"stored the codestream of the JP2 file ({info['length']} of {len(data)} bytes), "
                     f"without the JP2 boxes")
    if info["trailing"]:
        notes.append(f"dropped {info['trailing']} bytes after the EOC marker")

    view = memoryview(data)
    return ImageSource(
        [[view[offset:offset + info["length"]]]], transfer_syntax, info["height"], info["width"],
        len(info["components"]), photometric, bits_allocated, info["components"][0][0],
        pixel_representation=1 if signed else 0, lossy=lossy,
        lossy_method=("ISO_15444_15" if info["ht"] else "ISO_15444_1") if lossy else None,
        icc_profile=icc, notes=notes)


def _describe(info: dict, notes: list[str]) -> tuple[str, bool, str, int, bool]:
    """(transfer syntax, lossy, photometric, bits allocated, signed) for a scanned codestream, or
    the reason it is refused."""
    components = info["components"]
    if len(components) not in (1, 3):
        raise UnsupportedInputError(
            f"the JPEG 2000 codestream has {len(components)} components; DICOM allows only 1 (grey) "
            f"or 3 (colour)")
    depth, signed, xr, yr, width, height = components[0]
    if len(components) == 3:
        if any(c[2:4] != (1, 1) for c in components):
            raise UnsupportedInputError(
                "the JPEG 2000 codestream has subsampled components (XRsiz/YRsiz "
                + ", ".join(f"{c[2]}x{c[3]}" for c in components)
                + "); DICOM needs all three at full resolution")
        if any(c[:2] != (depth, signed) for c in components):
            raise UnsupportedInputError(
                "the JPEG 2000 codestream's components differ in bit depth or signedness ("
                + ", ".join(f"{c[0]}-bit {'signed' if c[1] else 'unsigned'}" for c in components) + ")")
        if signed:
            raise UnsupportedInputError(
                "the JPEG 2000 codestream has signed colour components; DICOM colour images are unsigned")
    elif (xr, yr) != (1, 1):
        notes.append(f"the component is subsampled {xr}x{yr} on the reference grid: stored as "
                     f"{width} x {height}")
    if depth > 16:
        raise UnsupportedInputError(
            f"the JPEG 2000 codestream has {depth}-bit samples; at most 16 bits are supported")
    if width > 65535 or height > 65535:
        raise UnsupportedInputError(
            f"the image is {width} x {height} pixels; DICOM allows at most 65535 rows and columns")
    if info["x_offset"] or info["y_offset"]:
        notes.append(f"the image area starts at ({info['x_offset']}, {info['y_offset']}) on the "
                     f"reference grid")

    reversible = info["transforms"] == {1}
    if reversible and info["quantisations"] - {0}:
        reversible = False
        notes.append("reversible wavelet with quantisation: stored as lossy compressed")
    lossy = not reversible

    if info["ht"]:
        if not reversible:
            transfer_syntax = HTJ2K
        elif _rpcl_options(info):
            transfer_syntax = HTJ2K_LOSSLESS_RPCL
        else:
            transfer_syntax = HTJ2K_LOSSLESS
    else:
        transfer_syntax = JPEG2000_LOSSLESS if reversible else JPEG2000

    if len(components) == 1:
        photometric = "MONOCHROME2"
    else:
        if len(info["mcts"]) > 1:
            raise UnsupportedInputError(
                "the JPEG 2000 codestream uses the multiple component transform in some tiles and not "
                "in others; DICOM has one Photometric Interpretation per image")
        if info["mct"]:
            if len(info["transforms"]) > 1:
                raise UnsupportedInputError(
                    "the JPEG 2000 codestream mixes reversible and irreversible wavelets with the "
                    "multiple component transform")
            photometric = "YBR_RCT" if info["transforms"] == {1} else "YBR_ICT"
        else:
            photometric = "RGB"
    return transfer_syntax, lossy, photometric, 8 if depth <= 8 else 16, signed


def _rpcl_options(info: dict) -> bool:
    """Whether a reversible HTJ2K codestream meets PS3.5 10.18's RPCL options: RPCL progression
    throughout, no POC, a TLM marker, and a lowest resolution at most 64 x 64."""
    if info["progressions"] != {RPCL} or info["poc"] or not info["tlm"]:
        return False
    levels = info["min_levels"]
    return max(-(-info["width"] // (1 << levels)), -(-info["height"] // (1 << levels))) <= 64


def _check_jp2(jp2: dict, info: dict, notes: list[str]) -> bytes | None:
    """Check the JP2 header against the codestream; the ICC profile to store, if any."""
    height, width, nc, bpc = jp2["ihdr"][:4]
    if nc != len(info["components"]):
        raise InputError(f"corrupt JP2 file: the header box says {nc} components, the codestream has "
                         f"{len(info['components'])}")
    if (width, height) != (info["width"], info["height"]):
        notes.append(f"the JP2 header says {width} x {height}, the codestream {info['width']} x "
                     f"{info['height']}: the codestream's size is used")
    if jp2["pclr"] or jp2["cmap"]:
        raise UnsupportedInputError(
            "the JP2 file has a palette (pclr/cmap boxes): its codestream holds palette indices, "
            "which DICOM's JPEG 2000 transfer syntaxes do not describe")
    if jp2["cdef"] is not None:
        for channel, kind, association in jp2["cdef"]:
            if kind != 0 or association not in (channel + 1, 0) or (nc == 1 and association not in (0, 1)):
                raise UnsupportedInputError(
                    f"the JP2 file's channel definition box maps channel {channel} to type {kind}, "
                    f"colour {association}: only colour channels in codestream order can be stored")
    if not jp2["colr"]:
        raise InputError("corrupt JP2 file: the header box has no colour specification ('colr') box")
    method, _, _, enumerated, icc = jp2["colr"][0]   # JP2 readers use the first colr box (I.5.3.3)
    if method == 1:
        if enumerated == 16 and nc == 3 or enumerated == 17 and nc == 1:
            return None
        name = codestreams.COLOURSPACES.get(enumerated, f"number {enumerated}")
        raise UnsupportedInputError(
            f"the JP2 file's colour space is {name} with {nc} component(s); only sRGB and greyscale "
            f"can be stored")
    if method in (2, 3):
        if not icc:
            raise InputError("corrupt JP2 file: the colour specification box has an empty ICC profile")
        if nc == 3:
            notes.append(f"stored the JP2 file's ICC profile ({len(icc)} bytes)")
            return icc
        notes.append("the JP2 file's ICC profile was not stored: the image is MONOCHROME2")
        return None
    raise UnsupportedInputError(f"the JP2 file uses colour specification method {method}")
