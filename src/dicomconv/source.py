"""ImageSource: the one currency between image readers (``dicomconv.inputs``) and the DICOM side.

It carries either still-encoded frames (a JPEG stream, with the transfer syntax it implies) or,
in later readers, native pixel data, plus the pixel description the DICOM Image Pixel module
needs (PS3.3 C.7.6.3).
"""
from __future__ import annotations


class ImageSource:
    """Pixels ready to be put into a DICOM dataset.

    ``frames`` is a list with one entry per frame; each entry is a list of bytes-like chunks
    whose concatenation is that frame's encoded stream (chunks let a reader drop segments
    without copying the rest).

    (A plain class rather than a dataclass: building dataclasses at import costs the CLI
    several milliseconds of start-up.)

    Attributes: ``transfer_syntax`` (UID the frames are encoded in), ``rows``, ``columns``,
    ``samples_per_pixel`` (1 or 3), ``photometric`` (PS3.3 C.7.6.3.1.2 defined term),
    ``bits_allocated`` (8 or 16), ``bits_stored``, ``pixel_representation`` (0 unsigned, 1 signed),
    ``planar_configuration``, ``lossy`` (lossy compression has been applied, PS3.3 C.7.6.1.1.5),
    ``lossy_method`` (e.g. ``ISO_10918_1``), ``icc_profile`` (bytes or None), ``notes`` (what the
    reader did, for verbose output).
    """

    __slots__ = ("frames", "transfer_syntax", "rows", "columns", "samples_per_pixel", "photometric",
                 "bits_allocated", "bits_stored", "pixel_representation", "planar_configuration",
                 "lossy", "lossy_method", "icc_profile", "notes")

    def __init__(self, frames: list[list[bytes | memoryview]], transfer_syntax: str, rows: int, columns: int,
                 samples_per_pixel: int, photometric: str, bits_allocated: int, bits_stored: int,
                 pixel_representation: int = 0, planar_configuration: int = 0, lossy: bool = False,
                 lossy_method: str | None = None, icc_profile: bytes | None = None,
                 notes: list[str] | None = None) -> None:
        self.frames = frames
        self.transfer_syntax = transfer_syntax
        self.rows = rows
        self.columns = columns
        self.samples_per_pixel = samples_per_pixel
        self.photometric = photometric
        self.bits_allocated = bits_allocated
        self.bits_stored = bits_stored
        self.pixel_representation = pixel_representation
        self.planar_configuration = planar_configuration
        self.lossy = lossy
        self.lossy_method = lossy_method
        self.icc_profile = icc_profile
        self.notes = notes if notes is not None else []

    def __repr__(self) -> str:
        return (f"ImageSource({self.rows}x{self.columns}x{self.samples_per_pixel}, {self.photometric}, "
                f"{self.bits_stored}/{self.bits_allocated} bits, {self.number_of_frames} frame(s), "
                f"{self.transfer_syntax})")

    @property
    def number_of_frames(self) -> int:
        return len(self.frames)

    @property
    def encoded_length(self) -> int:
        """Total bytes of the encoded frames."""
        return sum(len(c) for chunks in self.frames for c in chunks)

    @property
    def lossy_ratio(self) -> float | None:
        """Uncompressed size over compressed size (PS3.3 C.7.6.1.1.5.1), or None if lossless."""
        if not self.lossy:
            return None
        raw = self.rows * self.columns * self.samples_per_pixel * (self.bits_allocated // 8) * self.number_of_frames
        return raw / max(1, self.encoded_length)
