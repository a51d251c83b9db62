"""Reading tags: camera records from OSM tags and registry fields, and the OSM street,
building and area records.

A :class:`~camatlas.records.Camera`'s fields are normalized from the source's
tags (OSM keys such as ``surveillance:type``, ``camera:direction``,
``camera:type``), while the tags themselves are kept verbatim in
:attr:`~camatlas.records.Camera.tags`. A value that cannot be interpreted is
never guessed: the field stays unknown and the value is reported as a
:class:`~camatlas.records.TagProblem`.

Numbers in tags are read by one set of strict rules (ASCII digits and a
decimal point; ``float()`` would also take ``nan``, ``1e5``, ``1_0`` and
non-ASCII digits, none of which a mapper means as a plain number), the same
for a camera's height as for a building's.

Units: angles in degrees clockwise from true north, distances and heights in
metres (feet converted at 0.3048 m), coordinates in WGS 84 longitude/latitude.

>>> from camatlas.tags import camera_from_tags, parse_direction
>>> parse_direction("190-100")
(Direction(start=190.0, end=100.0),)
>>> camera, problems = camera_from_tags(
...     source="osm", source_id="node/1", lon=-8.61, lat=41.15,
...     tags={"man_made": "surveillance", "camera:type": "dome", "height": "16 ft"})
>>> camera.id, camera.camera_type, round(camera.height_m, 2)
('osm:node/1', 'dome', 4.88)
>>> [(p.key, p.reason) for p in problems]
[('surveillance:type', 'missing; assumed camera')]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from camatlas.records import Area, Building, Camera, Direction, Street, TagProblem
from camatlas.vocab import CAMERA_TYPES, FIELDS, KIND_TAG_VALUES, SURVEILLANCE_SCOPES

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "area_from_tags",
    "building_from_tags",
    "camera_from_tags",
    "directions_from_text",
    "parse_count",
    "parse_direction",
    "parse_length_m",
    "parse_tags",
    "street_from_tags",
    "underground",
]

_T = TypeVar("_T")

_DECIMALS = 3
"""Angles are kept to 0.001 degree.

``str(Direction)`` prints six significant digits, so a finer angle would not
survive :func:`~camatlas.records.directions_to_text`; a millidegree is far below the accuracy of
any mapped camera heading.
"""

# Only ASCII digits: float() also takes "nan", "inf", "1e5", "1_0" and
# non-ASCII digits, none of which a mapper means as a plain number.
_UNSIGNED = r"[0-9]+(?:\.[0-9]+)?"
_UNSIGNED_RE = re.compile(_UNSIGNED)
_SIGNED_RE = re.compile(r"[+-]?" + _UNSIGNED)
_METRES_RE = re.compile(rf"({_UNSIGNED}) *m?")
_FEET_RE = re.compile(rf"({_UNSIGNED}) *(?:'|ft|feet)")
_FEET_INCHES_RE = re.compile(rf"({_UNSIGNED}) *' *({_UNSIGNED}) *(?:\"|in)")
_DECIMAL_COMMA_RE = re.compile(r"[+-]?[0-9]+,[0-9]+ *(?:m|ft|feet|')?")
_LIST_SEPARATOR_RE = re.compile(r"[;,]")
_WORD_FORM_RE = re.compile(r"[a-z]+(?:[ _-]+[a-z]+)*")
_WORD_SEPARATOR_RE = re.compile(r"[ _-]+")

_METRES_PER_FOOT = 0.3048
_INCHES_PER_FOOT = 12.0

_COMPASS_POINTS: dict[str, float] = {
    point: index * 22.5
    for index, point in enumerate(
        (
            "n", "nne", "ne", "ene", "e", "ese", "se", "sse",
            "s", "ssw", "sw", "wsw", "w", "wnw", "nw", "nnw",
        )
    )
}  # fmt: skip
"""Compass point (lower case) -> heading in degrees clockwise from north."""

_COMPASS_WORDS: dict[str, float] = {
    word: index * 22.5
    for index, word in enumerate(
        (
            "north", "northnortheast", "northeast", "eastnortheast",
            "east", "eastsoutheast", "southeast", "southsoutheast",
            "south", "southsouthwest", "southwest", "westsouthwest",
            "west", "westnorthwest", "northwest", "northnorthwest",
        )
    )
}  # fmt: skip
"""Compass word with its separators removed -> heading in degrees clockwise from north."""


class _Reader:
    """Reads one camera's values, first from registry fields, then from tags.

    Collects a :class:`TagProblem` for every value that is present but cannot
    be read.
    """

    def __init__(self, element: str, tags: Mapping[str, str], fields: Mapping[str, str]) -> None:
        self.element = element
        self.tags = tags
        self.fields = fields
        self.problems: list[TagProblem] = []

    def report(self, key: str, value: str, reason: str) -> None:
        self.problems.append(TagProblem(key=key, value=value, element=self.element, reason=reason))

    def candidates(self, name: str, keys: Sequence[str]) -> list[tuple[str, str]]:
        """``(problem key, raw value)`` pairs to try for model field ``name``, in order.

        A non-blank registry field replaces the tags entirely: the registry
        is what the caller chose to trust for that field. Blank values count
        as absent, so an empty registry cell does not hide a tag.
        """
        override = self.fields.get(name)
        if override is not None and override.strip():
            return [(f"field {name}", override)]
        return [
            (key, self.tags[key]) for key in keys if key in self.tags and self.tags[key].strip()
        ]

    def first(
        self,
        name: str,
        keys: Sequence[str],
        parse: Callable[[str], _T],
        unknown: str,
    ) -> _T | None:
        """The first candidate value that ``parse`` reads, or None.

        Every unreadable candidate tried is reported; ``unknown`` is the
        consequence stated when none can be read.
        """
        failures: list[tuple[str, str, str]] = []
        for key, value in self.candidates(name, keys):
            try:
                result = parse(value)
            except ValueError as error:
                failures.append((key, value, str(error)))
                continue
            for bad_key, bad_value, message in failures:
                self.report(bad_key, bad_value, f"{message}; ignored, {key!r} used instead")
            return result
        for bad_key, bad_value, message in failures:
            self.report(bad_key, bad_value, f"{message}; {unknown}")
        return None


def camera_from_tags(
    *,
    source: str,
    source_id: str,
    lon: float,
    lat: float,
    tags: Mapping[str, str],
    timestamp: str | None = None,
    fields: Mapping[str, str] | None = None,
) -> tuple[Camera, list[TagProblem]]:
    """Build a :class:`Camera` from raw tags; return it with the problems found.

    Nothing is guessed: a value that cannot be read leaves its field unknown
    (``None``, ``()``, ``"unknown"`` or kind ``"other"``) and is reported.
    Where several keys can give a field (``camera:direction`` then
    ``direction``; ``height`` then ``camera:height``; ``camera:tilt`` then
    ``camera:angle``; ``operator`` then ``surveillance:operator``; ...), the
    first key whose value can be read is used and unreadable ones before it
    are still reported. ``camera:angle`` is read as a tilt, never as a width
    of view.

    Parameters
    ----------
    source
        Source name, e.g. ``"osm"`` or ``"trafford_cctv"``.
    source_id
        Id of the camera within its source, e.g. ``"node/123"``.
    lon, lat
        WGS 84 longitude and latitude in degrees.
    tags
        The source's tags (OSM keys), copied verbatim into :attr:`Camera.tags`.
    timestamp
        The source's timestamp of the element, kept as given.
    fields
        Registry column values mapped onto model fields (names from
        :data:`FIELDS`). A non-blank value replaces whatever the tags say for
        that field and is read by the same rules as the corresponding tag;
        its problems are reported under the key ``"field NAME"``.

    Returns
    -------
    tuple[Camera, list[TagProblem]]
        The camera (angles in degrees clockwise from north, ``width_deg`` and
        ``tilt_deg`` in degrees, ``range_m`` and ``height_m`` in metres) and
        the problems found, each with ``element`` set to the camera id.

    Raises
    ------
    ValueError
        If ``fields`` names a field not in :data:`FIELDS`. Tag values never
        raise.
    """
    fields = {} if fields is None else fields
    unknown_fields = sorted(set(fields) - set(FIELDS))
    if unknown_fields:
        raise ValueError(f"unknown camera field(s) {unknown_fields}; expected names from FIELDS")

    camera_id = f"{source}:{source_id}"
    reader = _Reader(camera_id, tags, fields)

    kind = reader.first("kind", ["surveillance:type"], _parse_kind, "kind set to other")
    if kind is None:
        if reader.candidates("kind", ["surveillance:type"]):
            kind = "other"
        else:
            kind = "camera"
            reader.report(
                "surveillance:type", tags.get("surveillance:type", ""), "missing; assumed camera"
            )
    camera_type = reader.first(
        "camera_type", ["camera:type"], _parse_camera_type, "camera type set to unknown"
    )
    directions = reader.first(
        "directions", ["camera:direction", "direction"], parse_direction, "direction unknown"
    )

    camera = Camera(
        id=camera_id,
        lon=lon,
        lat=lat,
        source=source,
        source_id=source_id,
        kind=kind,
        camera_type=camera_type or "unknown",
        mount=reader.first("mount", ["camera:mount"], _parse_vocabulary, "mount unknown"),
        zone=reader.first("zone", ["surveillance:zone"], _parse_vocabulary, "zone unknown"),
        surveillance=reader.first(
            "surveillance", ["surveillance"], _parse_surveillance, "surveillance unknown"
        ),
        directions=directions or (),
        width_deg=reader.first(
            "width_deg", ["camera:angle_of_view"], _parse_width, "width of view unknown"
        ),
        range_m=reader.first("range_m", ["camera:range"], _parse_range, "range unknown"),
        height_m=reader.first(
            "height_m", ["height", "camera:height"], parse_length_m, "height unknown"
        ),
        tilt_deg=reader.first(
            "tilt_deg", ["camera:tilt", "camera:angle"], _parse_tilt, "tilt unknown"
        ),
        operator=reader.first("operator", ["operator", "surveillance:operator"], _parse_text, ""),
        manufacturer=reader.first(
            "manufacturer",
            ["manufacturer", "surveillance:manufacturer", "brand", "surveillance:brand"],
            _parse_text,
            "",
        ),
        name=reader.first("name", ["name"], _parse_text, ""),
        source_timestamp=timestamp,
        tags=dict(tags),
    )
    return camera, reader.problems


def _parse_kind(value: str) -> str:
    """``surveillance:type`` value -> :data:`~camatlas.vocab.KINDS` entry; ValueError if unknown."""
    text = value.strip().lower()
    if ";" in text:
        raise ValueError("several values")
    kind = KIND_TAG_VALUES.get(text)
    if kind is None:
        raise ValueError("unknown value")
    return kind


def _parse_camera_type(value: str) -> str:
    """``camera:type`` value -> :data:`CAMERA_TYPES` entry; ValueError if unknown."""
    text = value.strip().lower()
    if text not in CAMERA_TYPES or text == "unknown":
        raise ValueError("unknown value")
    return text


def _parse_surveillance(value: str) -> str:
    """``surveillance`` value -> :data:`SURVEILLANCE_SCOPES` entry; ValueError if unknown."""
    text = value.strip().lower()
    if text not in SURVEILLANCE_SCOPES:
        raise ValueError("unknown value")
    return text


def _parse_vocabulary(value: str) -> str:
    """A free-vocabulary value (``camera:mount``, ``surveillance:zone``), lower-cased."""
    return value.strip().lower()


def _parse_text(value: str) -> str:
    """A free-text value (operator, manufacturer, name), stripped but otherwise verbatim."""
    return value.strip()


def _number_error(text: str, what: str) -> ValueError:
    if _DECIMAL_COMMA_RE.fullmatch(text):
        return ValueError(f"decimal comma not accepted in {what}; use a point")
    return ValueError(f"not a number of {what}")


def _finite(text: str) -> float:
    """``float(text)`` for text already matched by a strict pattern; ValueError if it overflows."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number too large")
    return number


def _degrees(value: str, *, signed: bool) -> float:
    """A plain number of degrees (with a sign when ``signed``); ValueError otherwise."""
    text = value.strip()
    if not (_SIGNED_RE if signed else _UNSIGNED_RE).fullmatch(text):
        raise _number_error(text, "degrees")
    return _finite(text)


def _parse_width(value: str) -> float:
    """Width of view in degrees, in ``(0, 360]``."""
    width = _degrees(value, signed=False)
    if not 0.0 < width <= 360.0:
        raise ValueError("width of view must be over 0 and at most 360 degrees")
    return width


def _parse_tilt(value: str) -> float:
    """Tilt in degrees below horizontal, in ``[-90, 90]``."""
    tilt = _degrees(value, signed=True)
    if not -90.0 <= tilt <= 90.0:
        raise ValueError("tilt must be between -90 and 90 degrees")
    return tilt


def _parse_range(value: str) -> float:
    """Range in metres, positive; an ``m`` suffix is allowed."""
    text = value.strip().lower()
    match = _METRES_RE.fullmatch(text)
    if match is None:
        raise _number_error(text, "metres")
    range_m = _finite(match.group(1))
    if range_m <= 0.0:
        raise ValueError("range must be positive")
    return range_m


def parse_length_m(value: str) -> float:
    """A positive length in metres: ``12``, ``12.5``, ``12 m``; feet (``40'``, ``40 ft``,
    ``12'6"``) are converted at 0.3048 m a foot.

    Used for a camera's ``height`` and a building's. Raises ValueError otherwise.

    >>> parse_length_m("16 ft")
    4.8768
    """
    text = value.strip().lower()
    if match := _METRES_RE.fullmatch(text):
        length = _finite(match.group(1))
    elif match := _FEET_RE.fullmatch(text):
        length = _finite(match.group(1)) * _METRES_PER_FOOT
    elif match := _FEET_INCHES_RE.fullmatch(text):
        inches = _finite(match.group(2))
        if inches >= _INCHES_PER_FOOT:
            raise ValueError("inches must be under 12")
        length = (_finite(match.group(1)) + inches / _INCHES_PER_FOOT) * _METRES_PER_FOOT
    else:
        raise _number_error(text, "metres or feet")
    if length <= 0.0:
        raise ValueError("height must be positive")
    return length


def parse_count(value: str) -> float:
    """A plain number of 0 or more (``4``, ``2.5``), as for ``building:levels`` or
    ``population``; ValueError for anything else (``three``, ``3;4``, ``12 345``)."""
    text = value.strip()
    if not _UNSIGNED_RE.fullmatch(text):
        if _DECIMAL_COMMA_RE.fullmatch(text):
            raise ValueError("decimal comma not accepted; use a point")
        raise ValueError("not a plain number")
    return _finite(text)


def _or_none(parse: Callable[[str], float], value: str | None) -> float | None:
    """``parse(value)``, or None when the value is missing or cannot be read."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError:
        return None


# --- streets, buildings and areas from OSM tags --------------------------------------


def parse_tags(texts: Iterable[Any]) -> list[dict[str, str]]:
    """JSON tag texts (or missing values), as the atlas stores them, as dicts."""
    out: list[dict[str, str]] = []
    for text in texts:
        if isinstance(text, str) and text:
            value = json.loads(text)
            out.append(value if isinstance(value, dict) else {})
        else:
            out.append({})
    return out


_NOT_A_TUNNEL = frozenset({"no", "building_passage"})  # a passage under a building is at ground
_INDOOR = frozenset({"yes", "corridor", "room", "area"})
_UNDER = frozenset({"underground", "indoor"})


def underground(tags: Mapping[str, str]) -> str | None:
    """Why a way lies below ground or indoors, as the tag that says so (``tunnel=yes``,
    ``layer=-1``, ``level=-2``, ``indoor=yes``, ``location=underground``), or None.

    A street camera does not see such a way (a road tunnel, a metro passage, a mall's
    corridor below a square). Bridges (``layer`` above 0), ``tunnel=building_passage``
    (a passage through a building at street level) and a ``level`` list reaching 0 or
    above (``-1;0``) are not underground.

    >>> underground({"highway": "footway", "tunnel": "yes"})
    'tunnel=yes'
    >>> underground({"highway": "footway", "layer": "1", "bridge": "yes"}) is None
    True
    """
    tunnel = tags.get("tunnel", "").strip().lower()
    if tunnel and tunnel not in _NOT_A_TUNNEL:
        return f"tunnel={tunnel}"
    for key, values in (("indoor", _INDOOR), ("location", _UNDER)):
        value = tags.get(key, "").strip().lower()
        if value in values:
            return f"{key}={value}"
    for key in ("layer", "level"):
        text = tags.get(key, "")
        try:
            levels = [float(part) for part in text.split(";") if part.strip()]
        except ValueError:
            continue  # not a number: says nothing about where the way is
        if levels and max(levels) < 0:
            return f"{key}={text.strip()}"
    return None


def street_from_tags(
    ref: str, tags: dict[str, str], geometry: BaseGeometry, nodes: tuple[int, ...]
) -> Street:
    """A :class:`~camatlas.records.Street` from a ``highway`` way's tags, line and node ids.

    ``ref`` is the element, ``way/N``; the street's id is ``osm:way/N``.
    """
    return Street(
        id=f"osm:{ref}",
        highway=tags["highway"],
        geometry=geometry,
        name=tags.get("name"),
        oneway=tags.get("oneway"),
        nodes=nodes,
        tags=tags,
    )


def building_from_tags(ref: str, tags: dict[str, str], geometry: BaseGeometry) -> Building:
    """A :class:`~camatlas.records.Building` from a ``building`` way's or relation's tags.

    ``height_m`` comes from ``height`` read by :func:`parse_length_m` (metres or feet),
    ``levels`` from ``building:levels`` read by :func:`parse_count`; a value that cannot
    be read leaves the field unknown (the tags keep it verbatim).
    """
    return Building(
        id=f"osm:{ref}",
        building=tags["building"],
        geometry=geometry,
        height_m=_or_none(parse_length_m, tags.get("height")),
        levels=_or_none(parse_count, tags.get("building:levels")),
        tags=tags,
    )


def area_from_tags(
    ref: str, tags: dict[str, str], geometry: BaseGeometry, *, partial: bool = False
) -> Area:
    """An :class:`~camatlas.records.Area` from a ``boundary=administrative`` relation's tags.

    ``admin_level`` is a whole number or None; ``population`` a plain number of
    residents or None; ``partial`` says the geometry is only the part of the
    area inside the file it came from.
    """
    level = _or_none(parse_count, tags.get("admin_level"))
    return Area(
        id=f"osm:{ref}",
        name=tags.get("name"),
        admin_level=int(level) if level is not None and level.is_integer() else None,
        geometry=geometry,
        population=_or_none(parse_count, tags.get("population")),
        tags=tags,
        partial=partial,
    )


def parse_direction(value: str) -> tuple[Direction, ...]:
    """Parse a ``camera:direction`` / ``direction`` value; raise ValueError if uninterpretable.

    Accepted items: degrees clockwise from north (``240``, ``45.5``; ``360``
    is read as 0), compass points ``N`` .. ``NNW``, compass words (``south``,
    ``north-east``, ``north east``, ``northeast``, ``north_east``,
    ``north-northeast``), and clockwise ranges ``a-b`` of degrees or compass
    points (``180-360``, ``190-100`` wrapping past north, ``0-360`` for the
    full circle). Items may be listed with ``;`` or ``,``; empty items are
    skipped. Case and surrounding whitespace do not matter.

    Parameters
    ----------
    value
        The raw tag value.

    Returns
    -------
    tuple[Direction, ...]
        One :class:`Direction` per item, never empty; angles in degrees
        clockwise from north in ``[0, 360)``, rounded to 0.001 degree.

    Raises
    ------
    ValueError
        If the value is blank or any item cannot be read; the message names
        the item. Nothing is guessed, so ``"forward"``, ``-10`` or ``400``
        raise rather than give a partial result.
    """
    if not value.strip():
        raise ValueError("empty direction")
    items = [item.strip() for item in _LIST_SEPARATOR_RE.split(value)]
    directions = tuple(_parse_direction_item(item) for item in items if item)
    if not directions:
        raise ValueError(f"no direction in {value!r}, only separators")
    return directions


def _parse_direction_item(item: str) -> Direction:
    """One list item: a heading, a compass word or a clockwise range."""
    text = item.lower()
    # "north-east" is a word, not the range north..east, so words go first.
    if _WORD_FORM_RE.fullmatch(text):
        words = _WORD_SEPARATOR_RE.split(text)
        if all(word in _COMPASS_WORDS for word in words):
            heading = _COMPASS_WORDS.get("".join(words))
            if heading is not None:
                return Direction(heading)
    if "-" in text:
        parts = text.split("-")
        if len(parts) != 2:
            raise ValueError(f"cannot read direction range {item!r}")
        start, end = (part.strip() for part in parts)
        if not start or not end:
            raise ValueError(f"direction range {item!r} lacks a start or an end")
        # "0-360" keeps start == end, which Direction defines as the full circle.
        return Direction(_parse_heading(start, item), _parse_heading(end, item))
    return Direction(_parse_heading(text, item))


def _parse_heading(text: str, item: str) -> float:
    """Degrees in ``[0, 360]`` or a compass point -> heading in ``[0, 360)`` degrees."""
    compass = _COMPASS_POINTS.get(text)
    if compass is not None:
        return compass
    if not _UNSIGNED_RE.fullmatch(text):
        raise ValueError(f"cannot read direction {text!r} in {item!r}")
    degrees = float(text)
    if degrees > 360.0:
        raise ValueError(f"direction {text!r} in {item!r} is over 360 degrees")
    return round(degrees, _DECIMALS) % 360.0


def directions_from_text(text: str | None) -> tuple[Direction, ...]:
    """Inverse of :func:`~camatlas.records.directions_to_text`."""
    if not text:
        return ()
    return parse_direction(text)
