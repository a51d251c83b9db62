"""The camera record and the normalization of OpenStreetMap surveillance tags.

A :class:`Camera` is one surveillance device as one source describes it. Its
fields are normalized from the source's tags (OSM keys such as
``surveillance:type``, ``camera:direction``, ``camera:type``), while the tags
themselves are kept verbatim in :attr:`Camera.tags`. A value that cannot be
interpreted is never guessed: the field stays unknown and the value is
reported as a :class:`TagProblem`.

Units: angles in degrees clockwise from true north, distances and heights in
metres, coordinates in WGS 84 longitude/latitude.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

KINDS = ("camera", "guard", "alpr", "gunshot_detector", "other")
"""What a surveillance device is (from ``surveillance:type``)."""

CAMERA_TYPES = ("fixed", "dome", "panning", "doorbell", "unknown")
"""How a camera moves (from ``camera:type``)."""

SURVEILLANCE_SCOPES = ("public", "outdoor", "indoor")
"""What a camera watches (from ``surveillance``)."""

FIELDS = (
    "kind",
    "camera_type",
    "mount",
    "zone",
    "surveillance",
    "directions",
    "width_deg",
    "range_m",
    "height_m",
    "tilt_deg",
    "operator",
    "manufacturer",
    "name",
)
"""Model fields a registry column can be mapped onto (see :func:`camera_from_tags`)."""


@dataclass(frozen=True, slots=True)
class Direction:
    """One view direction: a heading, or a clockwise sweep from ``start`` to ``end``.

    Both angles are in degrees clockwise from north, in ``[0, 360)``. A sweep
    may wrap past north (``start=190, end=100`` covers 190..360 and 0..100).
    A sweep whose end equals its start (``0-360``) covers the full circle.
    """

    start: float
    end: float | None = None

    @property
    def is_sweep(self) -> bool:
        return self.end is not None

    @property
    def sweep_deg(self) -> float:
        """Width of the sweep in degrees (0 for a single heading, 360 for a full circle)."""
        if self.end is None:
            return 0.0
        width = (self.end - self.start) % 360.0
        return 360.0 if width == 0.0 else width

    def __str__(self) -> str:
        if self.end is None:
            return f"{self.start:g}"
        return f"{self.start:g}-{self.end:g}"


@dataclass(frozen=True, slots=True)
class TagProblem:
    """A tag value that could not be interpreted, or a default that was assumed.

    ``key`` is the tag key (or ``"column NAME"`` for a registry column),
    ``value`` the verbatim value (``""`` when the tag is missing), ``element``
    the camera id, and ``reason`` says what camatlas did with it.
    """

    key: str
    value: str
    element: str
    reason: str


@dataclass(slots=True)
class Camera:
    """One surveillance device as one source describes it.

    ``id`` is stable across imports: ``"{source}:{source_id}"``, e.g.
    ``"osm:node/123"`` or ``"trafford_cctv:17"``. ``physical_id`` is the id
    of the camera this one is linked to as the same physical device (itself
    when not linked); the store maintains it.
    """

    id: str
    lon: float
    lat: float
    source: str
    source_id: str
    kind: str = "camera"
    camera_type: str = "unknown"
    mount: str | None = None
    zone: str | None = None
    surveillance: str | None = None
    directions: tuple[Direction, ...] = ()
    width_deg: float | None = None
    range_m: float | None = None
    height_m: float | None = None
    tilt_deg: float | None = None
    operator: str | None = None
    manufacturer: str | None = None
    name: str | None = None
    source_timestamp: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    physical_id: str | None = None

    @property
    def direction_known(self) -> bool:
        return bool(self.directions)


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
    """Build a :class:`Camera` from raw tags; return it with the problems found."""
    raise NotImplementedError


def parse_direction(value: str) -> tuple[Direction, ...]:
    """Parse a ``camera:direction`` / ``direction`` value; raise ValueError if uninterpretable."""
    raise NotImplementedError


def directions_to_text(directions: tuple[Direction, ...]) -> str:
    """Canonical text of directions, e.g. ``"90;180-360"``; ``""`` when none."""
    return ";".join(str(d) for d in directions)


def directions_from_text(text: str | None) -> tuple[Direction, ...]:
    """Inverse of :func:`directions_to_text`."""
    if not text:
        return ()
    return parse_direction(text)
