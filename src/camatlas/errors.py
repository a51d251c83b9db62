"""Error types raised by camatlas.

Every error carries a message a person can act on: which file, which line or
OSM element, which value, and what to do about it. The command line prints the
message and exits non-zero; the web app answers it as JSON; neither shows a
traceback for these.

Each mistake has one type, and each type is also the built-in exception a
Python caller would catch for it:

========================  =====================  ===========================================
type                      also a                 raised when
========================  =====================  ===========================================
:class:`InputError`       :class:`ValueError`    a file, argument or value cannot be used
:class:`FormatError`      :class:`ValueError`    a file is not in a format camatlas reads
:class:`NotFoundError`    :class:`ValueError`    a layer, result or camera named is not there
:class:`AtlasError`       :class:`RuntimeError`  the atlas cannot be opened, read or written
:class:`FetchError`       :class:`RuntimeError`  a remote source (Overpass API) fails
========================  =====================  ===========================================

>>> from camatlas.errors import InputError
>>> error = InputError("not a number", path="cams.csv", line=3, value="4,5")
>>> str(error)
"cams.csv, line 3: not a number (value: '4,5')"
>>> isinstance(error, ValueError)
True
"""

from __future__ import annotations

from pathlib import Path


class CamatlasError(Exception):
    """Base class of every error camatlas raises on purpose."""


class InputError(CamatlasError, ValueError):
    """A file or value given to camatlas cannot be used.

    Parameters
    ----------
    message
        What is wrong, in words.
    path
        The file that could not be read, if any.
    line
        1-based line number (CSV, XML) when known.
    element
        The element that failed, e.g. ``"node/123"``, ``"feature 7"`` or ``"--from"``.
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
        text = f"{', '.join(where)}: {message}" if where else message
        if value is not None:
            text += f" (value: {value!r})"
        super().__init__(text)


class FormatError(InputError):
    """The file is not in a format camatlas reads, or not in the format it claims."""


class NotFoundError(InputError):
    """A layer, result layer or camera that was named is not in the atlas, or no route
    of the atlas's streets joins the points asked for (none near, none connecting).

    The web app answers it with HTTP 404; everywhere else it is an
    :class:`InputError` like any other bad argument.
    """


class AtlasError(CamatlasError, RuntimeError):
    """The atlas (its store) cannot be opened, read or written."""


class FetchError(CamatlasError, RuntimeError):
    """A remote source (the Overpass API) could not be queried."""
