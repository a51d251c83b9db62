"""What an input file is: its format told from its content, and its default source name."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from camatlas.errors import FormatError, InputError
from camatlas.vocab import LAYERS

Progress = Callable[[str, int, int], None]
"""A callback told (stage, done, total) while a reader works; total is 0 when unknown."""


def detect_format(path: str | Path) -> str:
    """Name the format of ``path`` from its first bytes (not its extension).

    Raises
    ------
    FormatError
        If the file is empty or in no format camatlas reads.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError:
        raise FormatError("no such file", path=p) from None
    except IsADirectoryError:
        raise FormatError("is a directory, not a file", path=p) from None
    if not head.strip():
        raise FormatError("the file is empty", path=p)
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
