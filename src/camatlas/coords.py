"""Coordinates given by people: a latitude and longitude, a bounding box, checked once.

The command line, the web API, the Overpass queries and the route planner all read
points and boxes through these functions, so one rule (and one message) holds
everywhere. This module imports nothing heavy.

>>> parse_lat_lon("51.5138,-0.0984", "--from")
(51.5138, -0.0984)
>>> parse_bbox("-8.62,41.14,-8.60,41.16")
(-8.62, 41.14, -8.6, 41.16)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

from camatlas.errors import InputError
from camatlas.records import BBox

__all__ = ["check_bbox", "check_lat_lon", "is_finite", "parse_bbox", "parse_lat_lon"]


def check_lat_lon(lat: Any, lon: Any, label: str) -> tuple[float, float]:
    """``(lat, lon)`` as floats when they are a latitude and a longitude in degrees.

    Raises
    ------
    InputError
        Naming ``label`` (e.g. ``"--from"`` or ``"origin"``) and the values otherwise.
    """
    try:
        lat_f, lon_f = float(lat), float(lon)
        ok = (
            not isinstance(lat, bool)
            and not isinstance(lon, bool)
            and math.isfinite(lat_f)
            and math.isfinite(lon_f)
            and abs(lat_f) <= 90
            and abs(lon_f) <= 180
        )
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise InputError(
            "expected a latitude in [-90, 90] and a longitude in [-180, 180]",
            element=label,
            value=(lat, lon),
        )
    return lat_f, lon_f


_LAT = r"[-+]?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
_LON = r"[-+]?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]?[0-9])(?:\.[0-9]+)?)"

LAT_LON_PATTERN = rf"^ *{_LAT} *, *{_LON} *$"
"""``LAT,LON`` as a regular expression (also valid in JSON Schema): two plain decimals
in range, which :func:`parse_lat_lon` accepts."""

BBOX_PATTERN = rf"^ *{_LON} *, *{_LAT} *, *{_LON} *, *{_LAT} *$"
"""``WEST,SOUTH,EAST,NORTH`` as a regular expression: four plain decimals in range.
:func:`parse_bbox` also asks for west < east and south < north, which no pattern says."""


def parse_lat_lon(text: str, label: str) -> tuple[float, float]:
    """``"LAT,LON"`` in degrees as a checked pair of floats; InputError naming ``label``."""
    try:
        lat_text, lon_text = text.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise InputError(
            "expected LAT,LON in degrees, e.g. 51.5138,-0.0984", element=label, value=text
        ) from None
    return check_lat_lon(lat, lon, label)


def check_bbox(bbox: Sequence[object], label: str = "bbox") -> BBox:
    """A box (west, south, east, north) of finite degrees, in range and in order.

    A box has an area (west < east, south < north) and does not cross the antimeridian
    (split such a box in two).

    Raises
    ------
    InputError
        Saying which rule the box breaks, with the box.
    """
    if isinstance(bbox, str | bytes) or len(bbox) != 4:
        raise InputError("a bbox is four numbers: west, south, east, north", element=label,
                         value=bbox)  # fmt: skip
    numbers = []
    for value in bbox:
        if isinstance(value, bool) or not isinstance(value, Real) or not is_finite(value):
            raise InputError(
                "a bbox is four finite numbers: west, south, east, north",
                element=label,
                value=tuple(bbox),
            )
        numbers.append(float(value))
    west, south, east, north = numbers
    if not (-180.0 <= west <= 180.0 and -180.0 <= east <= 180.0):
        raise InputError("west and east must be longitudes in -180..180", element=label,
                         value=tuple(bbox))  # fmt: skip
    if not (-90.0 <= south <= 90.0 and -90.0 <= north <= 90.0):
        raise InputError(
            "south and north must be latitudes in -90..90 (the order is west, south, east, north)",
            element=label,
            value=tuple(bbox),
        )
    if not west < east:
        raise InputError(
            "west must be less than east (the order is west, south, east, north; "
            "split a box across the antimeridian in two)",
            element=label,
            value=tuple(bbox),
        )
    if not south < north:
        raise InputError(
            "south must be less than north (the order is west, south, east, north)",
            element=label,
            value=tuple(bbox),
        )
    return west, south, east, north


def is_finite(value: Real | float) -> bool:
    """Whether a number is a finite float (an int too large for a float, as JSON may hold,
    is not)."""
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def parse_bbox(text: str, label: str = "bbox") -> BBox:
    """``"WEST,SOUTH,EAST,NORTH"`` in degrees as a box checked by :func:`check_bbox`."""
    parts = text.split(",")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise InputError(
            "expected four numbers WEST,SOUTH,EAST,NORTH in degrees", element=label, value=text
        )
    return check_bbox(numbers, label)


NULL_ISLAND = 'both coordinates are 0 ("null island"): a placeholder, not a location'
"""Why a position of exactly (0, 0) is refused: what a missing or broken coordinate
becomes (a blank cell, a crafted file), never where a camera stands."""


def is_null_island(lon: float, lat: float) -> bool:
    """Whether a position is exactly (0, 0): :data:`NULL_ISLAND`."""
    return lon == 0.0 and lat == 0.0
