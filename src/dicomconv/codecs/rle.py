"""RLE Lossless (1.2.840.10008.1.2.5, PS3.5 Annex G): Python helpers and pydicom 3 plugins.

The codec itself is native (:mod:`dicomconv._native.rle`, one frame per call, GIL released):

- :func:`decode_frame` / :func:`encode_frame` -- one frame, native little-endian samples.
- :func:`decode` / :func:`encode` -- whole *Pixel Data* (any number of frames), from or to a
  dataset, a single RLE frame or encapsulated pixel data (pydicom's encapsulation helpers).

pydicom 3 plugins (pydicom has no entry-point discovery for them; add them at run time)::

    from pydicom.pixels.decoders import RLELosslessDecoder
    from pydicom.pixels.encoders import RLELosslessEncoder
    RLELosslessDecoder.add_plugin("dicomconv", ("dicomconv.codecs.rle", "_decode_frame"))
    RLELosslessEncoder.add_plugin("dicomconv", ("dicomconv.codecs.rle", "_encode_frame"))

or simply call :func:`register`. Then ``ds.pixel_array`` can use it (it is tried after the
plugins already registered, or alone with ``ds.pixel_array_options(decoding_plugin=
"dicomconv")``) and ``ds.compress(RLELossless, encoding_plugin="dicomconv")``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydicom.uid import RLELossless

try:
    from dicomconv._native.rle import RLEError, decode_frame, encode_frame
except ImportError as exc:  # extension not built
    _IMPORT_ERROR: ImportError | None = exc

    class RLEError(ValueError):  # type: ignore[no-redef]
        """The data is not a valid RLE Lossless frame for the given pixel description."""

    def decode_frame(*args: Any, **kwargs: Any):  # type: ignore[no-redef]
        raise ImportError(f"dicomconv._native.rle is not built: {_IMPORT_ERROR}")

    encode_frame = decode_frame  # type: ignore[assignment]
else:
    _IMPORT_ERROR = None

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset
    from pydicom.pixels.decoders.base import DecodeRunner
    from pydicom.pixels.encoders.base import EncodeRunner

__all__ = ["RLEError", "decode", "decode_frame", "encode", "encode_frame", "register",
           "PLUGIN_LABEL"]

PLUGIN_LABEL = "dicomconv"
_ITEM_TAG = b"\xfe\xff\x00\xe0"     # (FFFE,E000) little endian: start of encapsulated data

# --------------------------------------------------------------------------- pydicom plugins
# Interface: pydicom/pixels/common.py (CoderBase.add_plugin) -- the module must provide
# is_available(uid), DECODER_DEPENDENCIES / ENCODER_DEPENDENCIES and the named function.

DECODER_DEPENDENCIES = {RLELossless: ("dicomconv._native.rle (build with setup.py build_ext)",)}
ENCODER_DEPENDENCIES = DECODER_DEPENDENCIES


def is_available(uid: str) -> bool:
    """True when ``uid`` is RLE Lossless and the native codec is built."""
    return uid == RLELossless and _IMPORT_ERROR is None


def _decode_frame(src: bytes, runner: DecodeRunner) -> bytearray:
    """pydicom decoder plugin: one frame as little-endian samples, planar configuration 0."""
    if runner.get_option("rle_segment_order", ">") != ">":
        raise ValueError("little-endian RLE segment order is not supported by dicomconv")
    bits = runner.bits_allocated
    if bits not in (8, 16, 32, 64):
        raise ValueError(f"dicomconv's RLE decoder does not support {bits} bits allocated")
    frame = decode_frame(src, runner.rows, runner.columns, runner.samples_per_pixel, bits,
                         planar_configuration=0)
    # RLE segments do not depend on (0028,0006): tell the runner how we laid the samples out
    runner.set_option("planar_configuration", 0)
    return frame


def _encode_frame(src: bytes, runner: EncodeRunner) -> bytes:
    """pydicom encoder plugin: ``src`` is one frame of little-endian samples sized by Bits
    Stored (pydicom's convention); the segments follow Bits Allocated."""
    if runner.get_option("byteorder", "<") == ">":
        raise ValueError("Unsupported option \"byteorder = '>'\"")
    rows, columns, spp = runner.rows, runner.columns, runner.samples_per_pixel
    bits = runner.bits_allocated
    if bits not in (8, 16, 32, 64):
        raise ValueError(f"dicomconv's RLE encoder does not support {bits} bits allocated")
    planar = runner.planar_configuration if spp > 1 else 0
    src = _widen(src, rows * columns * spp, bits // 8, runner.pixel_representation == 1)
    return encode_frame(src, rows, columns, spp, bits, planar)


def _widen(src, samples: int, bytes_allocated: int, signed: bool):
    """``src`` with each sample in ``bytes_allocated`` bytes: pydicom hands encoders samples
    in the smallest container for Bits Stored (1, 2, 4 or 8 bytes), which may be narrower
    than Bits Allocated. Signed samples are sign-extended, unsigned ones zero-extended."""
    if len(src) == samples * bytes_allocated:
        return src
    have, rest = divmod(len(src), samples)
    if rest or have not in (1, 2, 4) or have > bytes_allocated:
        raise ValueError(f"frame of {len(src)} bytes does not hold {samples} samples")
    import numpy as np

    kind = "i" if signed else "u"
    return np.frombuffer(src, f"<{kind}{have}").astype(f"<{kind}{bytes_allocated}").tobytes()


def register() -> None:
    """Add the ``"dicomconv"`` plugins to pydicom's RLE Lossless decoder and encoder (no-op for
    one already there)."""
    from pydicom.pixels.decoders import RLELosslessDecoder
    from pydicom.pixels.encoders import RLELosslessEncoder

    for coder, function in ((RLELosslessDecoder, "_decode_frame"),
                            (RLELosslessEncoder, "_encode_frame")):
        if (PLUGIN_LABEL not in coder.available_plugins
                and PLUGIN_LABEL not in getattr(coder, "_unavailable", {})):
            coder.add_plugin(PLUGIN_LABEL, (__name__, function))


# ----------------------------------------------------------------------------- helpers

def _description(ds: Dataset) -> dict[str, int]:
    return {
        "rows": int(ds.Rows),
        "columns": int(ds.Columns),
        "samples_per_pixel": int(ds.get("SamplesPerPixel", 1) or 1),
        "bits_allocated": int(ds.BitsAllocated),
        "number_of_frames": int(ds.get("NumberOfFrames", 1) or 1),
    }


def decode(src: Dataset | bytes | bytearray | memoryview, rows: int | None = None,
           columns: int | None = None, samples_per_pixel: int = 1,
           bits_allocated: int | None = None, *, number_of_frames: int | None = None,
           planar_configuration: int = 0) -> bytearray:
    """Decode RLE Lossless *Pixel Data* (all frames) to native little-endian samples.

    ``src`` is a pydicom Dataset with RLE Lossless *Pixel Data* (its Image Pixel attributes are
    used, the keyword arguments ignored), encapsulated pixel data (starting with the Basic
    Offset Table item) or a single RLE frame. Returns a bytearray of all frames one after the
    other, each interleaved (``planar_configuration=0``) or colour-by-plane (1); wrap it with
    ``numpy.frombuffer`` as needed. Raises :class:`RLEError` for invalid data.
    """
    from pydicom.dataset import Dataset

    if isinstance(src, Dataset):
        ts = getattr(getattr(src, "file_meta", None), "TransferSyntaxUID", None)
        if ts is not None and ts != RLELossless:
            raise ValueError(f"dataset transfer syntax is {ts.name}, not RLE Lossless")
        desc = _description(src)
        rows, columns = desc["rows"], desc["columns"]
        samples_per_pixel, bits_allocated = desc["samples_per_pixel"], desc["bits_allocated"]
        number_of_frames = desc["number_of_frames"]
        src = src.PixelData
    if rows is None or columns is None or bits_allocated is None:
        raise TypeError("rows, columns and bits_allocated are required for a bytes source")

    data = src if isinstance(src, bytes) else memoryview(src).cast("B")
    if data[:4] == _ITEM_TAG:
        from pydicom.encaps import generate_frames

        frames = generate_frames(data if isinstance(data, bytes) else bytes(data),
                                 number_of_frames=number_of_frames)
        count = number_of_frames
    else:
        if (number_of_frames or 1) != 1:
            raise ValueError("a bare RLE frame holds one frame; pass encapsulated pixel data "
                             "for several")
        frames, count = iter([data]), 1

    frame_bytes = rows * columns * samples_per_pixel * (bits_allocated // 8)
    if count is None:      # encapsulated data without a frame count: decode what is there
        frames = list(frames)
        count = len(frames)
    out = bytearray(frame_bytes * count)
    view = memoryview(out)
    decoded = 0
    for index, frame in enumerate(frames):
        if index >= count:
            break
        decode_frame(frame, rows, columns, samples_per_pixel, bits_allocated,
                     view[index * frame_bytes:(index + 1) * frame_bytes],
                     planar_configuration)
        decoded += 1
    if decoded != count:
        raise RLEError(f"pixel data holds {decoded} frame(s), expected {count}")
    return out


def encode(src: Dataset | Any, rows: int | None = None, columns: int | None = None,
           samples_per_pixel: int = 1, bits_allocated: int | None = None, *,
           number_of_frames: int = 1, planar_configuration: int = 0,
           encapsulate: bool = True) -> bytes | list[bytes]:
    """Encode native pixel data (all frames) as RLE Lossless.

    ``src`` is a pydicom Dataset with native little-endian *Pixel Data* (its Image Pixel
    attributes are used, the keyword arguments ignored) or any C-contiguous buffer (bytes,
    numpy array, ...) of ``number_of_frames`` frames of native little-endian samples in the
    given planar configuration. Returns the encapsulated *Pixel Data* value (Basic Offset
    Table filled in, one fragment per frame) or, with ``encapsulate=False``, the list of
    encoded frames.
    """
    from pydicom.dataset import Dataset

    if isinstance(src, Dataset):
        ts = getattr(getattr(src, "file_meta", None), "TransferSyntaxUID", None)
        if ts is not None and (ts.is_compressed or not ts.is_little_endian):
            raise ValueError(f"dataset transfer syntax is {ts.name}: need native little "
                             "endian pixel data")
        desc = _description(src)
        rows, columns = desc["rows"], desc["columns"]
        samples_per_pixel, bits_allocated = desc["samples_per_pixel"], desc["bits_allocated"]
        number_of_frames = desc["number_of_frames"]
        planar_configuration = int(src.get("PlanarConfiguration", 0) or 0)
        src = src.PixelData
    if rows is None or columns is None or bits_allocated is None:
        raise TypeError("rows, columns and bits_allocated are required for a buffer source")

    data = memoryview(src).cast("B")
    frame_bytes = rows * columns * samples_per_pixel * (bits_allocated // 8)
    if len(data) < frame_bytes * number_of_frames or len(data) > frame_bytes * number_of_frames + 1:
        raise ValueError(f"pixel data has {len(data)} bytes, {number_of_frames} frame(s) of "
                         f"{frame_bytes} bytes expected")
    frames = [encode_frame(data[i * frame_bytes:(i + 1) * frame_bytes], rows, columns,
                           samples_per_pixel, bits_allocated, planar_configuration)
              for i in range(number_of_frames)]
    if not encapsulate:
        return frames
    from pydicom.encaps import encapsulate as _encapsulate

    return _encapsulate(frames, has_bot=True)
