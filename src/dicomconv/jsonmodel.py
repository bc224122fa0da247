"""The DICOM JSON Model (PS3.18 Annex F): DICOM → JSON with bulk data (``dicomconv dcm2json``)
and JSON → DICOM (``dicomconv json2dcm``).

DICOM → JSON (:func:`dicom_to_json`, :func:`convert_file`), as DCMTK's ``dcm2json``:

- One JSON object per dataset, keys ``"GGGGEEEE"`` (upper-case hex) in ascending tag order;
  group lengths (gggg,0000) and, unless ``write_meta``, the file meta information are left
  out. Each attribute is ``{"vr": ..., "Value": [...]}``, ``{"vr": ..., "InlineBinary": ...}``
  (base64 of the little-endian value) or ``{"vr": ..., "BulkDataURI": ...}``; an empty value
  has no ``Value``. Empty values inside a multi-valued attribute are ``null``.
- Strings: decoded from the Specific Character Set (0008,0005) of their dataset or item
  (ISO 2022 code extensions included) and written as UTF-8; values that cannot be decoded are
  an error naming the attribute (:class:`CharsetError`, exit code 80), so is a non-ASCII byte
  in a dataset without Specific Character Set unless ``charset_assume`` names the character set
  to assume. Since the output is Unicode, a Specific Character Set other than the default
  repertoire is written as ``ISO_IR 192`` (as DCMTK does). Leading and trailing spaces are
  removed where PS3.5 Table 6.2-1 says they are not significant (trailing only for DA, DT, TM,
  AS, UC, LT, ST, UT, UR); UI values lose their NUL padding.
- PN: objects with ``Alphabetic`` / ``Ideographic`` / ``Phonetic`` for the non-empty
  component groups. AT: ``"GGGGEEEE"`` strings. SQ: the items as nested objects.
- Numbers: US, SS, UL, SL, FL, FD as JSON numbers (FL with the fewest digits that give the same
  32-bit float, FD with Python's shortest round-trip form); SV/UV as numbers when within
  ±(2**53 - 1), else strings. IS/DS per ``number_policy``: ``"auto"`` numbers when the value is
  a valid IS/DS, strings otherwise; ``"number"`` always numbers (an invalid value is an error,
  :class:`InvalidJsonValueError`, exit code 81); ``"string"`` always strings. Valid IS/DS text
  is normalised to JSON number syntax (no ``+``, no leading zeros, a digit on both sides of the
  decimal point), otherwise kept as written. Infinity and NaN (FL/FD) are an error unless
  ``extended_numbers``, which writes ``inf``, ``-inf`` and ``nan`` (DCMTK's extension).
- Bulk data (``bulk``): binary values (OB, OD, OF, OL, OV, OW, UN) and DS, FD, FL, IS, SV, UV
  values of at least ``bulk_size`` kB are written to files in ``bulk_dir`` (optionally a
  sub-folder per SOP Instance UID) named by the SHA-256 of their content, with an extension
  giving the MIME type (``.bin`` application/octet-stream; encapsulated Pixel Data by transfer
  syntax: ``.jpeg``, ``.dicom-rle``, ``.jls``, ``.jp2``, ``.jpx``, ``.jphc``, ``.jxl``, ``.mpeg``,
  ``.mp4``, ``.H265``, ``.x-deflate``). The URI is ``bulk_uri_prefix`` + file name (default: the
  ``file://localhost/`` URI of the folder). Files are content-addressed, written atomically, and
  only once the whole JSON has been built (a failure leaves none of this run's files behind).
- Encapsulated Pixel Data is always written as bulk data, even without ``bulk`` (its JSON form
  is not defined otherwise): ``pixel_bulk="frames"`` (default) one file per frame (its fragments
  concatenated: a playable stream), the attribute's URI pointing at the frame's file for one
  frame and at a ``text/uri-list`` file (RFC 2483, ``.uri-list``) listing the frame files in
  order for several; ``pixel_bulk="whole"``, one ``.bin`` file with the encapsulated value as
  stored (Basic Offset Table and fragment items, without the sequence delimiter), byte-exact.

Reading: files whose dataset is Explicit VR Little Endian are parsed by a lean reader here
(pydicom's ``RawDataElement`` tuples, no pydicom ``Dataset`` objects: about 3x faster for small
files); anything it does not handle plainly (implicit VR, big endian, deflated, UN elements
that need the dictionary's ambiguous VRs, undefined-length values other than Pixel Data or SQ,
a truncated or malformed file) is read again by pydicom, whose reading gives the same JSON.

JSON → DICOM (:func:`json_to_dicom`, :func:`json_file_to_dicom`), the inverse: a Part 10 file
in Explicit VR Little Endian (or Implicit, or Deflated), or in the encapsulated transfer syntax
of the Pixel Data. Bulk data URIs are ``file:`` URIs (``file:///path``,
``file://localhost/path``) or relative references resolved against the JSON file's folder,
optionally with DCMTK's ``?offset=N&length=M``. The transfer syntax is the one asked for, else
the JSON's (0002,0010) (written with ``write_meta``), else the one the Pixel Data's stream
headers give (JPEG SOF / JPEG-LS NEAR / JPEG 2000 wavelet, HTJ2K capabilities, RLE header),
else Explicit VR Little Endian. Frames are encapsulated one fragment per frame with a Basic
Offset Table (or with the Extended Offset Table when the JSON had one). Values are encoded in
the JSON's Specific Character Set (or UTF-8 with ``charset_replace``).
"""
from __future__ import annotations

import base64
import hashlib
import os
import re
import struct
import sys

from .errors import DicomconvError, InputError, OutputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

# ------------------------------------------------------------------------------ exit codes

#: dcm2json's exit codes beyond the general ones (its manual, "processing errors").
EXIT_CANNOT_CONVERT_TO_UNICODE = 80
EXIT_CANNOT_WRITE_VALID_JSON = 81
#: json2dcm's exit codes (DCMTK json2dcm).
EXIT_INVALID_JSON_CONTENT = 65
EXIT_BULKDATA_URI_NOT_SUPPORTED = 66


class CharsetError(DicomconvError):
    """A value cannot be converted to Unicode from its character set (exit code 80)."""

    exit_code = EXIT_CANNOT_CONVERT_TO_UNICODE


class InvalidJsonValueError(DicomconvError):
    """A value cannot be written as valid JSON with the options given (exit code 81)."""

    exit_code = EXIT_CANNOT_WRITE_VALID_JSON


class JsonContentError(InputError):
    """The JSON is not a valid DICOM JSON Model document (exit code 65)."""

    exit_code = EXIT_INVALID_JSON_CONTENT


class CannotReadError(InputError):
    """The input file cannot be read (exit code 20)."""

    exit_code = 20


class BulkDataURIError(InputError):
    """A BulkDataURI cannot be resolved or read (exit code 66)."""

    exit_code = EXIT_BULKDATA_URI_NOT_SUPPORTED


# --------------------------------------------------------------------------------- tables

# Leading and trailing spaces not significant (PS3.5 Table 6.2-1) → both stripped; the rest of
# the string VRs lose trailing spaces only.
_STRIP_BOTH = frozenset({"AE", "CS", "DS", "IS", "LO", "SH", "PN", "UI"})
_STRING_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST",
                         "TM", "UC", "UI", "UR", "UT"})
_SINGLE_VALUED = frozenset({"LT", "ST", "UT", "UR"})
_CHARSET_VRS = frozenset({"SH", "LO", "UC", "ST", "LT", "UT", "PN"})
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
_SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
_NUMBER_FORMATS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "UV": "Q", "SV": "q", "FL": "f",
                   "FD": "d"}
_NUMBER_SIZES = {"US": 2, "SS": 2, "UL": 4, "SL": 4, "UV": 8, "SV": 8, "FL": 4, "FD": 8}
_BULK_VRS = _BINARY_VRS | {"DS", "FD", "FL", "IS", "SV", "UV"}
_LONG_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
_ALL_VRS = _STRING_VRS | _BINARY_VRS | frozenset(_NUMBER_FORMATS) | {"AT", "SQ"}
_MAX_SAFE_INT = (1 << 53) - 1

_PIXEL_DATA = 0x7FE00010
_EXTENDED_OFFSET_TABLE = 0x7FE00001
_EXTENDED_OFFSET_TABLE_LENGTHS = 0x7FE00002
_SPECIFIC_CHARACTER_SET = 0x00080005
_ITEM_TAGS = frozenset({0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD})

_DS_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_IS_RE = re.compile(r"[+-]?[0-9]+")

EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
_NATIVE_SYNTAXES = {EXPLICIT_LE, IMPLICIT_LE, DEFLATED_LE, EXPLICIT_BE}


def _mime_extensions() -> dict[str, str]:
    """Transfer syntax UID → bulk data file extension (the MIME type's subtype; DCMTK's table
    and PS3.18 Table 8.7.3-5)."""
    ext = {}
    for n in (50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 70):
        ext[f"1.2.840.10008.1.2.4.{n}"] = ".jpeg"
    ext[RLE_LOSSLESS] = ".dicom-rle"
    ext["1.2.840.10008.1.2.4.80"] = ext["1.2.840.10008.1.2.4.81"] = ".jls"
    ext["1.2.840.10008.1.2.4.90"] = ext["1.2.840.10008.1.2.4.91"] = ".jp2"
    ext["1.2.840.10008.1.2.4.92"] = ext["1.2.840.10008.1.2.4.93"] = ".jpx"
    for uid in ("201", "202", "203"):
        ext[f"1.2.840.10008.1.2.4.{uid}"] = ".jphc"
    for uid in ("100", "100.1", "101", "101.1"):
        ext[f"1.2.840.10008.1.2.4.{uid}"] = ".mpeg"
    for uid in ("102", "102.1", "103", "103.1", "104", "104.1", "105", "105.1", "106", "106.1"):
        ext[f"1.2.840.10008.1.2.4.{uid}"] = ".mp4"
    ext["1.2.840.10008.1.2.4.107"] = ext["1.2.840.10008.1.2.4.108"] = ".H265"
    for uid in ("110", "111", "112"):
        ext[f"1.2.840.10008.1.2.4.{uid}"] = ".jxl"
    ext["1.2.840.10008.1.2.8.1"] = ".x-deflate"
    ext[ENCAPSULATED_UNCOMPRESSED] = ".bin"
    return ext


MIME_EXTENSIONS = _mime_extensions()
#: Extensions whose frames are one stream for all frames (video): one bulk file.
_VIDEO_EXTENSIONS = {".mpeg", ".mp4", ".H265"}
_MIME_TYPES = {".bin": "application/octet-stream", ".jpeg": "image/jpeg",
               ".dicom-rle": "image/dicom-rle", ".jls": "image/jls", ".jp2": "image/jp2",
               ".jpx": "image/jpx", ".jphc": "image/jphc", ".jxl": "image/jxl",
               ".mpeg": "video/mpeg", ".mp4": "video/mp4", ".H265": "video/H265",
               ".x-deflate": "application/x-deflate", ".uri-list": "text/uri-list"}


def mime_type(path: str) -> str:
    """The MIME type a bulk data file's extension stands for."""
    return _MIME_TYPES.get(os.path.splitext(path)[1], "application/octet-stream")


# -------------------------------------------------------------------------------- options

class JsonOptions:
    """Options of the DICOM → JSON conversion (dcm2json's, see the module docstring).

    ``bulk_size`` is in kB (1024 bytes): values of at least that many bytes become bulk data.
    ``bulk_dir`` None: the folder of the JSON output (the current folder for standard output;
    the CLI passes ".", dcm2json's default).
    ``number_policy``: "auto", "number" or "string" (IS/DS). ``pixel_bulk``: "frames" or
    "whole" (encapsulated Pixel Data). ``charset_assume``: a Specific Character Set term used
    for datasets that have none (e.g. "ISO_IR 100")."""

    __slots__ = ("formatted", "write_meta", "extended_numbers", "number_policy", "bulk",
                 "bulk_size", "bulk_uri_prefix", "bulk_dir", "bulk_subdir", "pixel_bulk",
                 "charset_assume")

    def __init__(self, *, formatted: bool = True, write_meta: bool = False,
                 extended_numbers: bool = False, number_policy: str = "auto", bulk: bool = False,
                 bulk_size: int = 1, bulk_uri_prefix: str | None = None,
                 bulk_dir: str | None = None,
                 bulk_subdir: bool = False, pixel_bulk: str = "frames",
                 charset_assume: str | None = None) -> None:
        if number_policy not in ("auto", "number", "string"):
            raise ValueError(f"number_policy must be auto, number or string, not {number_policy!r}")
        if pixel_bulk not in ("frames", "whole"):
            raise ValueError(f"pixel_bulk must be frames or whole, not {pixel_bulk!r}")
        if bulk_size < 0:
            raise ValueError(f"bulk_size must be at least 0, not {bulk_size}")
        self.formatted, self.write_meta = formatted, write_meta
        self.extended_numbers, self.number_policy = extended_numbers, number_policy
        self.bulk, self.bulk_size = bulk, bulk_size
        self.bulk_uri_prefix, self.bulk_dir, self.bulk_subdir = bulk_uri_prefix, bulk_dir, bulk_subdir
        self.pixel_bulk, self.charset_assume = pixel_bulk, charset_assume


class JsonResult:
    """What a conversion did: ``bulk_files`` (paths written or already present, in order),
    ``notes`` (one-line remarks)."""

    __slots__ = ("bulk_files", "notes")

    def __init__(self) -> None:
        self.bulk_files: list[str] = []
        self.notes: list[str] = []


# ------------------------------------------------------------------------------ bulk data

def file_uri(folder: str) -> str:
    """``file://localhost`` URI of a folder (its real path), ending with ``/``; characters other
    than letters, digits and ``-_./!~$:`` are percent-encoded (as DCMTK's dcm2json)."""
    from urllib.parse import quote

    path = os.path.realpath(folder).replace(os.sep, "/")
    if not path.startswith("/"):
        path = "/" + path
    return "file://localhost" + quote(path, safe="/-_.!~$:") + ("" if path.endswith("/") else "/")


class BulkStore:
    """Content-addressed bulk data files in ``folder``, URIs ``prefix`` + name.

    :meth:`add` only records the file (its name is the SHA-256 of the content); :meth:`commit`
    writes the recorded files that do not exist yet, each atomically; :meth:`rollback` removes
    the files this store wrote."""

    def __init__(self, folder: str, prefix: str) -> None:
        self.folder, self.prefix = folder, prefix
        self.pending: dict[str, list] = {}
        self.order: list[str] = []
        self.created: list[str] = []

    def add(self, chunks, extension: str) -> str:
        digest = hashlib.sha256()
        for chunk in chunks:
            digest.update(chunk)
        name = digest.hexdigest() + extension
        path = os.path.join(self.folder, name)
        if path not in self.pending:
            self.pending[path] = list(chunks)
            self.order.append(path)
        return self.prefix + name

    def commit(self) -> list[str]:
        from .fileio import write_atomic

        for path in self.order:
            if os.path.exists(path):        # content-addressed: same name, same content
                continue
            write_atomic(path, self.pending[path])
            self.created.append(path)
        return list(self.order)

    def rollback(self) -> None:
        for path in self.created:
            try:
                os.unlink(path)
            except OSError:
                pass
        self.created.clear()


# ------------------------------------------------------------------------- character sets

_DEFAULT_TERMS = ("", "ISO_IR 6", "ISO 2022 IR 6")
_encodings_cache: dict[tuple, list[str]] = {}


def _encodings_for(terms: tuple[str, ...]) -> list[str]:
    """Python codecs for a Specific Character Set value (a tuple of its terms); raises
    LookupError for unknown terms."""
    found = _encodings_cache.get(terms)
    if found is None:
        from pydicom import config
        from pydicom.charset import convert_encodings

        saved = config.settings.reading_validation_mode
        config.settings.reading_validation_mode = config.RAISE
        try:
            found = convert_encodings(list(terms) if terms else [""])
        finally:
            config.settings.reading_validation_mode = saved
        _encodings_cache[terms] = found
    return found


def _scs_terms(value) -> tuple[str, ...]:
    """The terms of a Specific Character Set element's value (bytes or str or list)."""
    if value is None:
        return ()
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("ascii", "replace")
    if isinstance(value, str):
        parts = value.split("\\")
    else:
        parts = [str(v) for v in value]
    terms = tuple(p.strip(" \0") for p in parts)
    return () if not any(terms) else terms


class _Charset:
    """The character set context of a dataset or item: its terms and codecs."""

    __slots__ = ("terms", "encodings", "default", "assumed")

    def __init__(self, terms: tuple[str, ...], assumed: bool = False) -> None:
        self.terms = terms
        self.default = not terms or (len(terms) == 1 and terms[0] in _DEFAULT_TERMS)
        self.assumed = assumed
        self.encodings = None if self.default else _encodings_for(terms)


# ------------------------------------------------------------------------ number formats

def _ds_number(text: str) -> str:
    """Valid DS (or IS) text → JSON number syntax."""
    sign = ""
    if text[0] in "+-":
        sign = "-" if text[0] == "-" else ""
        text = text[1:]
    mantissa, e, exponent = text.partition("e") if "e" in text else text.partition("E")
    whole, dot, fraction = mantissa.partition(".")
    whole = whole.lstrip("0") or "0"
    number = f"{whole}.{fraction or '0'}" if dot else whole
    return sign + number + (e + exponent if e else "")


def _is_number(text: str) -> str:
    sign = "-" if text[0] == "-" else ""
    digits = text.lstrip("+-").lstrip("0") or "0"
    return sign + digits


_pack_f = struct.Struct("<f").pack
_unpack_f = struct.Struct("<f").unpack


def _float32_text(value: float) -> str:
    """The shortest decimal that reads back as the same 32-bit float."""
    for digits in (6, 7, 8, 9):
        text = "%.*g" % (digits, value)
        if _unpack_f(_pack_f(float(text)))[0] == value:
            return text
    return "%.9g" % value  # pragma: no cover - 9 digits always round-trip


def _special_float(value: float, options: JsonOptions, where: str) -> str:
    if not options.extended_numbers:
        raise InvalidJsonValueError(f"{where}: {value!r} is not a valid JSON number (use "
                                    "-ee/--encode-extended to write inf and nan)")
    if value != value:
        return "nan"
    return "inf" if value > 0 else "-inf"


# --------------------------------------------------------------------- DICOM → JSON walk

def _tag_name(tag: int) -> str:
    try:
        from pydicom.datadict import keyword_for_tag

        keyword = keyword_for_tag(tag)
    except Exception:  # pragma: no cover
        keyword = ""
    text = f"({tag >> 16:04X},{tag & 0xFFFF:04X})"
    return f"{text} {keyword}" if keyword else text


class _JsonWriter:
    """Walks a pydicom dataset (raw elements as stored, where possible) and makes JSON text."""

    def __init__(self, options: JsonOptions, store: BulkStore | None, transfer_syntax: str,
                 mapped=None, result: JsonResult | None = None) -> None:
        from json.encoder import encode_basestring
        from pydicom.dataelem import RawDataElement

        self.o = options
        self.store = store
        self.transfer_syntax = transfer_syntax
        self.mapped = mapped                     # memoryview of the memory-mapped file, or None
        self.result = result if result is not None else JsonResult()
        self.pretty = options.formatted
        self.nl = "\n" if self.pretty else ""
        self.sp = " " if self.pretty else ""
        self.bulk_min = options.bulk_size * 1024 if options.bulk else None
        self.non_ascii = False
        self.extension = MIME_EXTENSIONS.get(transfer_syntax, ".bin")
        self.quote = encode_basestring
        self.raw_class = RawDataElement
        self._indents: list[str] = [""]

    def ind(self, level: int) -> str:
        if not self.pretty:
            return ""
        indents = self._indents
        while len(indents) <= level:
            indents.append("  " * len(indents))
        return indents[level]

    # -- datasets
    def dataset(self, ds, level: int, charset: _Charset, root: bool, meta=None) -> str:
        """The JSON object of a dataset or item at nesting ``level``."""
        elements = ds._dict
        pairs = sorted([(int(t), e) for t, e in elements.items()])   # plain ints: fast compares
        if meta is not None:
            pairs = sorted([(int(t), e) for t, e in meta._dict.items() if t not in elements]) + pairs
        own = elements.get(_SPECIFIC_CHARACTER_SET)
        terms = _scs_terms(own.value) if own is not None else ()
        if terms:
            try:
                charset = _Charset(terms)
            except LookupError:
                shown = "\\".join(terms)
                raise CharsetError(f"(0008,0005) SpecificCharacterSet: unknown character set "
                                   f"{shown!r}") from None
        elif root and self.o.charset_assume:
            try:
                charset = _Charset(_scs_terms(self.o.charset_assume), assumed=True)
            except LookupError:
                raise CharsetError(f"unknown character set {self.o.charset_assume!r} "
                                   "(+Ca/--charset-assume)") from None
        nl, sp = self.nl, self.sp
        ind1, ind2 = self.ind(level + 1), self.ind(level + 2)
        entries: list[tuple[int, str]] = []
        for tag, elem in pairs:
            if not tag & 0xFFFF or tag in _ITEM_TAGS:      # group lengths, stray delimiters
                continue
            source = meta if (meta is not None and tag >> 16 == 2 and tag not in elements) else ds
            vr = elem.VR
            if vr is None or vr == "UN" or " or " in vr:
                vr = self._resolve_vr(source, tag, elem)
            if tag == _PIXEL_DATA and getattr(elem, "length", 0) == 0xFFFFFFFF:
                vr = "OB"                                   # encapsulated: OB (PS3.5 A.4)
            body = self.element(source, tag, vr, elem, level + 2, charset)
            entries.append((tag, f'"{tag:08X}":{sp}{{{nl}{ind2}"vr":{sp}"{vr}"{body}{nl}{ind1}}}'))
        if root and charset.assumed and self.non_ascii and _SPECIFIC_CHARACTER_SET not in elements:
            entries.append((_SPECIFIC_CHARACTER_SET,
                            f'"00080005":{sp}{{{nl}{ind2}"vr":{sp}"CS",{nl}{ind2}"Value":{sp}[{nl}'
                            f'{self.ind(level + 3)}"ISO_IR 192"{nl}{ind2}]{nl}{self.ind(level + 1)}}}'))
            entries.sort(key=lambda e: e[0])
        if not entries:
            return "{}"
        return "{" + ",".join(f"{nl}{ind1}{text}" for _, text in entries) + f"{nl}{self.ind(level)}}}"

    # -- VRs
    def _resolve_vr(self, ds, tag: int, elem) -> str:
        if isinstance(elem, self.raw_class):
            from pydicom.hooks import raw_element_vr

            from pydicom.tag import BaseTag

            data: dict = {}
            try:
                raw_element_vr(elem._replace(tag=BaseTag(tag)), data, ds=ds)
                vr = data["VR"]
            except _NeedPydicom:
                raise
            except Exception:
                vr = "UN"
        else:
            vr = elem.VR or "UN"
        if " or " in vr:
            try:
                vr = ds[tag].VR              # pydicom's ambiguous-VR rules (converts the element)
            except _NeedPydicom:
                raise
            except Exception:
                pass
            if " or " in vr:
                vr = "OW" if "OW" in vr else vr.split(" or ")[0]
        return vr

    # -- values
    def _value_bytes(self, ds, tag: int, elem, vr: str):
        """``(bytes-like value as stored, little endian?)``."""
        if isinstance(elem, self.raw_class):
            value = elem.value
            if value is None:
                if not elem.length:
                    return b"", True
                if self.mapped is not None and elem.value_tell is not None:
                    start = elem.value_tell
                    end = len(self.mapped) if elem.length == 0xFFFFFFFF else start + elem.length
                    if end > len(self.mapped):
                        raise InputError(f"truncated file: {_tag_name(tag)} needs {end} bytes, "
                                         f"the file has {len(self.mapped)}")
                    return self.mapped[start:end], elem.is_little_endian
                value = ds[tag].value        # deferred, read by pydicom
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    return _encode_converted(vr, value), True
            return value, elem.is_little_endian
        value = elem.value
        if value is None:
            return b"", True
        return _encode_converted(vr, value), True

    def element(self, ds, tag: int, vr: str, elem, level: int, charset: _Charset) -> str:
        """The text after ``"vr": "XX"`` of an attribute's object."""
        nl, sp = self.nl, self.sp
        ind = self.ind(level)
        if vr == "SQ":
            items = elem.value
            if isinstance(elem, self.raw_class) and not isinstance(items, (list, tuple)):
                items = ds[tag].value          # a sequence stored as UN: parsed by pydicom
            if not items:
                return ""
            inner = self.ind(level + 1)
            texts = [self.dataset(item, level + 1, charset, False) for item in items]
            return (f',{nl}{ind}"Value":{sp}[{nl}{inner}' + f",{nl}{inner}".join(texts)
                    + f"{nl}{ind}]")
        value, little = self._value_bytes(ds, tag, elem, vr)
        if tag == _PIXEL_DATA and isinstance(elem, self.raw_class) and elem.length == 0xFFFFFFFF:
            uri = self.encapsulated_pixel_data(ds, value)
            return f',{nl}{ind}"BulkDataURI":{sp}{self.quote(uri)}'
        if not len(value):
            return ""
        if vr in _BINARY_VRS:
            if not little and vr in _SWAP:
                value = _swap(value, _SWAP[vr])
            if self.bulk_min is not None and len(value) >= self.bulk_min:
                uri = self.store.add([value], ".bin")
                return f',{nl}{ind}"BulkDataURI":{sp}{self.quote(uri)}'
            return f',{nl}{ind}"InlineBinary":{sp}"{base64.b64encode(value).decode("ascii")}"'
        if self.bulk_min is not None and vr in _BULK_VRS and len(value) >= self.bulk_min:
            if not little and vr in _NUMBER_FORMATS:
                value = _swap(value, _NUMBER_SIZES[vr])
            uri = self.store.add([value], ".bin")
            return f',{nl}{ind}"BulkDataURI":{sp}{self.quote(uri)}'
        values = self.values(tag, vr, value, little, charset, level + 1)
        if values is None:
            return ""
        inner = self.ind(level + 1)
        return f',{nl}{ind}"Value":{sp}[{nl}{inner}' + f",{nl}{inner}".join(values) + f"{nl}{ind}]"

    def values(self, tag: int, vr: str, value, little: bool, charset: _Charset,
               level: int) -> list[str] | None:
        """The JSON texts of the values of a non-binary element; None if all are empty."""
        if vr in _NUMBER_FORMATS:
            size = _NUMBER_SIZES[vr]
            count = len(value) // size
            if not count:
                return None
            numbers = struct.unpack(f"{'<' if little else '>'}{count}{_NUMBER_FORMATS[vr]}",
                                    value[:count * size])
            if vr == "FD":
                return [repr(v) if v - v == 0 else _special_float(v, self.o, _tag_name(tag))
                        for v in numbers]
            if vr == "FL":
                return [_float32_text(v) if v - v == 0 else _special_float(v, self.o, _tag_name(tag))
                        for v in numbers]
            if vr in ("SV", "UV"):
                return [str(v) if -_MAX_SAFE_INT <= v <= _MAX_SAFE_INT else f'"{v}"' for v in numbers]
            return [str(v) for v in numbers]
        if vr == "AT":
            count = len(value) // 4
            if not count:
                return None
            words = struct.unpack(f"{'<' if little else '>'}{2 * count}H", value[:4 * count])
            return [f'"{words[i]:04X}{words[i + 1]:04X}"' for i in range(0, 2 * count, 2)]
        text = self.decode(tag, vr, value, charset)
        if vr in _SINGLE_VALUED:
            text = text.rstrip(" ")
            return [self.quote(text) if text else "null"]
        parts = text.split("\\")
        if tag == _SPECIFIC_CHARACTER_SET:
            return self._charset_values(parts)
        if vr == "PN":
            return self._person_names(parts, level)
        if vr in _STRIP_BOTH:
            parts = [p.strip(" \0") for p in parts] if vr == "UI" else [p.strip(" ") for p in parts]
        else:
            parts = [p.rstrip(" ") for p in parts]
        if not any(parts):
            return None
        if vr == "IS" or vr == "DS":
            return self._numbers(tag, vr, parts)
        quote = self.quote
        return [quote(p) if p else "null" for p in parts]

    def _charset_values(self, parts: list[str]) -> list[str] | None:
        terms = [p.strip(" ") for p in parts]
        if not any(terms):
            return None
        if len(terms) == 1 and terms[0] in _DEFAULT_TERMS[1:]:
            return [self.quote(terms[0])]
        return ['"ISO_IR 192"']          # the values are now UTF-8 (DCMTK does the same)

    def _numbers(self, tag: int, vr: str, parts: list[str]) -> list[str]:
        policy = self.o.number_policy
        quote = self.quote
        if policy == "string":
            return [quote(p) if p else "null" for p in parts]
        pattern, normal = (_DS_RE, _ds_number) if vr == "DS" else (_IS_RE, _is_number)
        out = []
        for p in parts:
            if not p:
                out.append("null")
            elif pattern.fullmatch(p):
                out.append(normal(p))
            elif policy == "number":
                raise InvalidJsonValueError(f"{_tag_name(tag)}: {p!r} is not a valid {vr} value "
                                            "(-in/--is-ds-num needs numbers; use -ia or -is)")
            else:
                out.append(quote(p))
        return out

    def _person_names(self, parts: list[str], level: int) -> list[str] | None:
        nl, sp = self.nl, self.sp
        ind, inner = self.ind(level), self.ind(level + 1)
        quote = self.quote
        out = []
        for p in parts:
            groups = p.strip(" ").split("=")
            # trailing empty components and their delimiters are not significant (PS3.5
            # 6.2.1.1): removed, as DCMTK does
            fields = [(key, g.rstrip(" ^")) for key, g in zip(("Alphabetic", "Ideographic",
                                                               "Phonetic"), groups)]
            fields = [(k, g) for k, g in fields if g.strip("^ ")]
            if not fields:
                out.append("null")
                continue
            body = f",{nl}{inner}".join(f'"{k}":{sp}{quote(g)}' for k, g in fields)
            out.append(f"{{{nl}{inner}{body}{nl}{ind}}}")
        if all(v == "null" for v in out):
            return None
        return out

    def decode(self, tag: int, vr: str, value, charset: _Charset) -> str:
        if not isinstance(value, bytes):
            value = bytes(value)
        if value.isascii() and b"\x1b" not in value:
            return value.decode("ascii")
        if charset.default:
            bad = next(i for i, b in enumerate(value) if b > 0x7F or b == 0x1B)
            raise CharsetError(
                f"{_tag_name(tag)}: byte 0x{value[bad]:02X} at position {bad} is not in the "
                "default character repertoire and the dataset has no Specific Character Set "
                "(0008,0005) (+Ca/--charset-assume names the character set to assume)")
        from pydicom import config
        from pydicom.charset import decode_bytes

        delimiters = {0x5C, 0x3D, 0x5E} if vr == "PN" else {0x5C, 0x0D, 0x0A, 0x09, 0x0C}
        saved = config.settings.reading_validation_mode
        config.settings.reading_validation_mode = config.RAISE
        try:
            text = decode_bytes(value, charset.encodings, delimiters)
        except (UnicodeError, LookupError, ValueError) as exc:
            shown = "\\".join(charset.terms)
            raise CharsetError(f"{_tag_name(tag)}: cannot convert the {vr} value from {shown!r} "
                               f"to Unicode: {' '.join(str(exc).split())}") from None
        finally:
            config.settings.reading_validation_mode = saved
        self.non_ascii = True
        return text

    # -- encapsulated pixel data
    def encapsulated_pixel_data(self, ds, value) -> str:
        from ._native.fragments import (KIND_J2K, KIND_JPEG, KIND_RLE, KIND_UNKNOWN,
                                        Encapsulated, FragmentError)

        try:
            enc = Encapsulated(value)
        except FragmentError as exc:
            raise InputError(f"(7FE0,0010) PixelData: {exc}") from None
        end = enc.end - 8 if enc.has_delimiter else enc.end
        if self.o.pixel_bulk == "whole":
            return self.store.add([memoryview(value)[:end]], ".bin")
        ext = self.extension
        if not enc.fragment_count:
            return self.store.add([b""], ext)
        if ext in _VIDEO_EXTENSIONS:
            return self.store.add(enc.fragments(), ext)
        frames = _raw_int(ds, 0x00280008, 1)
        if frames is None or frames < 1:
            self.result.notes.append("Number of Frames is not a positive number: one frame assumed")
            frames = 1
        eot = None
        raw = ds._dict.get(_EXTENDED_OFFSET_TABLE)
        if raw is not None:
            data = bytes(self._value_bytes(ds, _EXTENDED_OFFSET_TABLE, raw, "OV")[0])
            eot = list(struct.unpack(f"<{len(data) // 8}Q", data[:len(data) // 8 * 8])) or None
        kind = {".jpeg": KIND_JPEG, ".jls": KIND_JPEG, ".jp2": KIND_J2K, ".jphc": KIND_J2K,
                ".dicom-rle": KIND_RLE}.get(ext, KIND_UNKNOWN)
        try:
            ranges = enc.frames(frames, eot, None, kind)
        except FragmentError as exc:
            self.result.notes.append(f"(7FE0,0010) PixelData: {exc}; written whole (.bin)")
            return self.store.add([memoryview(value)[:end]], ".bin")
        self.result.notes.extend(enc.notes)
        uris = [self.store.add(enc.chunks(a, b), ext) for a, b in ranges]
        if len(uris) == 1:
            return uris[0]
        names = [uri[len(self.store.prefix):] for uri in uris]
        listing = ("# frames of the encapsulated Pixel Data, in order\r\n"
                   + "".join(f"{name}\r\n" for name in names)).encode("ascii")
        return self.store.add([listing], ".uri-list")


def _raw_int(ds, tag: int, default: int | None):
    """An IS/US element's first value without converting the element (None if invalid)."""
    elem = ds._dict.get(tag)
    if elem is None:
        return default
    value = elem.value
    if isinstance(value, (bytes, bytearray, memoryview)):
        if elem.VR in ("US", "UL", "SS", "SL") and len(value) >= 2:
            fmt = {"US": "H", "SS": "h", "UL": "I", "SL": "i"}[elem.VR]
            size = struct.calcsize(fmt)
            if len(value) < size:
                return None
            return struct.unpack(("<" if elem.is_little_endian else ">") + fmt, bytes(value[:size]))[0]
        value = bytes(value).decode("ascii", "replace").split("\\")[0].strip(" \0")
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            return int(float(str(value)))
        except (TypeError, ValueError):
            return None


def _encode_converted(vr: str, value) -> bytes:
    """The little-endian bytes of a value pydicom has already converted (the Specific Character
    Set, or an element something accessed)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if vr in _STRING_VRS:
        if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
            return "\\".join("" if v is None else str(v) for v in value).encode("utf-8")
        return str(value).encode("utf-8")
    values = list(value) if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" \
        else [value]
    if vr in _NUMBER_FORMATS:
        return struct.pack(f"<{len(values)}{_NUMBER_FORMATS[vr]}", *values)
    if vr == "AT":
        return b"".join(struct.pack("<HH", int(v) >> 16, int(v) & 0xFFFF) for v in values)
    return b""


def _swap(value, size: int) -> bytes:
    """Big-endian words of ``size`` bytes → little endian."""
    data = bytes(value)
    whole = len(data) // size * size
    out = bytearray(data)
    for i in range(size):
        out[i:whole:size] = data[size - 1 - i:whole:size]
    return bytes(out)


# ----------------------------------------------------------------------- DICOM → JSON API

def _bulk_store(options: JsonOptions, ds, meta, dst=None) -> BulkStore:
    folder = options.bulk_dir
    if folder is None:                     # the API's default: beside the JSON file
        folder = os.path.dirname(os.fspath(dst)) or "." if dst not in (None, "-") else "."
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the bulk data folder: {exc.strerror or exc}") from None
    prefix = options.bulk_uri_prefix
    if prefix is None:
        prefix = file_uri(folder)
    if options.bulk_subdir:
        uid = ""
        for source, tag in ((ds, 0x00080018), (meta, 0x00020003)):
            elem = source._dict.get(tag) if source is not None else None
            value = getattr(elem, "value", None)
            if isinstance(value, (bytes, bytearray, memoryview)):
                value = bytes(value).decode("ascii", "replace")
            uid = str(value or "").strip(" \0")
            if uid:
                break
        uid = uid if uid and re.fullmatch(r"[0-9.]+", uid) else "no-sop-instance-uid"
        folder = os.path.join(folder, uid)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{folder}: cannot create the bulk data folder: {exc.strerror or exc}") from None
        prefix = prefix + uid + "/"
    return BulkStore(folder, prefix)


def dicom_to_json(ds: Dataset, options: JsonOptions | None = None, *, store: BulkStore | None = None,
                  mapped=None, result: JsonResult | None = None) -> str:
    """The JSON text (ends with a newline) of a pydicom dataset read from a file (raw elements
    are used as stored). ``store``: where bulk data go (required for encapsulated Pixel Data or
    ``options.bulk``); nothing is written to disk here (see :meth:`BulkStore.commit`)."""
    options = options or JsonOptions()
    meta = getattr(ds, "file_meta", None)
    ts = str(getattr(meta, "TransferSyntaxUID", "") or EXPLICIT_LE) if meta is not None else EXPLICIT_LE
    ts = ts.strip(" \0")
    writer = _JsonWriter(options, store, ts, mapped, result)
    return writer.dataset(ds, 0, _Charset(()), True,
                          meta if options.write_meta and meta is not None else None) + "\n"


# ----------------------------------------------------------------- the lean reader

class _NeedPydicom(Exception):
    """The lean reader met something it leaves to pydicom."""


class _LeanDataset:
    """A dataset the lean reader made: ``_dict`` of int tag → pydicom ``RawDataElement`` (values
    as stored; sequences as lists of :class:`_LeanDataset`). Anything needing pydicom's dataset
    API raises :class:`_NeedPydicom`, and the file is read again with pydicom."""

    __slots__ = ("_dict", "file_meta")

    def __init__(self, elements: dict, file_meta=None) -> None:
        self._dict, self.file_meta = elements, file_meta

    def __contains__(self, tag) -> bool:
        return tag in self._dict

    def __getitem__(self, tag):
        raise _NeedPydicom("element access")

    def get(self, key, default=None):
        """Only what pydicom's VR lookup of private tags asks for: a private creator by tag."""
        if not isinstance(key, int):
            raise _NeedPydicom("element access")
        elem = self._dict.get(int(key))
        if elem is None:
            return default
        if elem.VR not in _STRING_VRS:
            raise _NeedPydicom("element access")
        return _Text(bytes(elem.value).decode("latin-1").strip(" \0"))


class _Text:
    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return bool(self.value)


_VR_NAMES = {vr.encode(): vr for vr in _ALL_VRS}
_LONG_VR_BYTES = {vr.encode() for vr in _LONG_VRS}
# transfer syntaxes whose dataset is Explicit VR Little Endian (not deflated)
_LEAN_SYNTAXES_PREFIX = "1.2.840.10008.1.2.4."
_LEAN_SYNTAXES = {EXPLICIT_LE, RLE_LOSSLESS, ENCAPSULATED_UNCOMPRESSED, "1.2.840.10008.1.2.8.1"}
_LEAN_LARGE = 1 << 12          # values at least this long are memoryviews, not copies


def _lean_read(data) -> _LeanDataset:
    """Parse a Part 10 file held in ``data`` (bytes or a memoryview) whose dataset is Explicit VR
    Little Endian; raises :class:`_NeedPydicom` for anything else or anything unusual."""
    if len(data) < 144 or data[128:132] != b"DICM":
        raise _NeedPydicom("no preamble")
    view = data if isinstance(data, memoryview) else memoryview(data)
    meta: dict = {}
    pos = _lean_elements(data, view, 132, len(data), meta, 0, meta_only=True)
    ts_elem = meta.get(0x00020010)
    if ts_elem is None:
        raise _NeedPydicom("no transfer syntax")
    ts = bytes(ts_elem.value).decode("ascii", "replace").strip(" \0")
    if ts not in _LEAN_SYNTAXES and not ts.startswith(_LEAN_SYNTAXES_PREFIX):
        raise _NeedPydicom(f"transfer syntax {ts}")
    elements: dict = {}
    _lean_elements(data, view, pos, len(data), elements, 0)
    return _LeanDataset(elements, _LeanMeta(meta, ts))


class _LeanMeta(_LeanDataset):
    __slots__ = ("TransferSyntaxUID",)

    def __init__(self, elements: dict, ts: str) -> None:
        super().__init__(elements)
        self.TransferSyntaxUID = ts


def _lean_elements(data, view, pos: int, end: int, out: dict, depth: int,
                   meta_only: bool = False) -> int:
    """Elements from ``pos`` to ``end`` (or to an item delimiter, whose end is returned)."""
    from pydicom.dataelem import RawDataElement

    unpack = struct.unpack_from
    vr_names, long_vrs = _VR_NAMES, _LONG_VR_BYTES
    while pos < end:
        if pos + 8 > end:
            raise _NeedPydicom("truncated")
        group, element = unpack("<HH", data, pos)
        if meta_only and group != 2:
            return pos
        if group == 0xFFFE:
            if element == 0xE00D and depth:
                return pos + 8
            raise _NeedPydicom("delimiter")
        vr_bytes = bytes(data[pos + 4:pos + 6])
        vr = vr_names.get(vr_bytes)
        if vr is None:
            raise _NeedPydicom("unknown VR")
        if vr_bytes in long_vrs:
            if pos + 12 > end:
                raise _NeedPydicom("truncated")
            length = unpack("<I", data, pos + 8)[0]
            start = pos + 12
        else:
            length = unpack("<H", data, pos + 6)[0]
            start = pos + 8
        tag = group << 16 | element
        if vr == "SQ":
            items, pos = _lean_items(data, view, start, length, end, depth)
            out[tag] = RawDataElement(tag, vr, length, items, start, False, True, True,
                                      length == 0xFFFFFFFF)
            continue
        if length == 0xFFFFFFFF:
            if tag != _PIXEL_DATA or vr not in ("OB", "OW"):
                raise _NeedPydicom("undefined length")
            stop = _lean_encapsulated_end(data, start, end)
            out[tag] = RawDataElement(tag, vr, length, view[start:stop], start, False, True,
                                      True, True)
            pos = stop + 8
            continue
        stop = start + length
        if stop > end:
            raise _NeedPydicom("truncated")
        value = view[start:stop] if length >= _LEAN_LARGE else bytes(data[start:stop])
        out[tag] = RawDataElement(tag, vr, length, value, start, False, True, True, False)
        pos = stop
    if depth and end != len(data):
        return pos
    if pos != end:
        raise _NeedPydicom("overrun")
    return pos


def _lean_items(data, view, start: int, length: int, end: int, depth: int):
    unpack = struct.unpack_from
    stop = end if length == 0xFFFFFFFF else start + length
    if stop > end:
        raise _NeedPydicom("truncated")
    items = []
    pos = start
    while pos < stop:
        if pos + 8 > stop:
            raise _NeedPydicom("truncated")
        group, element, item_length = unpack("<HHI", data, pos)
        if (group, element) == (0xFFFE, 0xE0DD):
            if length != 0xFFFFFFFF:
                raise _NeedPydicom("delimiter in defined length")
            return items, pos + 8
        if (group, element) != (0xFFFE, 0xE000):
            raise _NeedPydicom("not an item")
        elements: dict = {}
        if item_length == 0xFFFFFFFF:
            pos = _lean_elements(data, view, pos + 8, stop, elements, depth + 1)
            if pos > stop:
                raise _NeedPydicom("overrun")
        else:
            item_end = pos + 8 + item_length
            if item_end > stop:
                raise _NeedPydicom("truncated")
            _lean_elements(data, view, pos + 8, item_end, elements, depth + 1)
            pos = item_end
        items.append(_LeanDataset(elements))
    if length == 0xFFFFFFFF:
        raise _NeedPydicom("no sequence delimiter")
    return items, pos


def _lean_encapsulated_end(data, pos: int, end: int) -> int:
    """Where the Sequence Delimitation Item of encapsulated Pixel Data starts."""
    unpack = struct.unpack_from
    while pos + 8 <= end:
        group, element, length = unpack("<HHI", data, pos)
        if (group, element) == (0xFFFE, 0xE0DD):
            return pos
        if (group, element) != (0xFFFE, 0xE000) or length == 0xFFFFFFFF:
            raise _NeedPydicom("not an item")
        pos += 8 + length
    raise _NeedPydicom("truncated")


def _lean_source(src):
    """The bytes to parse for a path (read, or memory-mapped when large) or bytes."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return src
    try:
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except (OSError, TypeError, ValueError):
        raise _NeedPydicom("open") from None
    try:
        size = os.fstat(fd).st_size
        if size <= (4 << 20):
            data = os.read(fd, size + 1)
            if len(data) != size:
                raise _NeedPydicom("size changed")
            return data
        import mmap

        return memoryview(mmap.mmap(fd, 0, access=mmap.ACCESS_READ))
    except OSError:
        raise _NeedPydicom("read") from None
    finally:
        os.close(fd)


def read_dicom(src, *, defer: bool = True, stop_before_pixels: bool = False):
    """Read a DICOM file: ``(dataset, mapped)``; ``mapped`` is a memoryview of the
    memory-mapped file for values pydicom deferred (larger than 64 KiB), or None. ``src``: a
    path, or bytes (a whole file). Raises :class:`InputError` for unreadable, non-DICOM and
    truncated input."""
    try:
        return _read_dicom(src, defer, stop_before_pixels)
    except CannotReadError:
        raise
    except InputError as exc:
        message = str(exc)
        if message.startswith("not a DICOM file:"):   # pydicom's advice to force reading: no
            raise InputError("not a DICOM file: no 'DICM' prefix after the 128-byte preamble "
                             "(or no file meta information)") from None
        if message.startswith("cannot read:"):
            raise CannotReadError(message) from None
        raise


class MappedFile:
    """A file's bytes, memory-mapped on first use: ``len()`` is the file's size, slices are
    memoryviews into the mapping."""

    __slots__ = ("path", "size", "_view")

    def __init__(self, path, size: int) -> None:
        self.path, self.size, self._view = path, size, None

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key):
        if self._view is None:
            import mmap

            try:
                with open(self.path, "rb") as f:
                    self._view = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
        return self._view[key]


def _read_dicom(src, defer: bool, stop_before_pixels: bool):
    import io

    from .transcode import _read

    if isinstance(src, (bytes, bytearray, memoryview)):
        return _read(io.BytesIO(bytes(src))), None
    if stop_before_pixels:
        return _read_stop(src), None
    if not defer:
        return _read(src), None
    ds = _read(src, defer_size=1 << 16)
    if str(ds.file_meta.get("TransferSyntaxUID", "")) == DEFLATED_LE:
        return _read(src), None            # offsets of deferred values are in the inflated data
    try:
        size = os.stat(src).st_size
    except OSError as exc:
        raise CannotReadError(f"cannot read: {exc.strerror or exc}") from None
    return ds, MappedFile(src, size)


def _read_stop(src):
    import warnings

    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(src, stop_before_pixels=True)
    except InvalidDicomError:
        raise InputError("not a DICOM file:") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    except Exception as exc:
        raise InputError(f"cannot parse the DICOM file: {type(exc).__name__}: "
                         f"{' '.join(str(exc).split())}") from None
    if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
        raise InputError("no Transfer Syntax UID (0002,0010) in the file meta information")
    return ds


def check_truncation(ds, size: int | None) -> None:
    """Raise :class:`InputError` if the file ended early: a value shorter than its length (pydicom
    reads what is there), a deferred value beyond the end of the file, or an incomplete element
    header after the last element. ``size``: the file's size (None: unknown)."""
    from pydicom.dataelem import RawDataElement

    stack = [ds]
    last = None
    while stack:
        current = stack.pop()
        for elem in current._dict.values():
            if isinstance(elem, RawDataElement):
                length = elem.length
                if length == 0xFFFFFFFF or not length:
                    continue
                if elem.value is not None and len(elem.value) < length:
                    raise InputError(f"truncated file: {_tag_name(int(elem.tag))} has "
                                     f"{len(elem.value)} of its {length} bytes")
                if elem.value is None and size is not None and elem.value_tell is not None \
                        and elem.value_tell + length > size:
                    raise InputError(f"truncated file: {_tag_name(int(elem.tag))} needs "
                                     f"{elem.value_tell + length} bytes, the file has {size}")
            if getattr(elem, "VR", None) == "SQ" and not isinstance(
                    elem.value, (bytes, bytearray, memoryview)):
                stack.extend(elem.value or [])
        if current is ds and ds._dict:
            last = ds._dict[max(ds._dict)]
    if size is not None and isinstance(last, RawDataElement) and last.value_tell is not None \
            and last.length != 0xFFFFFFFF:
        left = size - (last.value_tell + last.length)
        if 0 < left < 8:
            raise InputError(f"truncated file: {left} byte(s) after the last element "
                             f"{_tag_name(int(last.tag))} are not a complete element")


def _with_pydicom_quiet(fn, *args, **kwargs):
    """Run ``fn`` with pydicom's warnings collected (returned as notes)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn(*args, **kwargs)
    notes = []
    for warning in caught:
        text = " ".join(str(warning.message).split())
        if text not in notes:
            notes.append(text)
    return value, notes


def convert_file(src, dst, options: JsonOptions | None = None) -> JsonResult:
    """DICOM file ``src`` (a path, or ``"-"`` / bytes for standard input data) → JSON file
    ``dst`` (a path, or ``"-"`` / None for standard output), written atomically after the bulk
    data files. Errors are :class:`~dicomconv.errors.DicomconvError` subclasses whose message
    starts with the input's name; no output (JSON or this run's bulk files) is left behind."""
    options = options or JsonOptions()
    result = JsonResult()
    name = "-" if src == "-" or isinstance(src, (bytes, bytearray, memoryview)) else os.fspath(src)
    store = None
    try:
        if src == "-":
            src = sys.stdin.buffer.read()
        def convert(lean: bool):
            nonlocal store
            if lean:
                ds, mapped = _lean_read(_lean_source(src)), None
            else:
                ds, mapped = read_dicom(src)
                check_truncation(ds, len(src) if isinstance(src, (bytes, bytearray)) else
                                 (len(mapped) if mapped is not None else _file_size(src)))
            if options.bulk or _has_encapsulated_pixels(ds):
                store = _bulk_store(options, ds, getattr(ds, "file_meta", None), dst)
                if not options.bulk:
                    result.notes.append("encapsulated Pixel Data written as bulk data "
                                        f"(to {store.folder})")
            return dicom_to_json(ds, options, store=store, mapped=mapped, result=result)

        try:
            text = convert(True)
        except _NeedPydicom:
            store = None
            del result.notes[:]
            text, notes = _with_pydicom_quiet(convert, False)
            result.notes.extend(n for n in notes if n not in result.notes)
        data = text.encode("utf-8")
        if store is not None:
            result.bulk_files = store.commit()
        if dst is None or dst == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            from .fileio import write_atomic

            write_atomic(dst, [data])
    except BaseException as exc:
        if store is not None:
            store.rollback()
        if isinstance(exc, OutputError):
            raise
        if isinstance(exc, DicomconvError):
            message = str(exc)
            if not message.startswith(name):
                raise type(exc)(f"{name}: {message}") from None
        raise
    return result


def _file_size(path) -> int | None:
    try:
        return os.stat(path).st_size
    except (OSError, TypeError, ValueError):
        return None


def _has_encapsulated_pixels(ds) -> bool:
    """Any (7FE0,0010) of undefined length, at any level."""
    from pydicom.dataelem import RawDataElement

    stack = [ds]
    while stack:
        current = stack.pop()
        for tag, elem in current._dict.items():
            if tag == _PIXEL_DATA and getattr(elem, "length", 0) == 0xFFFFFFFF \
                    and isinstance(elem, RawDataElement):
                return True
            if elem.VR == "SQ" and not isinstance(elem.value, (bytes, bytearray, memoryview)):
                stack.extend(elem.value or [])
    return False


# =========================================================================== JSON → DICOM

class DicomOptions:
    """Options of the JSON → DICOM conversion: ``transfer_syntax`` (UID, or None: from the
    JSON's meta information, the Pixel Data, else Explicit VR Little Endian), ``read_meta``
    (use the JSON's (0002,xxxx) attributes), ``bulk`` (False: attributes with a BulkDataURI are
    written empty), ``charset_replace`` (encode all text as UTF-8 and set Specific Character
    Set to ISO_IR 192), ``write_dataset`` (no preamble and file meta information)."""

    __slots__ = ("transfer_syntax", "read_meta", "bulk", "charset_replace", "write_dataset")

    def __init__(self, *, transfer_syntax: str | None = None, read_meta: bool = True,
                 bulk: bool = True, charset_replace: bool = False, write_dataset: bool = False) -> None:
        self.transfer_syntax, self.read_meta, self.bulk = transfer_syntax, read_meta, bulk
        self.charset_replace, self.write_dataset = charset_replace, write_dataset


class DicomResult:
    """``transfer_syntax`` written, ``frames`` (encapsulated Pixel Data frames or None),
    ``notes``."""

    __slots__ = ("transfer_syntax", "frames", "notes")

    def __init__(self) -> None:
        self.transfer_syntax = EXPLICIT_LE
        self.frames: int | None = None
        self.notes: list[str] = []


class _Num(str):
    """A JSON number, kept as its text."""

    __slots__ = ()


_BARE_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|(-?\binf\b|\bnan\b)')


def loads(text: str):
    """Parse JSON, numbers kept as their text (:class:`_Num`); DCMTK's ``inf``, ``-inf``, ``nan``
    (and ``NaN``, ``Infinity``) accepted. Raises :class:`JsonContentError`."""
    import json

    def constant(name: str) -> _Num:
        return _Num({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[name])

    try:
        return json.loads(text, parse_float=_Num, parse_int=_Num, parse_constant=constant)
    except ValueError as first:
        fixed = _BARE_TOKENS.sub(lambda m: m.group(0) if m.group(1) is None else
                                 {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}[m.group(1)],
                                 text)
        if fixed != text:
            try:
                return json.loads(fixed, parse_float=_Num, parse_int=_Num, parse_constant=constant)
            except ValueError:
                pass
        raise JsonContentError(f"not valid JSON: {first}") from None


def _tag_of(key) -> int:
    if not isinstance(key, str) or len(key) != 8:
        raise JsonContentError(f"{key!r} is not a tag (8 hexadecimal digits)")
    try:
        return int(key, 16)
    except ValueError:
        raise JsonContentError(f"{key!r} is not a tag (8 hexadecimal digits)") from None


class _BulkReader:
    """Resolves BulkDataURIs against the JSON file's folder and reads them."""

    def __init__(self, base_dir: str) -> None:
        self.base_dir = base_dir

    def path_of(self, uri: str, base_dir: str | None = None) -> tuple[str, int, int | None]:
        from urllib.parse import parse_qs, unquote, urlsplit

        if not isinstance(uri, str) or not uri:
            raise BulkDataURIError(f"BulkDataURI {uri!r} is not a URI")
        parts = urlsplit(uri)
        query = parse_qs(parts.query) if parts.query else {}
        if parts.scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise BulkDataURIError(f"BulkDataURI {uri}: file URIs of other hosts are not supported")
            path = unquote(parts.path)
        elif parts.scheme == "" and not parts.netloc:
            path = os.path.join(base_dir or self.base_dir, unquote(parts.path))
        else:
            raise BulkDataURIError(f"BulkDataURI {uri}: only file URIs and relative references "
                                   f"are supported, not {parts.scheme or 'network'} URIs")
        try:
            offset = int(query.get("offset", ["0"])[0])
            length = int(query["length"][0]) if "length" in query else None
        except ValueError:
            raise BulkDataURIError(f"BulkDataURI {uri}: invalid offset or length") from None
        return path, offset, length

    def read(self, uri: str, base_dir: str | None = None) -> bytes:
        path, offset, length = self.path_of(uri, base_dir)
        try:
            with open(path, "rb") as f:
                if offset:
                    f.seek(offset)
                data = f.read() if length is None else f.read(length)
        except OSError as exc:
            raise BulkDataURIError(f"BulkDataURI {uri}: cannot read {path}: "
                                   f"{exc.strerror or exc}") from None
        if length is not None and len(data) != length:
            raise BulkDataURIError(f"BulkDataURI {uri}: {path} has only {len(data)} of the "
                                   f"{length} bytes asked for")
        return data

    def frames(self, uri: str) -> tuple[list[bytes], str]:
        """The frames behind a Pixel Data URI: ``([frame, ...], extension)``; a ``.uri-list``
        lists one URI per frame (relative ones resolved against the list's folder)."""
        path, _, _ = self.path_of(uri)
        ext = os.path.splitext(path)[1]
        data = self.read(uri)
        if ext != ".uri-list":
            return [data], ext
        base = os.path.dirname(path)
        lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines()]
        uris = [ln for ln in lines if ln and not ln.startswith("#")]
        if not uris:
            raise BulkDataURIError(f"BulkDataURI {uri}: the URI list is empty")
        frames = [self.read(u, base) for u in uris]
        exts = {os.path.splitext(self.path_of(u, base)[0])[1] for u in uris}
        return frames, exts.pop() if len(exts) == 1 else ""


def _infer_transfer_syntax(frame: bytes, ext: str, notes: list[str] | None = None) -> str | None:
    """The transfer syntax of an encapsulated frame, from its stream headers (None: not a
    stream we recognise). A stream whose headers cannot be read gets the transfer syntax of its
    family that allows lossy data (with a note)."""
    notes = notes if notes is not None else []
    if ext in _VIDEO_EXTENSIONS or ext == ".jxl":
        raise JsonContentError(f"cannot tell the transfer syntax of {ext} pixel data from the "
                               "stream: give --transfer-syntax, or write the JSON with +m")
    if frame[:2] == b"\xff\xd8":
        sof = _first_sof(frame)
        if sof == 0xF7:
            from ._native.codestreams import scan_jpegls

            try:
                near = scan_jpegls(frame)["near"]
            except ValueError as exc:
                notes.append(f"the JPEG-LS stream cannot be scanned ({exc}): near-lossless assumed")
                return "1.2.840.10008.1.2.4.81"
            return "1.2.840.10008.1.2.4.80" if near == 0 else "1.2.840.10008.1.2.4.81"
        by_sof = {0xC0: "1.2.840.10008.1.2.4.50", 0xC1: "1.2.840.10008.1.2.4.51",
                  0xC2: "1.2.840.10008.1.2.4.55"}
        if sof == 0xC3:
            from ._native.jpeg_markers import scan

            try:
                selection = scan(frame).get("selection_value")
            except ValueError as exc:
                notes.append(f"the JPEG stream cannot be scanned ({exc}): process 14 assumed")
                selection = None
            return "1.2.840.10008.1.2.4.70" if selection == 1 else "1.2.840.10008.1.2.4.57"
        if sof in by_sof:
            return by_sof[sof]
        raise JsonContentError(f"the JPEG stream's coding process (SOF {sof!r}) has no transfer "
                               "syntax we know: give --transfer-syntax")
    if frame[:4] == b"\xff\x4f\xff\x51" or frame[4:8] == b"jP  ":
        from ._native.codestreams import scan_j2k

        start = 0 if frame[:4] == b"\xff\x4f\xff\x51" else max(frame.find(b"\xff\x4f\xff\x51"), 0)
        try:
            info = scan_j2k(frame, start)
        except ValueError as exc:
            notes.append(f"the JPEG 2000 codestream cannot be scanned ({' '.join(str(exc).split())}):"
                         " JPEG 2000 (lossless or lossy) assumed")
            return "1.2.840.10008.1.2.4.91"
        reversible = info["transforms"] == {1} and not (info["quantisations"] - {0})
        if info["ht"]:
            if not reversible:
                return "1.2.840.10008.1.2.4.203"
            from .inputs.j2k import _rpcl_options

            return "1.2.840.10008.1.2.4.202" if _rpcl_options(info) else "1.2.840.10008.1.2.4.201"
        return "1.2.840.10008.1.2.4.90" if reversible else "1.2.840.10008.1.2.4.91"
    if ext == ".dicom-rle" or (len(frame) >= 64 and 1 <= int.from_bytes(frame[:4], "little") <= 15
                               and int.from_bytes(frame[4:8], "little") == 64):
        return RLE_LOSSLESS
    return None


def _first_sof(data: bytes) -> int | None:
    pos, n = 2, len(data)
    while pos + 4 <= n and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) or marker == 0xF7:
            return marker
        if marker == 0xDA:
            return None
        pos += 2 + ((data[pos + 2] << 8) | data[pos + 3])
    return None


class _DicomEncoder:
    """JSON objects → encoded elements (Explicit or Implicit VR Little Endian)."""

    def __init__(self, options: DicomOptions, bulk: _BulkReader, result: DicomResult,
                 transfer_syntax: str, frames_cache: dict) -> None:
        self.o, self.bulk, self.result = options, bulk, result
        self.ts = transfer_syntax
        self.native = transfer_syntax in _NATIVE_SYNTAXES
        self.implicit = transfer_syntax == IMPLICIT_LE
        self.frames_cache = frames_cache
        self.non_ascii = False

    # -- strings
    def encode_text(self, vr: str, text: str, encodings, where: str) -> bytes:
        if text.isascii():
            return text.encode("ascii")
        self.non_ascii = True
        if encodings is None:
            return text.encode("utf-8")
        from pydicom import config
        from pydicom.charset import encode_string

        saved = config.settings.writing_validation_mode
        config.settings.writing_validation_mode = config.RAISE
        try:
            if vr == "PN":
                from pydicom.valuerep import PersonName

                return PersonName(text).encode(encodings)
            return encode_string(text, encodings)
        except (UnicodeError, LookupError, ValueError) as exc:
            raise JsonContentError(f"{where}: cannot encode {text!r} in the Specific Character "
                                   f"Set of the JSON ({exc}); -c/--charset-replace writes UTF-8"
                                   ) from None
        finally:
            config.settings.writing_validation_mode = saved

    # -- datasets
    def dataset(self, obj, encodings, where: str) -> list[tuple[int, list]]:
        """``[(tag, chunks), ...]`` in tag order."""
        if not isinstance(obj, dict):
            raise JsonContentError(f"{where or 'the JSON'}: a dataset must be a JSON object")
        items = sorted((_tag_of(k), v) for k, v in obj.items())
        scs = obj.get("00080005")
        if scs is not None:
            encodings = self._encodings(scs, where)
        out: list[tuple[int, list]] = []
        eot = None
        for tag, attr in items:
            if tag >> 16 == 2 or not tag & 0xFFFF:       # meta and group lengths: not in datasets
                continue
            if tag == _PIXEL_DATA:
                chunks, eot = self.pixel_data(attr, where, "7FE00001" in obj)
                out.append((tag, chunks))
                continue
            out.append((tag, self.element(tag, attr, encodings, where)))
        if eot is not None:                               # the Extended Offset Table rebuilt
            out = [(t, c) for t, c in out
                   if t not in (_EXTENDED_OFFSET_TABLE, _EXTENDED_OFFSET_TABLE_LENGTHS)]
            out += [(_EXTENDED_OFFSET_TABLE, self._bytes_element(_EXTENDED_OFFSET_TABLE, "OV", eot[0])),
                    (_EXTENDED_OFFSET_TABLE_LENGTHS,
                     self._bytes_element(_EXTENDED_OFFSET_TABLE_LENGTHS, "OV", eot[1]))]
            out.sort(key=lambda e: e[0])
        return out

    def _encodings(self, attr, where: str):
        if self.o.charset_replace:
            return None
        values = attr.get("Value") if isinstance(attr, dict) else None
        terms = tuple(str(v or "").strip() for v in (values or []))
        if not any(terms) or terms in (("ISO_IR 192",), ("ISO_IR 6",), ("ISO 2022 IR 6",)):
            return None
        try:
            return _encodings_for(terms)
        except LookupError:
            shown = "\\".join(terms)
            raise JsonContentError(f"{where}unknown Specific Character Set {shown!r}") from None

    def header(self, tag: int, vr: str, length: int) -> bytes:
        if self.implicit:
            return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, length)
        if vr in _LONG_VRS:
            return struct.pack("<HH2sHI", tag >> 16, tag & 0xFFFF, vr.encode(), 0, length)
        if length > 0xFFFF:
            raise JsonContentError(f"{_tag_name(tag)}: a {vr} value of {length} bytes does not fit "
                                   "the 16-bit length of explicit VR")
        return struct.pack("<HH2sH", tag >> 16, tag & 0xFFFF, vr.encode(), length)

    def _check(self, tag: int, attr, where: str) -> tuple[str, str, str | None]:
        name = f"{where}{_tag_name(tag)}"
        if not isinstance(attr, dict):
            raise JsonContentError(f"{name}: an attribute must be a JSON object")
        vr = attr.get("vr")
        if vr not in _ALL_VRS:
            raise JsonContentError(f"{name}: invalid or missing \"vr\" {vr!r}")
        keys = [k for k in ("Value", "InlineBinary", "BulkDataURI") if k in attr]
        if len(keys) > 1:
            raise JsonContentError(f"{name}: more than one of Value, InlineBinary, BulkDataURI")
        return name, vr, keys[0] if keys else None

    def element(self, tag: int, attr, encodings, where: str) -> list:
        if tag == _SPECIFIC_CHARACTER_SET and self.o.charset_replace:
            attr = {"vr": "CS", "Value": ["ISO_IR 192"]}
        name, vr, key = self._check(tag, attr, where)
        if vr == "SQ":
            items = attr.get("Value") or []
            if not isinstance(items, list):
                raise JsonContentError(f"{name}: Value must be an array")
            body: list = []
            for i, item in enumerate(items):
                parts = [c for _, chunks in self.dataset({} if item is None else item, encodings,
                                                         f"{name} item {i + 1}: ")
                         for c in chunks]
                body.append(struct.pack("<HHI", 0xFFFE, 0xE000, sum(len(c) for c in parts)))
                body.extend(parts)
            return [self.header(tag, vr, sum(len(c) for c in body)), *body]
        if key is None:
            return [self.header(tag, vr, 0)]
        if key == "InlineBinary":
            return self._bytes_element(tag, vr, self._inline(attr, name))
        if key == "BulkDataURI":
            if not self.o.bulk:
                return [self.header(tag, vr, 0)]
            return self._bytes_element(tag, vr, self.bulk.read(attr[key]))
        values = attr["Value"]
        if not isinstance(values, list):
            raise JsonContentError(f"{name}: Value must be an array")
        return self._bytes_element(tag, vr, self.encode_values(vr, values, encodings, name))

    @staticmethod
    def _inline(attr, name: str) -> bytes:
        text = attr["InlineBinary"]
        if isinstance(text, list):           # some writers put it in an array
            text = "".join(str(t) for t in text)
        try:
            return base64.b64decode(str(text), validate=True)
        except ValueError:
            raise JsonContentError(f"{name}: InlineBinary is not valid base64") from None

    def pixel_data(self, attr, where: str, use_eot: bool = False) -> tuple[list, tuple | None]:
        """The chunks of a Pixel Data element, and the Extended Offset Table values to write
        (or None)."""
        name, vr, key = self._check(_PIXEL_DATA, attr, where)
        if vr not in ("OB", "OW"):
            raise JsonContentError(f"{name}: \"vr\" must be OB or OW, not {vr!r}")
        if key is None or (key == "BulkDataURI" and not self.o.bulk):
            return [self.header(_PIXEL_DATA, vr, 0)], None
        if key == "Value":
            raise JsonContentError(f"{name}: Pixel Data takes InlineBinary or BulkDataURI, not Value")
        if key == "InlineBinary":
            frames, ext = [self._inline(attr, name)], ""
        else:
            uri = attr["BulkDataURI"]
            if uri not in self.frames_cache:
                self.frames_cache[uri] = self.bulk.frames(uri)
            frames, ext = self.frames_cache[uri]
        first = frames[0]
        whole = len(frames) == 1 and first[:4] == b"\xfe\xff\x00\xe0"
        if self.native:
            if whole or len(frames) > 1 or ext not in ("", ".bin"):
                raise JsonContentError(f"{name}: the Pixel Data is encapsulated but the transfer "
                                       f"syntax {self.ts} is native")
            return self._bytes_element(_PIXEL_DATA, vr, first), None
        if whole:
            return [self.header(_PIXEL_DATA, "OB", 0xFFFFFFFF), first,
                    struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)], None
        from ._native.fragments import FragmentError, build

        try:
            value, _, _, eot, eot_lengths = build(frames, -1, ext not in _VIDEO_EXTENSIONS,
                                                  use_eot, True)
        except FragmentError as exc:
            raise JsonContentError(f"{name}: {exc}") from None
        self.result.frames = len(frames)
        return [self.header(_PIXEL_DATA, "OB", 0xFFFFFFFF), value], \
            ((eot, eot_lengths) if use_eot else None)

    def _bytes_element(self, tag: int, vr: str, data) -> list:
        if len(data) & 1:
            data = bytes(data) + (b"\0" if vr == "UI" or vr in _BINARY_VRS else b" ")
        return [self.header(tag, vr, len(data)), data]

    def encode_values(self, vr: str, values: list, encodings, name: str) -> bytes:
        if vr in _NUMBER_FORMATS:
            numbers = []
            for v in values:
                if v is None or isinstance(v, (dict, list, bool)):
                    raise JsonContentError(f"{name}: {vr} values must be numbers, not {v!r}")
                try:
                    if vr in ("FL", "FD"):
                        numbers.append(float(v))
                    else:
                        text = str(v).strip()
                        numbers.append(int(text) if _IS_RE.fullmatch(text) else int(float(text)))
                except (TypeError, ValueError, OverflowError):
                    raise JsonContentError(f"{name}: {v!r} is not a {vr} number") from None
            try:
                return struct.pack(f"<{len(numbers)}{_NUMBER_FORMATS[vr]}", *numbers)
            except struct.error as exc:
                raise JsonContentError(f"{name}: a value is out of range for {vr}: {exc}") from None
        if vr == "AT":
            return b"".join(struct.pack("<HH", t >> 16, t & 0xFFFF) for t in map(_tag_of, values))
        if vr in _BINARY_VRS:
            raise JsonContentError(f"{name}: {vr} attributes take InlineBinary or BulkDataURI, "
                                   "not Value")
        texts = []
        for v in values:
            if v is None:
                texts.append("")
            elif vr == "PN":
                texts.append(self._person_name(v, name))
            elif isinstance(v, (dict, list, bool)):
                raise JsonContentError(f"{name}: {vr} values must be strings or numbers, not {v!r}")
            elif vr == "DS" and isinstance(v, _Num) and len(v) > 16:
                from pydicom.valuerep import format_number_as_ds

                texts.append(format_number_as_ds(float(v)))
                self.result.notes.append(f"{name}: {v} written with 16 characters")
            else:
                texts.append(str(v))
        if vr in _SINGLE_VALUED and len(texts) > 1:
            raise JsonContentError(f"{name}: {vr} has one value, not {len(texts)}")
        if vr == "PN" and encodings is not None:
            return b"\\".join(self.encode_text(vr, t, encodings, name) for t in texts)
        return self.encode_text(vr, "\\".join(texts), encodings, name)

    @staticmethod
    def _person_name(value, name: str) -> str:
        if isinstance(value, str):
            return value
        if not isinstance(value, dict):
            raise JsonContentError(f"{name}: PN values must be objects, not {value!r}")
        unknown = set(value) - {"Alphabetic", "Ideographic", "Phonetic"}
        if unknown:
            raise JsonContentError(f"{name}: unknown PN component group(s) {sorted(unknown)}")
        groups = [str(value.get(k) or "") for k in ("Alphabetic", "Ideographic", "Phonetic")]
        while groups and not groups[-1]:
            groups.pop()
        return "=".join(groups)


def json_to_dicom(obj, options: DicomOptions | None = None, *, base_dir: str = ".",
                  result: DicomResult | None = None) -> list:
    """A parsed DICOM JSON Model object (or a one-element array of one) → the chunks of a Part 10
    file (of a dataset with ``write_dataset`` and a native transfer syntax). BulkDataURIs are
    resolved against ``base_dir``."""
    options = options or DicomOptions()
    result = result if result is not None else DicomResult()
    if isinstance(obj, list):
        if len(obj) != 1:
            raise JsonContentError(f"the JSON is an array of {len(obj)} datasets; one is needed")
        obj = obj[0]
    if not isinstance(obj, dict):
        raise JsonContentError("the JSON is not a DICOM JSON Model object")
    bulk = _BulkReader(base_dir)
    meta = {k: v for k, v in obj.items() if isinstance(k, str) and k[:4] == "0002"}

    # the transfer syntax: asked for, the JSON's, the Pixel Data's, or Explicit VR Little Endian
    ts = options.transfer_syntax
    if ts is None and options.read_meta and isinstance(meta.get("00020010"), dict):
        values = meta["00020010"].get("Value")
        ts = str(values[0] or "").strip() if values else None
    frames_cache: dict = {}
    pixel = obj.get("7FE00010")
    if ts is None and isinstance(pixel, dict) and options.bulk and isinstance(pixel.get("BulkDataURI"), str):
        uri = pixel["BulkDataURI"]
        frames, ext = frames_cache[uri] = bulk.frames(uri)
        if len(frames) == 1 and frames[0][:4] == b"\xfe\xff\x00\xe0":
            raise JsonContentError("the Pixel Data is an encapsulated value but the JSON has no "
                                   "transfer syntax: give --transfer-syntax or write the JSON "
                                   "with +m")
        ts = _infer_transfer_syntax(frames[0], ext, result.notes)
        if ts is None and (len(frames) > 1 or ext not in ("", ".bin")):
            raise JsonContentError(f"the Pixel Data ({ext or 'frames'}) is in a format we do not "
                                   "recognise: give --transfer-syntax")
        if ts is not None:
            result.notes.append(f"transfer syntax {ts} from the Pixel Data stream")
    ts = ts or EXPLICIT_LE
    if ts == EXPLICIT_BE:
        result.notes.append("Explicit VR Big Endian (retired) written as Explicit VR Little Endian")
        ts = EXPLICIT_LE
    result.transfer_syntax = ts
    enc = _DicomEncoder(options, bulk, result, ts, frames_cache)

    elements = enc.dataset(obj, None, "")
    if enc.non_ascii and not any(tag == _SPECIFIC_CHARACTER_SET for tag, _ in elements):
        elements.append((_SPECIFIC_CHARACTER_SET,
                         enc.element(_SPECIFIC_CHARACTER_SET, {"vr": "CS", "Value": ["ISO_IR 192"]},
                                     None, "")))
        elements.sort(key=lambda e: e[0])
        result.notes.append("Specific Character Set (0008,0005) ISO_IR 192 added: the values "
                            "are not ASCII")
    body = [c for _, chunks in elements for c in chunks]
    if ts == DEFLATED_LE:
        import zlib

        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        deflated = b"".join(packer.compress(bytes(c)) for c in body) + packer.flush()
        body = [deflated + (b"\0" if len(deflated) & 1 else b"")]
    if options.write_dataset:
        if enc.native:
            return body
        result.notes.append("encapsulated pixel data need the file format: --write-dataset ignored")
    from .uids import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME
    from .writer import file_meta

    def uid_of(key: str, meta_key: str) -> str:
        for source, k in ((obj, key), (meta if options.read_meta else {}, meta_key)):
            attr = source.get(k)
            if isinstance(attr, dict) and attr.get("Value"):
                return str(attr["Value"][0] or "").strip()
        return ""

    sop_class, sop_instance = uid_of("00080016", "00020002"), uid_of("00080018", "00020003")
    if not sop_class or not sop_instance:
        result.notes.append("no SOP Class / Instance UID: the file meta information has empty ones")
    return [file_meta(sop_class, sop_instance, ts, IMPLEMENTATION_CLASS_UID,
                      IMPLEMENTATION_VERSION_NAME), *body]


def json_file_to_dicom(src, dst, options: DicomOptions | None = None) -> DicomResult:
    """JSON file ``src`` (a path or ``"-"``) → DICOM file ``dst`` (a path or ``"-"``), written
    atomically; bulk data resolved against the JSON file's folder (the current folder for
    standard input)."""
    from .fileio import read_input, write_atomic

    result = DicomResult()
    name = os.fspath(src)
    try:
        if src == "-":
            data = sys.stdin.buffer.read()
            base = "."
        else:
            try:
                data = read_input(src)
            except InputError as exc:
                raise CannotReadError(str(exc)) from None
            base = os.path.dirname(os.path.abspath(src))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise JsonContentError(f"not UTF-8 at byte {exc.start}") from None
        obj = loads(text)
        chunks = json_to_dicom(obj, options, base_dir=base, result=result)
        if dst == "-":
            out = sys.stdout.buffer
            for c in chunks:
                out.write(c)
            out.flush()
        else:
            write_atomic(dst, chunks)
    except OutputError:
        raise
    except InputError as exc:
        message = str(exc)
        if not message.startswith(name):
            raise type(exc)(f"{name}: {message}") from None
        raise
    return result


__all__ = ["JsonOptions", "JsonResult", "DicomOptions", "DicomResult", "BulkStore", "convert_file",
           "dicom_to_json", "read_dicom", "json_to_dicom", "json_file_to_dicom", "loads",
           "CharsetError", "InvalidJsonValueError", "JsonContentError", "BulkDataURIError",
           "CannotReadError", "MIME_EXTENSIONS", "mime_type", "file_uri", "check_truncation",
           "MappedFile"]
