"""What an input file is: its format told from its content, and its default source name;
and reading a JSON input, with one set of errors for every reader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from camatlas.errors import FormatError, InputError
from camatlas.vocab import FORMATS, LAYERS

ONE_PLACE_STREET = "a street whose points all lie at one place (a way repeating one node)"
"""Why a way of one place is not imported as a street, in both OSM readers."""

Progress = Callable[[str, int, int], None]
"""A callback told (stage, done, total) while a reader works; total is 0 when unknown."""


def file_format(path: str | Path, given: str | None = None) -> str:
    """The format to read ``path`` in: ``given`` (one of :data:`~camatlas.vocab.FORMATS`,
    as ``--format`` says), else told from the content (:func:`detect_format`).

    A given format wins over the content, for files the sniffing misjudges; the reader of
    that format then says what in the file does not fit it.

    Raises
    ------
    FormatError
        If the file is missing or empty, ``given`` is not a format, or (without one) the
        content is in no format camatlas reads.
    """
    if given is None:
        return detect_format(path)
    if given not in FORMATS:
        raise FormatError(f"unknown format {given!r}; use one of {', '.join(FORMATS)}")
    _head(Path(path))
    return given


def _head(p: Path) -> bytes:
    """The first 4 KiB of a file that exists and is not empty."""
    try:
        with p.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise FormatError("no such file", path=p) from None
    except IsADirectoryError:
        raise FormatError("is a directory, not a file", path=p) from None
    if not head.strip():
        raise FormatError("the file is empty", path=p)
    return head


def detect_format(path: str | Path) -> str:
    """Name the format of ``path`` from its first bytes (not its extension).

    Raises
    ------
    FormatError
        If the file is empty or in no format camatlas reads.
    """
    p = Path(path)
    head = _head(p)
    if len(head) >= 13 and head[4:6] == b"\x0a\x09" and head[6:15] == b"OSMHeader":
        return "osm-pbf"
    if head[:2] in (b"\x1f\x8b", b"BZ"):
        raise FormatError(
            "compressed files are not read directly; decompress it first (gunzip / bunzip2)",
            path=p,
        )
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        if b"<osm" in text or b"<osmChange" in text:
            return "osm-xml"
        raise FormatError("XML, but not an OSM XML file (no <osm> element)", path=p)
    if text[:1] in (b"{", b"["):
        window = text[:4096]
        if b'"elements"' in window and (b'"osm3s"' in window or b'"generator"' in window):
            return "overpass-json"
        if b'"FeatureCollection"' in window or b'"Feature"' in window:
            return "geojson"
        if text[:1] == b"[":
            return "json-records"
        if b'"elements"' in window:
            return "overpass-json"
        raise FormatError("JSON, but neither Overpass JSON, GeoJSON nor a list of records", path=p)
    if b"\x00" in head:
        raise FormatError("a binary file in no format camatlas reads", path=p)
    return "csv"


def source_name_for(path: str | Path) -> str:
    """Default source name of a registry file: its stem, lower-case, ``[a-z0-9_]`` only."""
    stem = Path(path).name.split(".")[0].lower()
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in stem).strip("_")
    return cleaned or "table"


def check_layers(layers: Collection[str]) -> tuple[str, ...]:
    """``layers`` as a tuple once each is one of :data:`camatlas.vocab.LAYERS`.

    Raises
    ------
    InputError
        Naming the unknown layers and the known ones.
    """
    names = (layers,) if isinstance(layers, str) else tuple(layers)
    unknown = sorted(set(names) - set(LAYERS))
    if unknown:
        raise InputError(
            f"unknown layer(s) {', '.join(map(repr, unknown))}; use some of {', '.join(LAYERS)}"
        )
    return names


_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
"""A ``\\uD800``-style escape that is half of a pair: text that is not Unicode, which
nothing can store or print."""


def load_json(raw: bytes | str, path: str | Path) -> Any:
    """The JSON document in ``raw`` (UTF-8, with or without a byte order mark).

    Raises
    ------
    InputError
        Naming ``path`` (and the line where it can): text that is not UTF-8, not JSON,
        nested too deeply, an integer too long to read, or a string escape that is half a
        surrogate pair.
    """
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", path=path) from None
    except ValueError as exc:  # an integer of thousands of digits
        what = "a number with thousands of digits" if "digits" in str(exc) else str(exc)
        raise InputError(f"JSON that cannot be read: {what}", path=path) from None
    lone = _LONE_SURROGATE.search(text) if "\\u" in text else None
    # A match may be text (a backslash written as two, then "ud800"): the strings decide.
    if lone is not None and not _unicode(document):
        raise InputError(
            "a string escape that is half a surrogate pair, not a character",
            path=path,
            line=text.count("\n", 0, lone.start()) + 1,
            value=lone.group(),
        )
    return document


def _unicode(document: Any) -> bool:
    """Whether every string of a JSON document is Unicode (no half surrogate pair)."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
