"""DICOM → image (``dicomconv dcm2img``): render frames of any transfer syntax into displayable
8- or 16-bit greyscale or RGB arrays, and write them as PNG, JPEG, BMP, PNM or TIFF.

API::

    from dicomconv.render import render_frame, render_file, RenderOptions
    arr = render_frame("ct.dcm")                         # frame 0, the file's first window
    arr = render_frame(ds, 3, voi="set", center=40, width=400, bits=16)
    render_file("ct.dcm", "ct.png")                      # frame 0 → PNG
    render_file("cine.dcm", "cine.png", frames="all")    # cine_0001.png, cine_0002.png, ...

Frames are decoded one at a time by :class:`~dicomconv.codecs.decode.FrameSource` (native frames
are read straight from the memory-mapped file) and mapped by the numba kernels of
:mod:`dicomconv.kernels`. ``frame`` is 0-based in the API (the command line counts from 1, as
DCMTK's ``+F`` does).

Greyscale (MONOCHROME1 / MONOCHROME2), PS3.4 N.2.1.1 -- the formulas are in
:mod:`dicomconv.kernels.render`:

- Modality LUT (``modality=True``): the Modality LUT Sequence if present, else Rescale Slope /
  Intercept; for enhanced multi-frame objects the frame's Pixel Value Transformation Sequence
  (per-frame functional group, else shared).
- VOI (``voi``), DCMTK's ``dcmj2pnm`` options in brackets:

  ``"auto"`` (default)  the file's first VOI LUT if it has one (as pydicom's ``apply_voi_lut``
                        prefers it), else its first window, else ``"minmax"``
  ``"window"`` [+Wi]    the file's window number ``index`` (0-based) -- for enhanced objects
                        the frame's Frame VOI LUT Sequence -- with the file's VOI LUT Function
  ``"lut"`` [+Wl]       VOI LUT Sequence item ``index``
  ``"set"`` [+Ww]       ``center`` / ``width``
  ``"minmax"`` [+Wm]    center (min + max + 1) / 2, width max - min + 1 of the frame's modality
                        values (DCMTK's, after Supplement 33: maps min to 0 and max to full scale)
  ``"minmax-n"`` [+Wn]  the same with the next-to-lowest and next-to-highest values (DCMTK's
                        "ignoring extreme values")
  ``"histogram"`` [+Wh] DCMTK's histogram window: ``percent`` % of the pixels ignored at each end
  ``"none"`` [-W]       no VOI: the full range of possible modality values mapped linearly

  ``voi_function`` ("linear", "linear-exact", "sigmoid") replaces the file's VOI LUT Function
  (0028,1056) for windows; computed and given windows are LINEAR unless it says otherwise. A
  window whose width is not allowed for its function (LINEAR: >= 1, others: > 0) is an error.
- Polarity: inverted after the VOI when Presentation LUT Shape (2050,0020) is INVERSE, or when
  it is absent and the image is MONOCHROME1 (PS3.3 C.11.6.1; Presentation LUT Shape accounts for
  the Photometric Interpretation, so MONOCHROME1 + INVERSE is inverted once, as in DCMTK).
  ``presentation_shape`` ("identity" / "inverse") replaces the file's.

Colour: RGB as stored (bits above Bits Stored cleared, depth scaled to the output); YBR_FULL
(also what the JPEG decoder returns for YBR_FULL_422), native YBR_FULL_422, YBR_RCT / YBR_ICT
(when the decoder has not already inverted them) to RGB per PS3.3 C.7.6.3.1.2; PALETTE COLOR
through its Red/Green/Blue Palette Color LUTs (8 or 16 bits per entry, plain or segmented).
Planar Configuration 1 is interleaved in the same pass.

Output: ``bits`` 8 (default) or 16. Formats: PNG (our writer: Up filter, zlib deflate in as
many threads as there are cores -- Pillow's PNG encoder spends ~40 ms per 2048x2048 frame on
adaptive row filtering alone, more than twice everything else we do), PNM (P5/P6, 8 or 16 bits,
written directly), JPEG (8 bits, ``quality``), BMP (8 bits) and TIFF (8 bits and 16-bit grey
through Pillow; 16-bit colour TIFF written directly).

Errors are :class:`~dicomconv.errors.DicomconvError` subclasses (``InputError`` 21,
``UnsupportedInputError`` 22, ``OutputError`` 40, :class:`OptionError` 1). Outputs are written
atomically (no file is left behind on error; with several frames, either all are written or
none).
"""
from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import EXIT_USAGE, DicomconvError, InputError, OutputError, UnsupportedInputError

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

__all__ = ["RenderOptions", "RenderResult", "Renderer", "OptionError", "render_frame",
           "render_file", "encode_image", "output_format", "numbered_name", "FORMATS"]

VOI_MODES = ("auto", "window", "lut", "set", "minmax", "minmax-n", "histogram", "none")
VOI_FUNCTIONS = ("linear", "linear-exact", "sigmoid")
FORMATS = ("png", "jpeg", "bmp", "pnm", "tiff")
EXTENSIONS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".bmp": "bmp", ".pnm": "pnm",
              ".pgm": "pnm", ".ppm": "pnm", ".tif": "tiff", ".tiff": "tiff"}
SIXTEEN_BIT_FORMATS = ("png", "pnm", "tiff")
#: Default zlib level of PNG outputs: 1 = the Z_RLE strategy (see :func:`encode_png`).
PNG_COMPRESS_LEVEL = 1


class OptionError(DicomconvError):
    """Options that cannot go together, or that do not fit the input (exit code 1)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class RenderOptions:
    """How to render; see the module docstring. ``index`` is 0-based."""

    voi: str = "auto"
    index: int = 0
    center: float | None = None
    width: float | None = None
    percent: float = 5.0
    voi_function: str | None = None
    modality: bool = True
    presentation_shape: str | None = None
    bits: int = 8

    def validate(self) -> None:
        if self.voi not in VOI_MODES:
            raise OptionError(f"unknown VOI mode {self.voi!r} (one of {', '.join(VOI_MODES)})")
        if self.voi == "set":
            if self.center is None or self.width is None:
                raise OptionError("a window needs both a center and a width")
            # PS3.3 C.11.2.1.2: width >= 1 for LINEAR; C.11.2.1.3: > 0 for the others
            linear = self.voi_function in (None, "linear")
            if not (self.width >= 1 if linear else self.width > 0):
                raise OptionError(f"Window Width {self.width:g} is not valid for the "
                                  f"{(self.voi_function or 'linear').upper()} VOI LUT function "
                                  f"(it must be {'at least 1' if linear else 'greater than 0'})")
        if self.voi in ("window", "lut") and self.index < 0:
            raise OptionError(f"window / VOI LUT index {self.index} is negative")
        if not 0 <= self.percent < 50:
            raise OptionError(f"the histogram window ignores 0 to <50 % at each end, not "
                              f"{self.percent}")
        if self.voi_function is not None and self.voi_function not in VOI_FUNCTIONS:
            raise OptionError(f"unknown VOI LUT function {self.voi_function!r} (one of "
                              f"{', '.join(VOI_FUNCTIONS)})")
        if self.presentation_shape not in (None, "identity", "inverse"):
            raise OptionError(f"unknown presentation LUT shape {self.presentation_shape!r}")
        if self.bits not in (8, 16):
            raise OptionError(f"output bits must be 8 or 16, not {self.bits}")


@dataclass
class RenderResult:
    """What :func:`render_file` wrote."""

    outputs: list[str]
    frames: list[int]                  # 0-based
    photometric: str                   # of the decoded samples
    shape: tuple[int, ...]             # of one rendered frame
    bits: int
    format: str
    voi: str                           # what was applied (greyscale), e.g. "window 40/400 LINEAR"
    notes: list[str] = field(default_factory=list)


# =========================================================================== the renderer

def _to_float(value, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} {value!r} is not a number") from None


def _values(value) -> list:
    """A possibly multi-valued attribute value as a list (None / empty → [])."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return [v for v in value]
    return [value]


def _lut_data(item, what: str, little_endian: bool) -> tuple[int, int, int, np.ndarray]:
    """(entries, first value mapped, bits, table uint16) of a LUT item (LUT Descriptor + LUT
    Data, PS3.3 C.11.1.1.1 / C.11.2.1.1)."""
    desc = _values(item.get("LUTDescriptor"))
    if len(desc) != 3 or "LUTData" not in item:
        raise InputError(f"{what}: LUT Descriptor must have 3 values and LUT Data must be present")
    entries, first, bits = int(desc[0]) or 65536, int(desc[1]), int(desc[2])
    elem = item["LUTData"]
    raw = elem.value
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = np.frombuffer(raw, "<u2" if little_endian else ">u2", len(raw) // 2)
    else:
        data = np.asarray(_values(raw), dtype=np.int64)
    if len(data) < entries:
        raise InputError(f"{what}: LUT Data has {len(data)} entries, the descriptor says {entries}")
    table = np.ascontiguousarray(data[:entries], dtype=np.uint16)
    if not 1 <= bits <= 16:
        raise InputError(f"{what}: {bits} bits per LUT entry is not valid")
    top = int(table.max()) if entries else 0
    if top >= 1 << bits:          # entries wider than the descriptor says (DCMTK: +Mm / +Mv)
        bits = top.bit_length()
    return entries, first, bits, table


def _signed_first(first: int, signed: bool) -> int:
    """The LUT Descriptor's first value mapped is US or SS by Pixel Representation; a US value
    of a signed image is read as SS."""
    if signed and first > 32767:
        return first - 65536
    return first


class _Chain:
    """Parameters of the greyscale chain for the kernels (see kernels.render)."""

    __slots__ = ("mmode", "slope", "intercept", "mtable", "mfirst", "mbits", "vfunc", "c", "w",
                 "vtable", "vfirst", "vmax", "ymax", "invert", "description")

    def args(self) -> tuple:
        return (self.mmode, self.slope, self.intercept, self.mtable, self.mfirst, self.vfunc,
                self.c, self.w, self.vtable, self.vfirst, self.vmax, self.ymax, self.invert)

    def key(self) -> tuple:
        return (self.mmode, self.slope, self.intercept, id(self.mtable), self.mfirst, self.vfunc,
                self.c, self.w, id(self.vtable), self.vfirst, self.vmax, self.ymax, self.invert)


_EMPTY = np.zeros(1, np.uint16)


class Renderer:
    """Renders the frames of one dataset. ``Renderer(ds, options, pixel_data=None)``:
    ``pixel_data`` as for :class:`~dicomconv.codecs.decode.FrameSource` (e.g. a memoryview of
    the memory-mapped file). :meth:`render` (0-based) returns a (rows, columns) or (rows,
    columns, 3) uint8 / uint16 array -- read-only when it is a view of the input."""

    def __init__(self, ds: Dataset, options: RenderOptions | None = None, *,
                 pixel_data=None, transfer_syntax: str | None = None) -> None:
        from .codecs.decode import FrameSource
        from .kernels import require_numba

        self.options = options = options or RenderOptions()
        options.validate()
        require_numba()
        self.ds = ds
        self.source = src = FrameSource(ds, transfer_syntax, pixel_data=pixel_data)
        self.notes: list[str] = src.notes
        self.ymax = (1 << options.bits) - 1
        self.out_dtype = np.dtype(np.uint8 if options.bits == 8 else np.uint16)
        self.photometric = pi = src.photometric
        self.voi_description = ""
        self._table_cache: tuple | None = None
        spp = src.samples_per_pixel
        if spp == 1:
            if pi in ("MONOCHROME1", "MONOCHROME2"):
                self.kind = "grey"
            elif pi == "PALETTE COLOR":
                self.kind = "palette"
            else:
                raise UnsupportedInputError(f"Photometric Interpretation {pi or '(none)'} with one "
                                            "sample per pixel is not supported")
            if src.bits_allocated > 32:
                raise UnsupportedInputError(f"Bits Allocated {src.bits_allocated} greyscale is not "
                                            "supported (at most 32)")
        elif spp == 3:
            if src.kind == "native" and src.stored_photometric == "YBR_FULL_422":
                self.kind = "ybr422"
            elif pi in ("RGB", "YBR_FULL", "YBR_RCT", "YBR_ICT"):
                self.kind = {"RGB": "rgb", "YBR_FULL": "ybr", "YBR_RCT": "rct", "YBR_ICT": "ict"}[pi]
            else:
                raise UnsupportedInputError(f"Photometric Interpretation {pi or '(none)'} with three "
                                            "samples per pixel is not supported")
            if pi.startswith("YBR") and src.bits_allocated > 16:
                raise UnsupportedInputError(f"{pi} with Bits Allocated {src.bits_allocated} is "
                                            "not supported")
        else:
            raise UnsupportedInputError(f"{spp} samples per pixel ({pi}) are not supported")
        self.shape = (src.rows, src.columns) + ((3,) if self.kind != "grey" else ())
        if self.kind == "palette":
            self._palette = self._palette_lut()

    @property
    def number_of_frames(self) -> int:
        return self.source.number_of_frames

    # ---------------------------------------------------------------------- samples

    def _stored(self, index: int) -> tuple[np.ndarray, int, int, int]:
        """(frame as a 1-D read-only array of stored samples, mask, sign, bits): the kernels
        take x = ((raw & mask) ^ sign) - sign, the value with Bits Stored bits."""
        src = self.source
        signed = src.pixel_representation == 1
        if src.kind in ("j2k", "jpegls"):
            # decoded and corrected (signedness, sign extension) by FrameSource: all the bits of
            # the container are meaningful (JPEG 2000 precision may exceed Bits Stored)
            arr = src.decode(index, correct=True)
            bits = arr.dtype.itemsize * 8
        else:
            buf = src.native(index, 0, correct=False)
            arr = buf if isinstance(buf, np.ndarray) else np.frombuffer(buf, src.dtype)
            bits = 1 if src.bits_allocated == 1 else min(src.bits_stored, arr.dtype.itemsize * 8)
        flat = arr.reshape(-1)
        if flat.dtype.byteorder == ">" or not flat.flags.aligned or not flat.flags.c_contiguous:
            flat = flat.astype(flat.dtype.newbyteorder("="), copy=True)   # aligned, native
        if flat.dtype.kind not in "ui":
            raise UnsupportedInputError(f"samples of type {flat.dtype} are not supported")
        if flat.flags.writeable:
            flat = flat.view()
            flat.flags.writeable = False       # one kernel signature for views and decoded frames
        mask = (1 << bits) - 1
        sign = (1 << (bits - 1)) if signed and bits > 1 else 0
        return flat, mask, sign, bits

    def _colour_frame(self, index: int):
        """(bits, frame array, planar) of frame ``index``: (rows, columns, 3), or (3, rows,
        columns) when ``planar``, in the layout that needs no conversion before the kernels."""
        src = self.source
        if src.kind in ("j2k", "jpegls"):
            arr = src.decode(index, correct=True)
            bits = arr.dtype.itemsize * 8
        else:
            planar = src.stored_planar_configuration if src.kind in ("native", "uncompressed") else 0
            if src.kind == "rle":
                planar = 1                   # RLE stores one segment per component
            buf = src.native(index, planar, correct=False)
            shape = (3, src.rows, src.columns) if planar else (src.rows, src.columns, 3)
            arr = (buf if isinstance(buf, np.ndarray) else np.frombuffer(buf, src.dtype)).reshape(shape)
            bits = min(src.bits_stored, arr.dtype.itemsize * 8)
            if arr.dtype.byteorder == ">" or not arr.flags.aligned:
                arr = arr.astype(arr.dtype.newbyteorder("="), copy=True)
            if planar:
                return bits, arr, True
        return bits, arr, False

    # -------------------------------------------------------------------- rendering

    def render(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based; negative counts from the end) rendered."""
        if not -self.number_of_frames <= index < self.number_of_frames:
            raise OptionError(f"frame {index + 1 if index >= 0 else index} does not exist: the file "
                              f"has {self.number_of_frames} frame(s)")
        index %= self.number_of_frames
        if self.kind == "grey":
            return self._render_grey(index)
        if self.kind == "palette":
            return self._render_palette(index)
        return self._render_colour(index)

    def __iter__(self) -> Iterator[np.ndarray]:
        for index in range(self.number_of_frames):
            yield self.render(index)

    # ---------------------------------------------------------------------- colour

    def _render_colour(self, index: int) -> np.ndarray:
        from .kernels import color as kc

        src = self.source
        omax = self.ymax
        out = np.empty(self.shape, self.out_dtype)
        if self.kind == "ybr422":
            raw = np.frombuffer(src.encoded(index), np.uint8, src.rows * src.columns * 2)
            kc.ybr_full_422_to_rgb(_readonly(raw.reshape(src.rows, src.columns * 2)), omax, out)
            return out
        bits, arr, planar = self._colour_frame(index)
        imax = (1 << bits) - 1
        if self.kind == "rgb":
            if (not planar and arr.dtype == self.out_dtype and bits == arr.dtype.itemsize * 8
                    and arr.flags.c_contiguous):
                return _readonly(arr)           # nothing to do: the decoded frame is the image
            planes = _planes(arr, planar)
            kc.rgb_to_output(planes[0], planes[1], planes[2], imax, imax, omax, out)
            return out
        if bits > 16:
            raise UnsupportedInputError(f"{self.photometric} with {bits} bits is not supported")
        half = 1 << (bits - 1)
        if bits < arr.dtype.itemsize * 8:   # clear the bits above Bits Stored first
            arr = np.bitwise_and(arr, imax)
        planes = _planes(arr, planar)
        fn = {"ybr": kc.ybr_full_to_rgb, "rct": kc.ybr_rct_to_rgb, "ict": kc.ybr_ict_to_rgb}[self.kind]
        fn(planes[0], planes[1], planes[2], half, imax, omax, out)
        return out

    def _palette_lut(self) -> tuple[int, np.ndarray]:
        """(first value mapped, (entries, 3) LUT of output values) of the Palette Color LUTs
        (PS3.3 C.7.6.3.1.5 descriptors, C.7.6.3.1.6 data, C.7.9.2 segmented data)."""
        from struct import unpack

        ds = self.ds
        signed = self.source.pixel_representation == 1
        little = _little_endian(ds)
        channels = []
        first = nominal = entries = None
        for colour in ("Red", "Green", "Blue"):
            desc = _values(ds.get(f"{colour}PaletteColorLookupTableDescriptor"))
            if len(desc) != 3:
                raise InputError(f"PALETTE COLOR without a valid {colour} Palette Color Lookup Table "
                                 "Descriptor")
            n, f, b = int(desc[0]) or 65536, _signed_first(int(desc[1]), signed), int(desc[2])
            if b not in (8, 16):
                raise InputError(f"{colour} Palette Color LUT: {b} bits per entry (8 or 16 allowed)")
            if entries is None:
                entries, first, nominal = n, f, b
            elif (n, f) != (entries, first):
                raise InputError("the Red, Green and Blue Palette Color LUT Descriptors differ")
            data = ds.get(f"{colour}PaletteColorLookupTableData")
            seg = ds.get(f"Segmented{colour}PaletteColorLookupTableData")
            if data is not None:
                raw = bytes(data)
                if len(raw) >= 2 * n:
                    # 16-bit entries, or 8-bit entries stored one per 16-bit word
                    values = np.frombuffer(raw, "<u2" if little else ">u2", n)
                elif len(raw) >= n and b == 8:
                    values = np.frombuffer(raw, np.uint8, n)
                else:
                    raise InputError(f"{colour} Palette Color LUT Data has {len(raw)} bytes for "
                                     f"{n} entries")
            elif seg is not None:
                from pydicom.pixels.processing import _expand_segmented_lut

                raw = bytes(seg)
                fmt = f"{'<' if little else '>'}{len(raw) // (b // 8)}{'B' if b == 8 else 'H'}"
                try:
                    values = np.asarray(_expand_segmented_lut(unpack(fmt, raw[:len(raw) // (b // 8)
                                                                              * (b // 8)]), fmt),
                                        dtype=np.int64)
                except (ValueError, IndexError, struct.error) as exc:
                    raise InputError(f"Segmented {colour} Palette Color LUT Data: {exc}") from None
                if len(values) < n:
                    raise InputError(f"Segmented {colour} Palette Color LUT Data expands to "
                                     f"{len(values)} entries, the descriptor says {n}")
                values = values[:n]
            else:
                raise InputError(f"PALETTE COLOR without {colour} Palette Color Lookup Table Data")
            channels.append(np.asarray(values, dtype=np.int64))
        top = max(int(c.max()) for c in channels)
        bits = nominal if top < (1 << nominal) else 16
        imax = (1 << bits) - 1
        lut = np.empty((entries, 3), self.out_dtype)
        for k, values in enumerate(channels):
            # round(v * ymax / imax), half up, in integers (as kernels.color._rescale)
            lut[:, k] = (values * self.ymax * 2 + imax) // (2 * imax)
        return first, lut

    def _render_palette(self, index: int) -> np.ndarray:
        from . import kernels
        from .kernels import color as kc

        first, lut = self._palette
        flat, mask, sign, _ = self._stored(index)
        out = np.empty((flat.shape[0], 3), self.out_dtype)
        if kernels.use_parallel(flat.shape[0]):
            kc.apply_palette_parallel(flat, mask, sign, first, lut, out, _chunks())
        else:
            kc.apply_palette(flat, mask, sign, first, lut, out)
        return out.reshape(self.shape)

    # --------------------------------------------------------------------- greyscale

    def _render_grey(self, index: int) -> np.ndarray:
        from . import kernels
        from .kernels import render as kr

        flat, mask, sign, bits = self._stored(index)
        chain = self._chain(index, flat, mask, sign, bits)
        self.voi_description = chain.description
        out = np.empty(flat.shape[0], self.out_dtype)
        parallel = kernels.use_parallel(flat.shape[0])
        if bits > 16:
            if parallel:
                kr.render_direct_parallel(flat, mask, sign, out, *chain.args(), _chunks())
            else:
                kr.render_direct(flat, mask, sign, out, *chain.args())
            return out.reshape(self.shape)
        lo = -sign if sign else 0
        table, affine = self._table(chain, lo, mask + 1, flat.dtype, mask, sign)
        if affine is not None:
            x0, a, b, inv = affine
            if parallel:
                kr.apply_affine_parallel(flat, mask, sign, x0, a, b, np.float32(self.ymax), inv,
                                         out, _chunks())
            else:
                kr.apply_affine(flat, mask, sign, x0, a, b, np.float32(self.ymax), inv, out)
        elif parallel:
            kr.apply_table_parallel(flat, mask, sign, lo, table, out, _chunks())
        else:
            kr.apply_table(flat, mask, sign, lo, table, out)
        return out.reshape(self.shape)

    def _table(self, chain: _Chain, lo: int, n: int, dtype, mask: int, sign: int):
        """(reference table for stored values lo .. lo + n - 1, affine parameters or None),
        cached for the next frame with the same chain."""
        from .kernels import render as kr

        key = (chain.key(), lo, n, dtype, mask, sign)
        if self._table_cache is not None and self._table_cache[0] == key:
            return self._table_cache[1], self._table_cache[2]
        table = np.empty(n, self.out_dtype)
        kr.build_table(lo, table, *chain.args())
        values = _readonly(np.arange(lo, lo + n, dtype=np.int64).astype(dtype))
        affine = _fit_affine(chain, lo, table, values, mask, sign)
        self._table_cache = (key, table, affine)
        return table, affine

    # ------------------------------------------------------------- chain parameters

    def _groups(self, index: int, keyword: str):
        """The item of functional group sequence ``keyword`` for frame ``index`` (per-frame,
        else shared), or None (PS3.3 C.7.6.16)."""
        ds = self.ds
        for seq_kw, item_index in (("PerFrameFunctionalGroupsSequence", index),
                                   ("SharedFunctionalGroupsSequence", 0)):
            seq = ds.get(seq_kw)
            if seq and len(seq) > item_index:
                inner = seq[item_index].get(keyword)
                if inner:
                    return inner[0]
        return None

    def _chain(self, index: int, flat, mask: int, sign: int, bits: int) -> _Chain:
        ds, opts = self.ds, self.options
        ch = _Chain()
        ch.ymax = float(self.ymax)
        ch.mmode, ch.slope, ch.intercept, ch.mtable, ch.mfirst, ch.mbits = 0, 1.0, 0.0, _EMPTY, 0, 0
        ch.vtable, ch.vfirst, ch.vmax = _EMPTY, 0, 1.0
        signed = sign != 0
        little = _little_endian(ds)
        # ---- Modality LUT (PS3.3 C.11.1)
        modality_text = ""
        if opts.modality:
            pvt = self._groups(index, "PixelValueTransformationSequence")
            mseq = self._lut_items("ModalityLUTSequence")
            if mseq:
                _, first, mbits, table = _lut_data(mseq[0], "Modality LUT Sequence", little)
                ch.mmode, ch.mtable, ch.mfirst, ch.mbits = 2, table, _signed_first(first, signed), mbits
                modality_text = "Modality LUT"
            else:
                holder = pvt if pvt is not None else ds
                slope, intercept = holder.get("RescaleSlope"), holder.get("RescaleIntercept")
                if slope not in (None, "") or intercept not in (None, ""):
                    ch.slope = _to_float(slope if slope not in (None, "") else 1, "Rescale Slope")
                    ch.intercept = _to_float(intercept if intercept not in (None, "") else 0,
                                             "Rescale Intercept")
                    if ch.slope == 0:
                        raise InputError("Rescale Slope is 0")
                    if (ch.slope, ch.intercept) != (1.0, 0.0):
                        ch.mmode = 1
                        modality_text = f"rescale {_num(ch.slope)}x{_num(ch.intercept, True)}"
        # ---- VOI (PS3.3 C.11.2)
        voi_item = self._groups(index, "FrameVOILUTSequence")
        holder = voi_item if voi_item is not None else ds
        centers = _values(holder.get("WindowCenter"))
        widths = _values(holder.get("WindowWidth"))
        file_function = str(holder.get("VOILUTFunction", "") or ds.get("VOILUTFunction", "")
                            or "").strip().upper()
        luts = self._lut_items("VOILUTSequence")
        mode = opts.voi
        if mode == "auto":
            mode = "lut" if luts else "window" if centers and widths else "minmax"
            index_ = 0
        else:
            index_ = opts.index
        function = opts.voi_function
        if mode == "window":
            if not centers or not widths:
                raise InputError("the file has no window (Window Center / Window Width)")
            if index_ >= min(len(centers), len(widths)):
                raise OptionError(f"window {index_ + 1} does not exist: the file has "
                                  f"{min(len(centers), len(widths))}")
            c = _to_float(centers[index_], "Window Center")
            w = _to_float(widths[index_], "Window Width")
            if function is None:
                function = {"": "linear", "LINEAR": "linear", "LINEAR_EXACT": "linear-exact",
                            "SIGMOID": "sigmoid"}.get(file_function)
                if function is None:
                    raise UnsupportedInputError(f"VOI LUT Function {file_function} is not supported")
            self._set_window(ch, c, w, function, f"window {index_ + 1} of the file")
        elif mode == "lut":
            if not luts:
                raise InputError("the file has no VOI LUT Sequence")
            if index_ >= len(luts):
                raise OptionError(f"VOI LUT {index_ + 1} does not exist: the file has {len(luts)}")
            _, first, vbits, table = _lut_data(luts[index_], f"VOI LUT {index_ + 1}", little)
            # the first value mapped is in modality output units: signed if they can be negative
            can_be_negative = signed or (ch.mmode == 1 and (ch.intercept < 0 or ch.slope < 0))
            ch.vfunc, ch.vtable, ch.vfirst = 3, table, _signed_first(first, can_be_negative)
            ch.vmax = float((1 << vbits) - 1)
            ch.c = ch.w = 0.0
            ch.description = f"VOI LUT {index_ + 1} of the file ({len(table)} entries, {vbits} bits)"
        elif mode == "set":
            self._set_window(ch, float(opts.center), float(opts.width), function or "linear",
                             "window")
        elif mode in ("minmax", "minmax-n", "histogram"):
            c, w, what = self._auto_window(ch, mode, flat, mask, sign, bits)
            self._set_window(ch, c, w, function or "linear", what)
        else:  # none
            lo_v, hi_v = self._modality_range(ch, mask, sign)
            ch.vfunc, ch.c, ch.w = 4, lo_v, hi_v
            ch.description = f"no VOI: {_num(lo_v)} .. {_num(hi_v)} mapped linearly"
        if modality_text:
            ch.description += f", {modality_text}"
        # ---- polarity (PS3.3 C.11.6.1, C.7.6.3.1.2)
        shape = opts.presentation_shape
        if shape is None:
            shape = str(ds.get("PresentationLUTShape", "") or "").strip().lower()
            if shape not in ("", "identity", "inverse"):
                self._note(f"Presentation LUT Shape {shape.upper()} is not supported; ignored")
                shape = ""
        ch.invert = shape == "inverse" or (shape == "" and self.photometric == "MONOCHROME1")
        if ch.invert:
            ch.description += ", inverted"
        return ch

    def _lut_items(self, keyword: str) -> list:
        """The items of a LUT sequence that have a LUT Descriptor (items with an empty one,
        which some writers leave, are ignored with a note)."""
        items = []
        for item in self.ds.get(keyword) or []:
            if _values(item.get("LUTDescriptor")):
                items.append(item)
            else:
                self._note(f"{keyword} item without LUT Descriptor ignored")
        return items

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    @staticmethod
    def _set_window(ch: _Chain, c: float, w: float, function: str, what: str) -> None:
        # PS3.3 C.11.2.1.2: Window Width >= 1 for LINEAR; C.11.2.1.3: > 0 for the others
        if function == "linear" and not w >= 1:
            raise InputError(f"{what}: Window Width {_num(w)} is not valid for the LINEAR VOI LUT "
                             "function (it must be at least 1, PS3.3 C.11.2.1.2)")
        if function != "linear" and not w > 0:
            raise InputError(f"{what}: Window Width {_num(w)} is not valid (it must be greater "
                             "than 0, PS3.3 C.11.2.1.3)")
        if not (np.isfinite(c) and np.isfinite(w)):
            raise InputError(f"{what}: Window Center / Width must be finite numbers")
        ch.vfunc = {"linear": 0, "linear-exact": 1, "sigmoid": 2}[function]
        ch.c, ch.w = float(c), float(w)
        ch.description = f"{what}: center {_num(c)} width {_num(w)} {function.upper().replace('-', '_')}"

    @staticmethod
    def _modality_values(ch: _Chain, stored: np.ndarray) -> np.ndarray:
        """Modality output (float64) of a small array of stored values (int64)."""
        if ch.mmode == 1:
            return stored * ch.slope + ch.intercept
        if ch.mmode == 2:
            idx = np.clip(stored - ch.mfirst, 0, len(ch.mtable) - 1)
            return ch.mtable[idx].astype(np.float64)
        return stored.astype(np.float64)

    def _modality_range(self, ch: _Chain, mask: int, sign: int) -> tuple[float, float]:
        """Lowest and highest possible modality output values."""
        lo, hi = (-sign, sign - 1) if sign else (0, mask)
        if ch.mmode == 2:
            return 0.0, float((1 << ch.mbits) - 1)
        ends = self._modality_values(ch, np.array([lo, hi], np.int64))
        return float(ends.min()), float(ends.max())

    def _auto_window(self, ch: _Chain, mode: str, flat, mask: int, sign: int, bits: int):
        """(center, width, description) of a window computed from the frame, as DCMTK does
        (dimopxt.h: getMinMaxWindow, getHistogramWindow) on the modality values."""
        from .kernels import render as kr

        count = flat.shape[0]
        if mode == "minmax" and ch.mmode != 2:
            lo, hi = (kr.minmax16 if bits <= 16 else kr.minmax_wide)(flat, mask, sign)
            ends = self._modality_values(ch, np.array([lo, hi], np.int64))
            vmin, vmax = float(ends.min()), float(ends.max())
            return (vmin + vmax + 1) / 2, vmax - vmin + 1, "min-max window"
        # distinct modality values of the frame with their counts
        if bits <= 16:
            lo = -sign if sign else 0
            counts = np.zeros(mask + 1, np.int64)
            kr.histogram16(flat, mask, sign, lo, counts)
            present = np.flatnonzero(counts)
            stored, cnt = present.astype(np.int64) + lo, counts[present]
        else:
            x = flat.astype(np.int64) & mask
            if sign:
                x = (x ^ sign) - sign
            stored, cnt = np.unique(x, return_counts=True)
        values = self._modality_values(ch, stored)
        if ch.mmode != 1 or ch.slope < 0:
            order = np.argsort(values, kind="stable")
            values, cnt = values[order], cnt[order]
            if len(values) > 1:        # merge equal modality values (tables may repeat values)
                starts = np.concatenate(([True], values[1:] != values[:-1]))
                cnt = np.add.reduceat(cnt, np.flatnonzero(starts))
                values = values[starts]
        if mode == "minmax":
            vmin, vmax = float(values[0]), float(values[-1])
            what = "min-max window"
        elif mode == "minmax-n":
            if len(values) < 3:
                self._note("fewer than 3 distinct values: min-max window instead of ignoring the "
                           "extreme values")
                vmin, vmax = float(values[0]), float(values[-1])
            else:
                vmin, vmax = float(values[1]), float(values[-2])
            what = "min-max window (extremes ignored)"
        else:
            # DCMTK's histogram window: from each end, skip whole values until at least
            # int(percent / 100 * pixels) pixels are skipped; the lower bound is the value after
            # the last one skipped, the upper bound the last one skipped (dimopxt.h).
            thresh = int(self.options.percent / 100.0 * count)
            cum = np.cumsum(cnt)
            if thresh <= 0:
                vmin, vmax = float(values[0]), float(values[-1])
            else:
                k = int(np.searchsorted(cum, thresh))          # first index with cum >= thresh
                vmin = float(values[k]) + 1 if k < len(values) else float(values[-1]) + 1
                rcum = np.cumsum(cnt[::-1])
                j = int(np.searchsorted(rcum, thresh))
                vmax = float(values[len(values) - 1 - j]) if j < len(values) else float(values[0])
            what = f"histogram window ({_num(self.options.percent)} %)"
            if not vmin < vmax:
                self._note("the histogram window is empty: min-max window instead")
                vmin, vmax = float(values[0]), float(values[-1])
                what = "min-max window"
        return (vmin + vmax + 1) / 2, vmax - vmin + 1, what


def _fit_affine(chain: _Chain, lo: int, table: np.ndarray, values: np.ndarray, mask: int,
                sign: int):
    """(x0, a, b, inv) for kernels.render.apply_affine when the chain is linear and that kernel,
    run on ``values`` (every possible stored value lo .. lo + n - 1, in the frame's type),
    reproduces ``table`` exactly, else None."""
    from .kernels import render as kr

    if chain.mmode == 2 or chain.vfunc not in (0, 1, 4):
        return None
    m, b0 = (chain.slope, chain.intercept) if chain.mmode == 1 else (1.0, 0.0)
    ymax, c, w = chain.ymax, chain.c, chain.w
    if chain.vfunc == 0:            # LINEAR: y = ((v - (c - 0.5)) / (w - 1) + 0.5) * ymax
        if w <= 1:
            return None             # width 1: a threshold, the table handles it
        scale, offset = w - 1.0, c - 0.5
    elif chain.vfunc == 1:          # LINEAR_EXACT: y = ((v - c) / w + 0.5) * ymax
        scale, offset = w, c
    else:                           # none: y = (v - lo) / (hi - lo) * ymax
        if w <= c:
            return None
        scale, offset = (w - c), c + (w - c) / 2
    n = table.shape[0]
    # centre the float32 arithmetic on the stored value where the window is centred
    x0 = int(round((offset - b0) / m)) if np.isfinite((offset - b0) / m) else lo
    x0 = min(max(x0, lo), lo + n - 1)
    a = m * ymax / scale
    b = ((x0 * m + b0 - offset) / scale + 0.5) * ymax + 0.5
    if not (np.isfinite(a) and np.isfinite(b)) or abs(a) > 1e30 or abs(b) > 1e30:
        return None
    a32 = np.float32(a)
    inv = int(chain.ymax) if chain.invert else 0
    ymax32 = np.float32(ymax)
    candidate = np.float32(b)
    trial = np.empty_like(table)
    for step in (0, 1, -1, 2, -2, 3, -3, 4, -4):
        b32 = candidate
        if step:
            direction = np.float32(np.inf if step > 0 else -np.inf)
            for _ in range(abs(step)):
                b32 = np.nextafter(b32, direction, dtype=np.float32)
        kr.apply_affine(values, mask, sign, x0, a32, b32, ymax32, inv, trial)
        if np.array_equal(trial, table):
            return x0, a32, b32, inv
    return None


# ------------------------------------------------------------------------------- helpers

def _planes(arr: np.ndarray, planar: bool) -> list:
    """The three components of a colour frame as read-only 2-D views."""
    return [_readonly(arr[k] if planar else arr[:, :, k]) for k in range(3)]


def _readonly(arr: np.ndarray) -> np.ndarray:
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False
    return arr


def _chunks() -> int:
    import numba

    return 2 * numba.get_num_threads()


def _little_endian(ds) -> bool:
    meta = getattr(ds, "file_meta", None)
    ts = str(getattr(meta, "TransferSyntaxUID", "") or "") if meta is not None else ""
    return ts != "1.2.840.10008.1.2.2"


def _num(value: float, signed: bool = False) -> str:
    text = f"{value:.6g}"
    return (f"+{text}" if value >= 0 else text) if signed else text


# ============================================================================== encoders

def output_format(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The output format: ``fmt`` if given, else from the file name's extension."""
    if fmt is not None:
        fmt = fmt.lower()
        fmt = {"jpg": "jpeg", "pgm": "pnm", "ppm": "pnm", "tif": "tiff"}.get(fmt, fmt)
        if fmt not in FORMATS:
            raise OptionError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")
        return fmt
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in EXTENSIONS:
        raise OptionError(f"cannot tell the output format from the extension {ext or '(none)'!r} "
                          f"of {os.fspath(path)}: use --format")
    return EXTENSIONS[ext]


_POOL = None


def _pool():
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1),
                                   thread_name_prefix="dicomconv-deflate")
    return _POOL


def _png_chunk(kind: bytes, payload) -> list:
    crc = zlib.crc32(payload, zlib.crc32(kind))
    return [struct.pack(">I", len(payload)) + kind, payload, struct.pack(">I", crc)]


def _deflate_piece(data, level: int, strategy: int, last: bool):
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    out = c.compress(data)
    return out + c.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def encode_png(arr: np.ndarray, compress_level: int = PNG_COMPRESS_LEVEL,
               threads: int | None = None) -> list:
    """PNG (ISO/IEC 15948) of a (rows, columns[, 3]) uint8 / uint16 array, as a list of buffers.

    Every row has filter type 2 (Up) -- medical images are smooth vertically, and unlike
    adaptive filtering it costs one subtraction per byte. The zlib stream is compressed in
    pieces on ``threads`` threads (default: the number of cores) like pigz does: each piece is
    raw deflate ending in a sync flush (the last one in the final block), concatenated behind
    one zlib header, with the Adler-32 of the whole. ``compress_level``: 0 stores, 1 (default)
    uses zlib's Z_RLE strategy (run-length matches only: on noisy greyscale it is about twice
    as fast as level 1's default strategy and compresses as well or better), 2-9 are zlib's
    levels with its default strategy (for images with repeated patterns, e.g. screen captures).
    """
    from .kernels import color as kc

    if not 0 <= compress_level <= 9:
        raise OptionError(f"PNG compression level must be 0 to 9, not {compress_level}")
    rows, columns = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    depth = arr.dtype.itemsize * 8
    img = np.ascontiguousarray(arr).reshape(rows, columns * spp)
    filtered = np.empty((rows, 1 + columns * spp * (depth // 8)), np.uint8)
    (kc.png_filter_up8 if depth == 8 else kc.png_filter_up16)(_readonly(img), filtered)
    data = memoryview(filtered).cast("B")
    strategy = zlib.Z_RLE if compress_level == 1 else zlib.Z_DEFAULT_STRATEGY
    threads = threads or (os.cpu_count() or 1)
    pieces_n = max(1, min(threads, len(data) // (256 * 1024)))
    bounds = [len(data) * k // pieces_n for k in range(pieces_n + 1)]
    if pieces_n == 1:
        pieces = [_deflate_piece(data, compress_level, strategy, True)]
        adler = zlib.adler32(data)
    else:
        # pieces 1.. go to the pool; this thread compresses piece 0, then takes back every piece
        # no pool thread has started (on a busy machine the helper may not run for a while:
        # never wait for it to start)
        pool = _pool()
        args = [(data[bounds[k]:bounds[k + 1]], compress_level, strategy, k == pieces_n - 1)
                for k in range(pieces_n)]
        futures = [pool.submit(_deflate_piece, *a) for a in args[1:]]
        pieces = [_deflate_piece(*args[0])]
        for a, future in zip(args[1:], futures):
            pieces.append(_deflate_piece(*a) if future.cancel() else future.result())
        adler = zlib.adler32(data)
    flevel = 0 if compress_level < 2 else 1 if compress_level < 6 else 2 if compress_level == 6 else 3
    cmf, flg = 0x78, flevel << 6
    flg += (31 - (cmf * 256 + flg) % 31) % 31
    pieces[0] = bytes((cmf, flg)) + pieces[0]
    pieces[-1] = pieces[-1] + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", columns, rows, depth, 0 if spp == 1 else 2, 0, 0, 0)
    out = [b"\x89PNG\r\n\x1a\n", *_png_chunk(b"IHDR", ihdr)]
    for piece in pieces:
        out += _png_chunk(b"IDAT", piece)
    out += _png_chunk(b"IEND", b"")
    return out


def encode_pnm(arr: np.ndarray) -> list:
    """Binary PGM (P5) or PPM (P6), maxval 255 or 65535 (16-bit samples big endian)."""
    rows, columns = arr.shape[:2]
    magic = b"P5" if arr.ndim == 2 else b"P6"
    maxval = 255 if arr.dtype == np.uint8 else 65535
    data = arr if arr.dtype == np.uint8 else arr.astype(">u2")
    header = magic + f"\n{columns} {rows}\n{maxval}\n".encode()
    return [header, memoryview(np.ascontiguousarray(data)).cast("B")]


def _encode_tiff48(arr: np.ndarray) -> list:
    """Baseline uncompressed TIFF of a (rows, columns, 3) uint16 array (Pillow writes no
    16-bit colour)."""
    rows, columns, _ = arr.shape
    data = memoryview(np.ascontiguousarray(arr, "<u2")).cast("B")
    entries = [(256, 4, 1, columns), (257, 4, 1, rows), (258, 3, 3, None), (259, 3, 1, 1),
               (262, 3, 1, 2), (273, 4, 1, None), (277, 3, 1, 3), (278, 4, 1, rows),
               (279, 4, 1, len(data)), (284, 3, 1, 1)]
    ifd_size = 2 + 12 * len(entries) + 4
    bps_at = 8 + ifd_size
    data_at = bps_at + 6
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        if tag == 258:
            value = bps_at
        elif tag == 273:
            value = data_at
        ifd += struct.pack("<HHI", tag, typ, count)
        ifd += struct.pack("<HH", value, 0) if typ == 3 and count == 1 else struct.pack("<I", value)
    ifd += struct.pack("<I", 0)
    return [b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<HHH", 16, 16, 16), data]


def encode_image(arr: np.ndarray, fmt: str, *, quality: int = 90,
                 png_compress_level: int = PNG_COMPRESS_LEVEL) -> list:
    """The file contents (a list of buffers) of a rendered array in format ``fmt``."""
    sixteen = arr.dtype == np.uint16
    if fmt == "png":
        return encode_png(arr, png_compress_level)
    if fmt == "pnm":
        return encode_pnm(arr)
    if sixteen and fmt not in SIXTEEN_BIT_FORMATS:
        raise OptionError(f"{fmt.upper()} holds 8-bit samples only: use --bits 8 or PNG / PNM / TIFF")
    if fmt == "tiff" and sixteen and arr.ndim == 3:
        return _encode_tiff48(arr)
    from io import BytesIO

    from PIL import Image

    rows, columns = arr.shape[:2]
    mode = "RGB" if arr.ndim == 3 else ("I;16" if sixteen else "L")
    image = Image.frombuffer(mode, (columns, rows), np.ascontiguousarray(arr), "raw", mode, 0, 1)
    buf = BytesIO()
    if fmt == "jpeg":
        if not 0 <= quality <= 100:
            raise OptionError(f"JPEG quality must be 0 to 100, not {quality}")
        image.save(buf, "JPEG", quality=quality)
    elif fmt == "bmp":
        image.save(buf, "BMP")
    else:
        image.save(buf, "TIFF")
    return [buf.getbuffer()]


def numbered_name(path: str | os.PathLike, frame_number: int, frames: int) -> str:
    """``out.png`` → ``out_0001.png`` (the frame number counts from 1; at least 4 digits)."""
    root, ext = os.path.splitext(os.fspath(path))
    return f"{root}_{frame_number:0{max(4, len(str(frames)))}d}{ext}"


# ================================================================================== API

def _options(options: RenderOptions | None, kwargs: dict) -> RenderOptions:
    options = options or RenderOptions()
    window = kwargs.pop("window", None)
    if window is not None:
        kwargs.update(voi="set", center=window[0], width=window[1])
    if kwargs:
        try:
            options = replace(options, **kwargs)
        except TypeError as exc:
            raise OptionError(str(exc)) from None
    options.validate()
    return options


def _open(src) -> tuple[Any, Any]:
    """(dataset, Pixel Data value or None) of a path or a Dataset."""
    if isinstance(src, (str, os.PathLike)):
        from .transcode import _read_mapped

        return _read_mapped(src)
    return src, None


def render_frame(src, frame: int = 0, options: RenderOptions | None = None,
                 **kwargs) -> np.ndarray:
    """Frame ``frame`` (0-based) of ``src`` (a path or a pydicom Dataset) rendered into a
    (rows, columns) or (rows, columns, 3) uint8 / uint16 array. ``kwargs``: fields of
    :class:`RenderOptions` (``voi``, ``index``, ``center``, ``width``, ``percent``,
    ``voi_function``, ``modality``, ``presentation_shape``, ``bits``), or ``window=(center,
    width)``."""
    options = _options(options, kwargs)
    name = os.fspath(src) if isinstance(src, (str, os.PathLike)) else None
    try:
        ds, pixel_data = _open(src)
        return Renderer(ds, options, pixel_data=pixel_data).render(frame)
    except (OptionError, OutputError):
        raise
    except DicomconvError as exc:
        if name and not str(exc).startswith(name):
            raise type(exc)(f"{name}: {exc}") from None
        raise


def render_file(src, dst, options: RenderOptions | None = None, *, frames="first",
                frame: int = 0, format: str | None = None, quality: int = 90,
                png_compress_level: int = PNG_COMPRESS_LEVEL, **kwargs) -> RenderResult:
    """Render ``src`` (a path or a Dataset) into the image file ``dst``.

    ``frame``: the frame (0-based) when ``frames`` is "first" (default); ``frames="all"``: every
    frame into ``numbered_name(dst, n, count)`` (``out_0001.png`` ...), all written or none.
    ``format``: png, jpeg, bmp, pnm or tiff (default: from the extension of ``dst``).
    ``kwargs``: as for :func:`render_frame`. The output is written atomically; an existing
    ``dst`` is replaced only once the new file is complete, and never when ``dst`` is the input.
    """
    import warnings

    from .fileio import is_same_file, write_atomic

    options = _options(options, kwargs)
    fmt = output_format(dst, format)
    if options.bits == 16 and fmt not in SIXTEEN_BIT_FORMATS:
        raise OptionError(f"{fmt.upper()} holds 8-bit samples only: 16 bits need PNG, PNM or TIFF")
    if frames not in ("first", "all"):
        raise OptionError(f"frames must be 'first' or 'all', not {frames!r}")
    name = os.fspath(src) if isinstance(src, (str, os.PathLike)) else "<dataset>"
    staged: list[tuple[str, str]] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if isinstance(src, (str, os.PathLike)):
                try:
                    st = os.stat(src)
                except OSError as exc:
                    raise InputError(f"cannot read: {exc.strerror or exc}") from None
                if is_same_file(st, dst):
                    raise OutputError(f"{os.fspath(dst)}: is the input file; refusing to "
                                      "overwrite it")
            ds, pixel_data = _open(src)
            renderer = Renderer(ds, options, pixel_data=pixel_data)
            if frames == "all":
                count = renderer.number_of_frames
                indices = list(range(count))
                outputs = [numbered_name(dst, i + 1, count) for i in indices]
            else:
                indices = [frame]
                outputs = [os.fspath(dst)]
            shape = None
            for index, out_path in zip(indices, outputs):
                arr = renderer.render(index)
                shape = arr.shape
                chunks = encode_image(arr, fmt, quality=quality, png_compress_level=png_compress_level)
                if len(outputs) == 1:
                    write_atomic(out_path, chunks)
                else:   # staged under a hidden name, renamed once every frame is written
                    folder, base = os.path.split(out_path)
                    stage = os.path.join(folder, f".{base}.{os.getpid()}.dcm2img-stage")
                    staged.append((stage, out_path))
                    write_atomic(stage, chunks)
            for stage, out_path in staged:
                try:
                    os.replace(stage, out_path)
                except OSError as exc:
                    raise OutputError(f"{out_path}: cannot write: {exc.strerror or exc}") from None
            staged = []
        except (OptionError, OutputError):
            raise
        except DicomconvError as exc:
            message = str(exc)
            if message.startswith(name):
                raise
            raise type(exc)(f"{name}: {message}") from None
        finally:
            for stage, _ in staged:
                try:
                    os.unlink(stage)
                except OSError:
                    pass
    notes = renderer.notes
    for warning in caught:
        text = " ".join(str(warning.message).split())
        if text not in notes:
            notes.append(text)
    return RenderResult(outputs=outputs, frames=[i % renderer.number_of_frames for i in indices],
                        photometric=renderer.photometric, shape=tuple(shape or ()),
                        bits=options.bits, format=fmt, voi=renderer.voi_description, notes=notes)
