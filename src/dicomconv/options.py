"""A minimal immutable record base for option sets (keyword-only fields with defaults).

Used instead of ``dataclasses`` because building dataclasses at import time costs the CLI several
milliseconds of start-up, and a one-file CLI call should cost close to what DCMTK's tools cost.
"""
from __future__ import annotations


class Options:
    """Subclasses set ``_fields = {"name": default, ...}`` and ``__slots__ = tuple(_fields)``."""

    __slots__ = ("_hash",)
    _fields: dict = {}

    def __init__(self, **values) -> None:
        unknown = set(values) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected option(s): {', '.join(sorted(unknown))}")
        for name, default in self._fields.items():
            object.__setattr__(self, name, values.get(name, default))
        # options are cache keys on the per-file path: hash once
        object.__setattr__(self, "_hash", hash((type(self), *(getattr(self, n) for n in self._fields))))

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; use .replace({name}=...)")

    def replace(self, **changes):
        """A copy with some options changed."""
        values = {name: getattr(self, name) for name in self._fields}
        values.update(changes)
        return type(self)(**values)

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self._fields)

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        # Pickle by the field values and rebuild through __init__ in the receiving process: the
        # default slot-state pickling would call the refused __setattr__, and the cached hash
        # must be recomputed there (string hashes differ between processes with hash
        # randomisation, e.g. spawned or Dask workers).
        return _rebuild, (type(self), tuple(getattr(self, n) for n in self._fields))

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields if getattr(self, n) != self._fields[n])
        return f"{type(self).__name__}({args})"


def _rebuild(cls, values: tuple):
    """Unpickle an :class:`Options` record (see ``Options.__reduce__``)."""
    return cls(**dict(zip(cls._fields, values)))
