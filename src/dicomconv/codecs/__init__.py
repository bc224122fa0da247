"""Pixel data codecs implemented by dicomconv (native code in ``dicomconv._native``).

- :mod:`dicomconv.codecs.rle` -- RLE Lossless (PS3.5 Annex G), with pydicom 3 plugins.
"""
