"""Error types raised by camatlas.

Every error carries a message a person can act on: which file, which line or
OSM element, which value, and what to do about it. The CLI prints the message
and exits non-zero; it never prints a traceback for these.
"""

from __future__ import annotations

from pathlib import Path


class CamatlasError(Exception):
    """Base class of every error camatlas raises on purpose."""


class InputError(CamatlasError):
    """A file or value given to camatlas cannot be read.

    Parameters
    ----------
    path
        The file that could not be read, if any.
    message
        What is wrong, in words.
    line
        1-based line number (CSV, XML) when known.
    element
        The element that failed, e.g. ``"node/123"`` or ``"feature 7"``.
    value
        The offending value, shown verbatim (repr) in the message.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        element: str | None = None,
        value: object = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.line = line
        self.element = element
        self.value = value
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if element is not None:
            where.append(element)
        text = ": ".join([", ".join(where), message]) if where else message
        if value is not None:
            text += f" (value: {value!r})"
        super().__init__(text)


class FormatError(InputError):
    """The file is not in a format camatlas reads, or not in the format it claims."""


class AtlasError(CamatlasError):
    """The atlas (store) cannot be opened or written."""


class FetchError(CamatlasError):
    """A remote source (Overpass API) could not be queried."""
