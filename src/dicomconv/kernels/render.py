"""Greyscale rendering kernels: Modality LUT → VOI LUT → polarity → 8- or 16-bit output.

The grayscale pipeline of PS3.4 N.2.1.1 (PS3.3 C.11), for one stored value x:

1. Stored values. ``x`` is the stored sample with the bits above Bits Stored removed and the sign
   extended when Pixel Representation is 1 (PS3.5 8.1.1; PS3.3 C.7.6.3.1.1): every kernel takes
   ``mask = 2**n - 1`` and ``sign = 2**(n-1)`` (0 for unsigned) and computes
   ``x = ((raw & mask) ^ sign) - sign``, so native frames are used as stored, without a copy.

2. Modality LUT (PS3.3 C.11.1), ``v = modality_value(x)``:

   - rescale, PS3.3 C.11.1.1.2: ``v = m * x + b`` (Rescale Slope m, Rescale Intercept b);
   - Modality LUT Sequence, PS3.3 C.11.1.1.1: LUT Descriptor = (entries, first stored value
     mapped, bits per entry); x below the first value mapped gives the first entry, x beyond the
     last gives the last entry, else ``v = LUT[x - first]``;
   - none: ``v = x``.

3. VOI LUT (PS3.3 C.11.2), ``y = voi_value(v)`` in [0, ymax] (ymin = 0, ymax = 255 or 65535):

   - LINEAR, PS3.3 C.11.2.1.2.1 (Window Center c, Window Width w >= 1)::

         if   v <= c - 0.5 - (w - 1) / 2:  y = 0
         elif v >  c - 0.5 + (w - 1) / 2:  y = ymax
         else: y = ((v - (c - 0.5)) / (w - 1) + 0.5) * ymax

     The -0.5 and -1 make a window of width 2**n centred at 2**(n-1) select exactly the values
     0 .. 2**n - 1. Width 1 is a threshold: both borders are c - 0.5, v <= c - 0.5 gives 0 and
     anything above gives ymax (the third branch is never reached, so nothing divides by 0).
   - LINEAR_EXACT, PS3.3 C.11.2.1.3.2 (w > 0)::

         if   v <= c - w / 2:  y = 0
         elif v >  c + w / 2:  y = ymax
         else: y = ((v - c) / w + 0.5) * ymax

   - SIGMOID, PS3.3 C.11.2.1.3.1 (w > 0): ``y = ymax / (1 + exp(-4 * (v - c) / w))``.
   - VOI LUT Sequence, PS3.3 C.11.2.1.1: as the Modality LUT table (first value mapped, clamped
     at both ends) with the input ``floor(v)``, and the entry scaled from its 0 .. 2**bits - 1
     range (third descriptor value) to the output: ``y = LUT[i] * ymax / (2**bits - 1)``.
   - none (no VOI): the full range [lo, hi] of possible modality output values mapped linearly,
     ``y = (v - lo) / (hi - lo) * ymax`` (an implementation choice; the standard defines none).

   The selection between these (VOI LUT Function (0028,1056), the n-th window or table, or a
   computed window) is made by :mod:`dicomconv.render`.

4. Output value ``q = floor(y + 0.5)`` (round half up of the exact value: see :func:`quantize`
   for the float64 tolerance), clipped to [0, ymax]; then inverted,
   ``q = ymax - q``, when the output must be inverted (MONOCHROME1 without a Presentation LUT
   Shape, or Presentation LUT Shape INVERSE: PS3.3 C.7.6.3.1.2, C.11.6.1) -- after the VOI
   transformation, never before it.

The reference evaluation is in float64 scalars, the fast path in float32 registers; no kernel
makes a float (or any other) temporary of a frame: a frame is mapped in one pass, from the stored
samples into the output (a window computed from the frame adds one statistics pass before).

Kernels:

- :func:`build_table`: the whole chain for every possible stored value lo .. lo + n - 1 (at most
  65536 for up to 16 bits stored) into a table of output values -- the reference the other
  kernels must reproduce; :func:`apply_table` maps a frame through it (one gather per sample).
- :func:`apply_affine`: when modality and VOI are both linear (rescale or none, then LINEAR or
  LINEAR_EXACT with a width that is not a threshold, or no VOI), the chain between its clips is
  ``y + 0.5 = a * (x - x0) + b``; evaluated in float32 it vectorises (8 samples per AVX2
  instruction) and runs 4-5x faster than the gather. The caller uses it only after running it on
  *every* possible stored value and finding exactly the table's outputs (where float32 rounding
  disagrees with the float64 formula, typically at a value exactly half-way between two
  outputs, b is nudged by a few ulps and checked again, else the table is used). For 8-bit
  output it is almost always exact; for 16-bit output float32 is often too coarse and the
  table is used.
- :func:`render_direct`: stored values of more than 16 bits (no table): the chain per sample.
- :func:`minmax16`, :func:`minmax_wide`, :func:`histogram16`: statistics of the stored values
  for the automatic windows.

``*_parallel`` variants split a frame into ``chunks`` run on numba's thread pool (off by
default: see :mod:`dicomconv.kernels`).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

MOD_NONE, MOD_RESCALE, MOD_TABLE = 0, 1, 2
VOI_LINEAR, VOI_LINEAR_EXACT, VOI_SIGMOID, VOI_TABLE, VOI_NONE = 0, 1, 2, 3, 4

_opts = dict(cache=True, nogil=True, error_model="numpy")


# ------------------------------------------------------------------- the chain, one value

@njit(**_opts)
def modality_value(x, mode, slope, intercept, table, first):
    """Modality LUT output (float64) for the stored value ``x`` (int64); see the module doc."""
    if mode == MOD_RESCALE:
        return x * slope + intercept                  # PS3.3 C.11.1.1.2
    if mode == MOD_TABLE:                             # PS3.3 C.11.1.1.1
        i = x - first
        if i < 0:
            i = 0
        elif i >= table.shape[0]:
            i = table.shape[0] - 1
        return np.float64(table[i])
    return np.float64(x)


@njit(**_opts)
def voi_value(v, func, c, w, ymax, table, first, table_max):
    """VOI output y in [0, ymax] (float64) for the modality value ``v``; see the module doc.
    For VOI_NONE, ``c`` and ``w`` carry the lowest and highest possible modality values."""
    if func == VOI_LINEAR:                            # PS3.3 C.11.2.1.2.1
        if v <= c - 0.5 - (w - 1.0) / 2.0:
            return 0.0
        if v > c - 0.5 + (w - 1.0) / 2.0:
            return ymax
        return ((v - (c - 0.5)) / (w - 1.0) + 0.5) * ymax
    if func == VOI_LINEAR_EXACT:                      # PS3.3 C.11.2.1.3.2
        if v <= c - w / 2.0:
            return 0.0
        if v > c + w / 2.0:
            return ymax
        return ((v - c) / w + 0.5) * ymax
    if func == VOI_SIGMOID:                           # PS3.3 C.11.2.1.3.1
        return ymax / (1.0 + math.exp(-4.0 * (v - c) / w))
    if func == VOI_TABLE:                             # PS3.3 C.11.2.1.1
        i = np.int64(math.floor(v)) - first
        if i < 0:
            i = 0
        elif i >= table.shape[0]:
            i = table.shape[0] - 1
        return table[i] * ymax / table_max
    # VOI_NONE: [c, w] = [lowest, highest] possible modality output
    if w <= c:
        return 0.0
    return (v - c) / (w - c) * ymax


@njit(**_opts)
def quantize(y, ymax, invert):
    """Round half up, clip to [0, ymax], invert when asked (after the VOI, PS3.3 C.7.6.3.1.2).

    Half up of the *exact* value: float64 evaluation of an exact half (e.g. window 1553/527
    LINEAR_EXACT puts v = 1367 at 37.5, computed as 37.49999999999999) may land an ulp below
    it, so anything within ymax * 2**-38 (1e-9 for 8 bits) below a half counts as the half.
    No value that is not a half comes that close for windows with up to ~6 significant digits
    (the nearest non-half is at least 1 / (2 w) away for integral windows)."""
    q = math.floor(y + 0.5 + ymax * 3.637978807091713e-12)
    if q < 0.0:
        q = 0.0
    elif q > ymax:
        q = ymax
    if invert:
        q = ymax - q
    return q


@njit(**_opts)
def chain_value(x, mmode, slope, intercept, mtable, mfirst, vfunc, c, w, vtable, vfirst, vmax,
                ymax, invert):
    """The output value (float64, integral) of the whole chain for the stored value ``x``."""
    v = modality_value(x, mmode, slope, intercept, mtable, mfirst)
    return quantize(voi_value(v, vfunc, c, w, ymax, vtable, vfirst, vmax), ymax, invert)


# ------------------------------------------------------------------------------- tables
#
# Integer arithmetic in the per-sample loops goes through numpy ufuncs (np.bitwise_and,
# np.subtract, ...): on int32 scalars they stay int32, where Python operators make numba widen
# to int64 -- which LLVM then vectorises 4 lanes wide instead of 8 (the frame kernels ran at
# half speed).

@njit(**_opts)
def stored_value(raw, m, s):
    """The stored value of a sample (int32): ``((raw & mask) ^ sign) - sign``."""
    return np.subtract(np.bitwise_xor(np.bitwise_and(np.int32(raw), m), s), s)


@njit(**_opts)
def build_table(lo, out, mmode, slope, intercept, mtable, mfirst, vfunc, c, w, vtable, vfirst,
                vmax, ymax, invert):
    """out[i] = the chain's output for the stored value lo + i (out: uint8 or uint16)."""
    for i in range(out.shape[0]):
        out[i] = chain_value(np.int64(lo + i), mmode, slope, intercept, mtable, mfirst, vfunc, c,
                             w, vtable, vfirst, vmax, ymax, invert)


@njit(**_opts)
def apply_table(src, mask, sign, lo, table, out):
    """out[i] = table[x - lo] (clamped to the table) for the stored values x of ``src``
    (1-D, up to 16 bits: uint8, int8, uint16, int16)."""
    m = np.int32(mask)
    s = np.int32(sign)
    low = np.int32(lo)
    last = np.int32(table.shape[0] - 1)
    zero = np.int32(0)
    for i in range(src.shape[0]):
        j = np.subtract(stored_value(src[i], m, s), low)
        if j < zero:
            j = zero
        if j > last:
            j = last
        out[i] = table[j]


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def apply_table_parallel(src, mask, sign, lo, table, out, chunks):
    n = src.shape[0]
    step = (n + chunks - 1) // chunks
    for k in prange(chunks):
        start = k * step
        stop = min(n, start + step)
        if start < stop:
            apply_table(src[start:stop], mask, sign, lo, table, out[start:stop])


# ------------------------------------------------------------------------ the affine path

@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def apply_affine(src, mask, sign, x0, a, b, ymax, inv, out):
    """out[i] = trunc(clip(a * (x - x0) + b, 0, ymax)) XOR inv for the stored values x of
    ``src`` (1-D, up to 16 bits), in float32: ``b`` includes the +0.5 of the rounding
    (truncation is the floor once clipped to >= 0) and ``inv`` is ymax to invert (ymax is all
    ones, so XOR is ymax - q), else 0. LLVM may fuse the multiply-add (``contract``): the
    caller checks this very function against the reference table on every possible stored
    value before using it on a frame."""
    m = np.int32(mask)
    s = np.int32(sign)
    x0_ = np.int32(x0)
    inv_ = np.int32(inv)
    zero = np.float32(0.0)
    if mask == (1 << (8 * src.itemsize)) - 1 and (sign != 0) == (src.dtype.kind == "i"):
        # Bits Stored fills the container with its signedness: the samples are the values
        # (this loop skips 3 of the 10 vector operations per sample: ~20 % faster)
        for i in range(src.shape[0]):
            y = np.float32(np.subtract(np.int32(src[i]), x0_)) * a + b
            if y < zero:
                y = zero
            if y > ymax:
                y = ymax
            out[i] = np.bitwise_xor(np.int32(y), inv_)
        return
    for i in range(src.shape[0]):
        y = np.float32(np.subtract(stored_value(src[i], m, s), x0_)) * a + b
        if y < zero:
            y = zero
        if y > ymax:
            y = ymax
        out[i] = np.bitwise_xor(np.int32(y), inv_)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def apply_affine_parallel(src, mask, sign, x0, a, b, ymax, inv, out, chunks):
    n = src.shape[0]
    step = (n + chunks - 1) // chunks
    for k in prange(chunks):
        start = k * step
        stop = min(n, start + step)
        if start < stop:
            apply_affine(src[start:stop], mask, sign, x0, a, b, ymax, inv, out[start:stop])


# ------------------------------------------------------------------------ the direct path

@njit(**_opts)
def render_direct(src, mask, sign, out, mmode, slope, intercept, mtable, mfirst, vfunc, c, w,
                  vtable, vfirst, vmax, ymax, invert):
    """The chain per sample, for stored values too wide for a table (32 bits)."""
    for i in range(src.shape[0]):
        x = ((np.int64(src[i]) & mask) ^ sign) - sign
        out[i] = chain_value(x, mmode, slope, intercept, mtable, mfirst, vfunc, c, w, vtable,
                             vfirst, vmax, ymax, invert)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def render_direct_parallel(src, mask, sign, out, mmode, slope, intercept, mtable, mfirst, vfunc,
                           c, w, vtable, vfirst, vmax, ymax, invert, chunks):
    n = src.shape[0]
    step = (n + chunks - 1) // chunks
    for k in prange(chunks):
        start = k * step
        stop = min(n, start + step)
        if start < stop:
            render_direct(src[start:stop], mask, sign, out[start:stop], mmode, slope, intercept,
                          mtable, mfirst, vfunc, c, w, vtable, vfirst, vmax, ymax, invert)


# --------------------------------------------------------------------------- statistics

@njit(**_opts)
def minmax16(src, mask, sign):
    """(min, max) of the stored values of ``src`` (up to 16 bits; int32 arithmetic, vectorised)."""
    m = np.int32(mask)
    s = np.int32(sign)
    lo = np.int32(2147483647)
    hi = np.int32(-2147483647)
    for i in range(src.shape[0]):
        x = stored_value(src[i], m, s)
        lo = np.minimum(lo, x)
        hi = np.maximum(hi, x)
    return np.int64(lo), np.int64(hi)


@njit(**_opts)
def minmax_wide(src, mask, sign):
    """(min, max) of the stored values of ``src`` (any integer type; int64 arithmetic)."""
    lo = np.int64(9223372036854775807)
    hi = np.int64(-9223372036854775807)
    for i in range(src.shape[0]):
        x = ((np.int64(src[i]) & mask) ^ sign) - sign
        if x < lo:
            lo = x
        if x > hi:
            hi = x
    return lo, hi


@njit(**_opts)
def histogram16(src, mask, sign, lo, counts):
    """counts[x - lo] += 1 for the stored values x of ``src`` (up to 16 bits); values outside
    the counts are clamped to its ends (they cannot occur once masked)."""
    m = np.int32(mask)
    s = np.int32(sign)
    low = np.int32(lo)
    last = np.int32(counts.shape[0] - 1)
    zero = np.int32(0)
    for i in range(src.shape[0]):
        j = np.subtract(stored_value(src[i], m, s), low)
        if j < zero:
            j = zero
        if j > last:
            j = last
        counts[j] += 1
