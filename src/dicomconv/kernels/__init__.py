"""numba kernels for rendering DICOM pixel data into displayable images (issue 6).

- :mod:`dicomconv.kernels.render`: greyscale chain -- Modality LUT (rescale or table), VOI
  (window LINEAR / LINEAR_EXACT / SIGMOID, VOI LUT, none), MONOCHROME1 / Presentation LUT Shape
  inversion, quantisation to 8 or 16 bits; frame statistics for automatic windows.
- :mod:`dicomconv.kernels.color`: YBR_FULL / YBR_FULL_422 / YBR_RCT / YBR_ICT → RGB, Palette
  Color LUTs, planar → interleaved, bit-depth changes, PNG row filtering.

Every kernel is ``@njit(cache=True, nogil=True)``: compiled once per signature and cached on disk
(next to the module, or in numba's user cache folder when that is not writable), so a process
pays numba's import and the cache load, not the compilation. ``nogil`` lets a caller run kernels
in threads.

``parallel=True``: the per-sample mapping of whole frames (the affine and table kernels, the
palette and the 32-bit chain) also has a ``*_parallel`` wrapper that splits the frame into
chunks, each run by the serial kernel (the serial inner loop is what LLVM vectorises; a loop
written directly inside ``prange`` is not vectorised and ran 3x slower). It is *off* by default,
because on a shared 2-core machine it does not pay: the 2048x2048 int16 → uint8 map takes
0.38 ms on two idle cores against 0.75 ms on one, but numba's OpenMP barrier waits for the
second thread, and whenever another process holds the other core that is a scheduler tick --
medians of 7-8 ms were measured under such load, against a steady ~1 ms for the serial kernel.
A batch is better spread over files (``dicomconv batch``-style worker pools). Set
``DICOMCONV_PARALLEL=1`` (and more than one numba thread) to use them for frames of at least
:data:`PARALLEL_MIN_SAMPLES` samples.

This module imports nothing heavy: :func:`init_numba` is what a command line calls once.
"""
from __future__ import annotations

import os
import sys

__all__ = ["init_numba", "require_numba", "use_parallel", "PARALLEL_MIN_SAMPLES"]


def require_numba() -> None:
    """Raise :class:`~dicomconv.errors.UnsupportedInputError` (exit code 22) naming the missing
    package when numba cannot be imported."""
    try:
        import numba  # noqa: F401
    except ImportError as exc:
        from ..errors import UnsupportedInputError

        raise UnsupportedInputError(f"rendering needs the numba package (pip install numba): "
                                    f"{exc}") from None

#: With DICOMCONV_PARALLEL=1, frames of at least this many samples use the parallel kernels.
PARALLEL_MIN_SAMPLES = 1 << 20


def use_parallel(samples: int) -> bool:
    """Whether a frame of ``samples`` samples should be mapped by the ``*_parallel`` kernels:
    only when DICOMCONV_PARALLEL is 1 / yes / true, numba has more than one thread and the
    frame is large enough."""
    if samples < PARALLEL_MIN_SAMPLES:
        return False
    if os.environ.get("DICOMCONV_PARALLEL", "").strip().lower() not in ("1", "yes", "true", "on"):
        return False
    import numba

    return numba.get_num_threads() > 1

_initialised = False


def init_numba(lean: bool = True) -> None:
    """Import numba and initialise its CPU target now (the first call of any jitted function
    does this otherwise; it costs ~0.3 s even when everything comes from the cache).

    ``lean``: initialise with SciPy hidden. numba imports ``scipy.linalg`` while it registers
    its numpy implementations, only to find a BLAS for ``np.dot`` & co., which our kernels do not
    use; the import costs ~0.25 s. Afterwards numba believes there is no BLAS in this process
    (jitted ``np.dot`` would fail to compile), so only a command line -- a process of its own --
    should ask for this. No-op when numba's target was initialised already."""
    global _initialised
    if _initialised:
        return
    require_numba()
    hidden = []
    if lean and "scipy" not in sys.modules:
        hidden = ["scipy"]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import scipy` fail
    try:
        from numba.core.registry import cpu_target

        cpu_target.target_context.refresh()
        cpu_target.typing_context.refresh()
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    _initialised = True
