"""ImageSource: the one currency between image readers (``dicomconv.inputs``) and the DICOM side.

It carries either still-encoded frames (a JPEG stream, with the transfer syntax it implies) or,
in later readers, native pixel data, plus the pixel description the DICOM Image Pixel module
needs (PS3.3 C.7.6.3).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ImageSource:
    """Pixels ready to be put into a DICOM dataset.

    ``frames`` is a list with one entry per frame; each entry is a list of bytes-like chunks
    whose concatenation is that frame's encoded stream (chunks let a reader drop segments
    without copying the rest).
    """

    frames: list[list[bytes | memoryview]]
    transfer_syntax: str          #: transfer syntax UID the frames are encoded in
    rows: int
    columns: int
    samples_per_pixel: int        #: 1 or 3
    photometric: str              #: PS3.3 C.7.6.3.1.2 defined term
    bits_allocated: int           #: 8 or 16
    bits_stored: int
    pixel_representation: int = 0 #: 0 unsigned, 1 two's complement
    planar_configuration: int = 0
    lossy: bool = False           #: lossy compression has been applied (PS3.3 C.7.6.1.1.5)
    lossy_method: str | None = None  #: e.g. ISO_10918_1
    icc_profile: bytes | None = None
    notes: list[str] = field(default_factory=list)  #: what the reader did, for verbose output

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
