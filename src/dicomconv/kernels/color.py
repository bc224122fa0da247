"""Colour rendering kernels: YBR → RGB, Palette Color LUTs, planar → interleaved, bit depths,
and the PNG row filter.

Samples come in as 2-D views ``(rows, columns)``, one per component, with any strides: the
same kernel reads colour-by-pixel (Planar Configuration 0: ``frame[:, :, k]``) and
colour-by-plane (Planar Configuration 1: ``frame[k]``) data, so planar input is interleaved in
the same pass that converts it (PS3.3 C.7.6.3.1.3). Outputs are C-contiguous
``(rows, columns, 3)`` arrays of uint8 or uint16.

YBR_FULL → RGB (PS3.3 C.7.6.3.1.2). The standard gives the forward equations
``Y = .2990R + .5870G + .1140B``, ``CB = -.1687R - .3313G + .5000B + 128``,
``CR = .5000R - .4187G - .0813B + 128`` (for 8 bits; 128 is 2**(bits-1)): the ITU-R BT.601
transform with Kr = .299, Kb = .114, its coefficients rounded to 4 decimals. We apply its exact
inverse with the unrounded coefficients, the one of ISO/IEC 10918-5 (JFIF) section 7::

    R = Y + 1.402 (CR - 128)
    G = Y - (0.114 * 1.772 / 0.587) (CB - 128) - (0.299 * 1.402 / 0.587) (CR - 128)
    B = Y + 1.772 (CB - 128)

evaluated in float64 in this order, then rounded half up (``floor(v + 0.5)``) and clipped to
0 .. 2**bits - 1. YBR_FULL_422 is YBR_FULL with CB and CR shared by two horizontally adjacent
pixels: native frames store ``Y0 Y1 CB CR`` per pair of pixels (PS3.3 C.7.6.3.1.2), converted
by :func:`ybr_full_422_to_rgb` straight from the stored bytes.

YBR_RCT → RGB (PS3.3 C.7.6.3.1.2, ISO/IEC 15444-1 G.2.2), on DC-level-shifted values (the
decoded samples minus 2**(bits-1)): ``G = Y - floor((CB + CR) / 4)``, ``R = CR + G``,
``B = CB + G``. YBR_ICT (ISO/IEC 15444-1 G.3.2): ``R = Y + 1.402 CR``,
``G = Y - 0.34413 CB - 0.71414 CR``, ``B = Y + 1.772 CB``, rounded half up and clipped. (The
JPEG 2000 decoder normally applies these itself and returns RGB; these are for samples that
still carry the transform.)

Bit depths: a component of n bits becomes an output of m bits by ``round(q * (2**m - 1) /
(2**n - 1))`` in integers (round half up), which maps 0 to 0 and full scale to full scale; from
8 to 16 bits that is q * 257.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_opts = dict(cache=True, nogil=True, error_model="numpy")

KR_CR = 1.402
KG_CB = 0.114 * 1.772 / 0.587
KG_CR = 0.299 * 1.402 / 0.587
KB_CB = 1.772


@njit(**_opts)
def _rescale(q, imax, omax):
    """Integer q in 0 .. imax to 0 .. omax, rounded half up (q * omax / imax)."""
    if imax == omax:
        return q
    return (q * omax * 2 + imax) // (2 * imax)


@njit(**_opts)
def _round_clip(v, imax):
    q = math.floor(v + 0.5)
    if q < 0.0:
        return np.int64(0)
    if q > imax:
        return np.int64(imax)
    return np.int64(q)


@njit(**_opts)
def ybr_full_to_rgb(y, cb, cr, half, imax, omax, out):
    """YBR_FULL (any layout: three 2-D views) → interleaved RGB ``out`` (rows, columns, 3).
    ``half`` = 2**(bits-1), ``imax`` = 2**bits - 1, ``omax`` = the output's full scale."""
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            yy = np.float64(y[r, c])
            b_ = np.float64(cb[r, c]) - half
            r_ = np.float64(cr[r, c]) - half
            out[r, c, 0] = _rescale(_round_clip(yy + KR_CR * r_, imax), imax, omax)
            out[r, c, 1] = _rescale(_round_clip(yy - KG_CB * b_ - KG_CR * r_, imax), imax, omax)
            out[r, c, 2] = _rescale(_round_clip(yy + KB_CB * b_, imax), imax, omax)


@njit(**_opts)
def ybr_full_422_to_rgb(raw, omax, out):
    """Native YBR_FULL_422, 8 bits: ``raw`` (rows, 2 * columns) uint8 as stored, ``Y0 Y1 CB CR``
    for each pair of pixels → interleaved RGB ``out`` (rows, columns, 3)."""
    for r in range(out.shape[0]):
        for p in range(out.shape[1] // 2):
            b_ = np.float64(raw[r, 4 * p + 2]) - 128.0
            r_ = np.float64(raw[r, 4 * p + 3]) - 128.0
            for k in range(2):
                yy = np.float64(raw[r, 4 * p + k])
                c = 2 * p + k
                out[r, c, 0] = _rescale(_round_clip(yy + KR_CR * r_, 255), 255, omax)
                out[r, c, 1] = _rescale(_round_clip(yy - KG_CB * b_ - KG_CR * r_, 255), 255, omax)
                out[r, c, 2] = _rescale(_round_clip(yy + KB_CB * b_, 255), 255, omax)


@njit(**_opts)
def ybr_rct_to_rgb(y, cb, cr, half, imax, omax, out):
    """YBR_RCT → RGB (ISO/IEC 15444-1 G.2.2) on samples carrying the DC level shift ``half``."""
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            yy = np.int64(y[r, c]) - half
            b_ = np.int64(cb[r, c]) - half
            r_ = np.int64(cr[r, c]) - half
            g = yy - ((b_ + r_) >> 2)              # floor((CB + CR) / 4)
            out[r, c, 0] = _rescale(min(max(r_ + g + half, 0), imax), imax, omax)
            out[r, c, 1] = _rescale(min(max(g + half, 0), imax), imax, omax)
            out[r, c, 2] = _rescale(min(max(b_ + g + half, 0), imax), imax, omax)


@njit(**_opts)
def ybr_ict_to_rgb(y, cb, cr, half, imax, omax, out):
    """YBR_ICT → RGB (ISO/IEC 15444-1 G.3.2) on samples carrying the DC level shift ``half``."""
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            yy = np.float64(y[r, c])
            b_ = np.float64(cb[r, c]) - half
            r_ = np.float64(cr[r, c]) - half
            out[r, c, 0] = _rescale(_round_clip(yy + 1.402 * r_, imax), imax, omax)
            out[r, c, 1] = _rescale(_round_clip(yy - 0.34413 * b_ - 0.71414 * r_, imax), imax, omax)
            out[r, c, 2] = _rescale(_round_clip(yy + 1.772 * b_, imax), imax, omax)


@njit(**_opts)
def rgb_to_output(c0, c1, c2, mask, imax, omax, out):
    """RGB in any layout (three 2-D views) → interleaved ``out``: bits above Bits Stored cleared
    (``mask``) and the depth changed from ``imax`` to ``omax`` full scale. With equal depths it
    is the planar → interleaved copy."""
    for r in range(c0.shape[0]):
        for c in range(c0.shape[1]):
            out[r, c, 0] = _rescale(np.int64(c0[r, c]) & mask, imax, omax)
            out[r, c, 1] = _rescale(np.int64(c1[r, c]) & mask, imax, omax)
            out[r, c, 2] = _rescale(np.int64(c2[r, c]) & mask, imax, omax)


@njit(**_opts)
def planar_to_interleaved(planes, out):
    """Colour-by-plane ``planes`` (samples, rows, columns) → colour-by-pixel ``out`` (rows,
    columns, samples), same type."""
    for k in range(planes.shape[0]):
        for r in range(planes.shape[1]):
            for c in range(planes.shape[2]):
                out[r, c, k] = planes[k, r, c]


@njit(**_opts)
def apply_palette(src, mask, sign, first, lut, out):
    """Palette Color (PS3.3 C.7.6.3.1.5-6): ``out[i, :] = lut[x - first, :]`` for the stored
    values x of ``src`` (1-D), x below the first value mapped → the first entry, beyond the
    last → the last entry. ``lut`` (entries, 3) holds the output values already."""
    m = np.int32(mask)
    s = np.int32(sign)
    f = np.int32(first)
    last = np.int32(lut.shape[0] - 1)
    zero = np.int32(0)
    for i in range(src.shape[0]):
        # int32 arithmetic through ufuncs (see kernels.render)
        x = np.subtract(np.bitwise_xor(np.bitwise_and(np.int32(src[i]), m), s), s)
        j = np.subtract(x, f)
        if j < zero:
            j = zero
        if j > last:
            j = last
        out[i, 0] = lut[j, 0]
        out[i, 1] = lut[j, 1]
        out[i, 2] = lut[j, 2]


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def apply_palette_parallel(src, mask, sign, first, lut, out, chunks):
    n = src.shape[0]
    step = (n + chunks - 1) // chunks
    for k in prange(chunks):
        start = k * step
        stop = min(n, start + step)
        if start < stop:
            apply_palette(src[start:stop], mask, sign, first, lut, out[start:stop])


# ------------------------------------------------------------------------ PNG row filter

@njit(**_opts)
def png_filter_up8(img, out):
    """PNG scanlines with filter type 2 (Up, ISO/IEC 15948 9.2) from 8-bit samples: ``img``
    (rows, bytes per row) uint8 → ``out`` (rows, 1 + bytes per row): the filter byte, then each
    byte minus the byte above it (mod 256; the row above the first is zeros)."""
    for r in range(img.shape[0]):
        out[r, 0] = 2
        if r == 0:
            for c in range(img.shape[1]):
                out[r, c + 1] = img[r, c]
        else:
            for c in range(img.shape[1]):
                out[r, c + 1] = np.uint8(img[r, c] - img[r - 1, c])


@njit(**_opts)
def png_filter_up16(img, out):
    """As :func:`png_filter_up8` for 16-bit samples ``img`` (rows, samples per row) uint16,
    written big endian (PNG's byte order, ISO/IEC 15948 7.1) and Up-filtered byte by byte."""
    for r in range(img.shape[0]):
        out[r, 0] = 2
        for c in range(img.shape[1]):
            v = img[r, c]
            hi = np.uint8(v >> 8)
            lo = np.uint8(v & 0xFF)
            if r > 0:
                u = img[r - 1, c]
                hi = np.uint8(hi - np.uint8(u >> 8))
                lo = np.uint8(lo - np.uint8(u & 0xFF))
            out[r, 2 * c + 1] = hi
            out[r, 2 * c + 2] = lo
