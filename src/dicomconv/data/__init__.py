"""Bundled example input (an image generated for dicomconv, not taken from any corpus)."""
