"""What camatlas assumes about a camera whose tags do not say: its range, its width of view,
whether it turns, and what it can make out at which distance.

Every default has a plausible interval ``(low, high)``, used to sample
uncertainty; a value from a tag or an override has none. The rules, their values
and their sources are documented in ``docs/method.md``.

This module is an engine: pure functions on camera frames, no atlas.

>>> import geopandas as gpd, shapely
>>> cameras = gpd.GeoDataFrame({"camera_type": ["dome", "fixed"], "kind": ["camera", "alpr"],
...     "directions": ["", "90"]}, geometry=[shapely.Point(0, 0)] * 2, crs=4326)
>>> table = camera_parameters(cameras, SightParameters())
>>> table[["range_m", "width_deg", "full_circle"]].values.tolist()
[[50.0, 90.0, True], [30.0, 30.0, False]]
>>> round(dori_distances(80.0, 1920)["identification"], 1)
4.6
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from camatlas.errors import InputError
from camatlas.geo import BoolArray, FloatArray, ObjectArray
from camatlas.lazy import gpd, pd
from camatlas.records import Direction
from camatlas.tags import directions_from_text
from camatlas.vocab import DEFAULT_RESOLUTION_PX, DORI_LEVELS, DORI_PX_PER_M

__all__ = [
    "ARC_STEP_DEG",
    "FULL_CIRCLE_KINDS",
    "FULL_CIRCLE_TYPES",
    "MAX_LENS_WIDTH_DEG",
    "NO_VIEW_KINDS",
    "RANGE_DEFAULTS",
    "WALL_DISTANCE_M",
    "WALL_OFFSET_M",
    "WIDTH_DEFAULTS",
    "DefaultRule",
    "SightParameters",
    "camera_directions",
    "camera_parameters",
    "dori_distances",
    "sampled_parameters",
]

ARC_STEP_DEG = 5.0
"""Largest angle between two vertices of a range arc, in degrees.

A circle arc is drawn as the regular polygon inscribed in it with vertices
at most this far apart, so areas are at most ``1 - sin(x)/x`` too small
(0.13 % at 5 degrees) and the boundary is at most ``1 - cos(x/2)`` of the
range inside the circle (0.10 %).
"""

WALL_DISTANCE_M = 1.0
"""A camera this close to a footprint (or inside it) is taken as mounted on that building."""

WALL_OFFSET_M = 0.05
"""A camera mounted on a building is placed this far outside the nearest wall."""

MAX_LENS_WIDTH_DEG = 170.0
"""Widest lens used for pixel density; beyond it the rectilinear lens model breaks down."""


@dataclass(frozen=True, slots=True)
class DefaultRule:
    """One row of a defaults table: a value assumed when the tags give none.

    ``field`` and ``values`` say which cameras the rule applies to (``field``
    ``None`` matches every camera); the first matching rule of a table wins.
    ``value`` is the default, ``low`` and ``high`` its plausible interval.
    """

    field: str | None
    values: tuple[str, ...]
    value: float
    low: float
    high: float

    @property
    def rule(self) -> str:
        """The rule as text, e.g. ``"camera_type=panning"`` or ``"otherwise"``."""
        if self.field is None:
            return "otherwise"
        return f"{self.field}={'|'.join(self.values)}"


RANGE_DEFAULTS: tuple[DefaultRule, ...] = (
    DefaultRule("surveillance", ("indoor",), 10.0, 5.0, 20.0),
    DefaultRule("kind", ("alpr",), 30.0, 15.0, 50.0),
    DefaultRule("camera_type", ("doorbell",), 8.0, 5.0, 15.0),
    DefaultRule("camera_type", ("panning",), 100.0, 50.0, 200.0),
    DefaultRule("zone", ("traffic",), 60.0, 30.0, 150.0),
    DefaultRule("camera_type", ("dome",), 50.0, 25.0, 100.0),
    DefaultRule("zone", ("parking",), 40.0, 20.0, 80.0),
    DefaultRule("zone", ("shop", "bank", "entrance", "building"), 20.0, 10.0, 40.0),
    DefaultRule("mount", ("ceiling",), 15.0, 8.0, 30.0),
    DefaultRule("mount", ("pole",), 40.0, 25.0, 80.0),
    DefaultRule(None, (), 30.0, 15.0, 50.0),
)
"""Range in metres by kind, camera type, zone and mount (see ``docs/method.md``)."""

WIDTH_DEFAULTS: tuple[DefaultRule, ...] = (
    DefaultRule("kind", ("alpr",), 30.0, 15.0, 45.0),
    DefaultRule("camera_type", ("doorbell",), 150.0, 120.0, 180.0),
    DefaultRule("camera_type", ("panning",), 60.0, 45.0, 75.0),
    DefaultRule("camera_type", ("dome",), 90.0, 60.0, 110.0),
    DefaultRule(None, (), 80.0, 50.0, 110.0),
)
"""Width of view of the lens in degrees by kind and camera type (see ``docs/method.md``).

For a full-disc camera this is the lens's width, used for its pixel density
(DORI distances), not the width of its view on the map.
"""

FULL_CIRCLE_TYPES = ("dome", "panning")
"""Camera types that can turn: their view is a full disc unless a sweep range is tagged."""

NO_VIEW_KINDS = ("gunshot_detector",)
"""Kinds that do not see: they get no view (they are acoustic sensors)."""

FULL_CIRCLE_KINDS = ("guard",)
"""Kinds whose view is always a full disc (a guard looks around)."""


@dataclass(frozen=True)
class SightParameters:
    """Parameters of a fields-of-view computation; every field has a documented default.

    Parameters
    ----------
    range_m
        Range in metres for every camera, overriding tags and defaults.
    width_deg
        Width of view in degrees for every camera (its lens, for full discs),
        overriding tags and defaults.
    occlusion
        Whether views are cut by building footprints.
    include_indoor
        Whether cameras tagged ``surveillance=indoor`` get views.
    resolution_px
        Assumed horizontal resolution in pixels, for the DORI distances.
    arc_step_deg
        Largest angle between two vertices of a range arc (see :data:`ARC_STEP_DEG`).
    wall_distance_m
        Distance within which a camera counts as mounted on a building.
    dori
        Whether views are split into DORI bands (when False only ``"view"`` rows are made,
        about twice as fast).
    """

    range_m: float | None = None
    width_deg: float | None = None
    occlusion: bool = True
    include_indoor: bool = False
    resolution_px: int = DEFAULT_RESOLUTION_PX
    arc_step_deg: float = ARC_STEP_DEG
    wall_distance_m: float = WALL_DISTANCE_M
    dori: bool = True

    def __post_init__(self) -> None:
        if self.range_m is not None and not (
            math.isfinite(self.range_m) and 0.0 < self.range_m <= 10_000.0
        ):
            raise InputError("range must be over 0 and at most 10000 metres", value=self.range_m)
        if self.width_deg is not None and not (
            math.isfinite(self.width_deg) and 0.0 < self.width_deg <= 360.0
        ):
            raise InputError(
                "width of view must be over 0 and at most 360 degrees", value=self.width_deg
            )
        if not 0 < self.resolution_px <= 100_000:
            raise InputError(
                "resolution must be a positive number of pixels", value=self.resolution_px
            )
        if not (math.isfinite(self.arc_step_deg) and 0.1 <= self.arc_step_deg <= 30.0):
            raise InputError("arc step must be between 0.1 and 30 degrees", value=self.arc_step_deg)
        if not (math.isfinite(self.wall_distance_m) and 0.0 <= self.wall_distance_m <= 10.0):
            raise InputError(
                "wall distance must be between 0 and 10 metres", value=self.wall_distance_m
            )

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready data, with the defaults tables and DORI thresholds."""
        out: dict[str, Any] = asdict(self)
        out["dori_px_per_m"] = dict(DORI_PX_PER_M)
        out["wall_offset_m"] = WALL_OFFSET_M
        out["range_defaults"] = [_rule_dict(r) for r in RANGE_DEFAULTS]
        out["width_defaults"] = [_rule_dict(r) for r in WIDTH_DEFAULTS]
        return out


def _rule_dict(rule: DefaultRule) -> dict[str, Any]:
    return {"rule": rule.rule, "value": rule.value, "low": rule.low, "high": rule.high}


def dori_distances(
    width_deg: float | FloatArray, resolution_px: float
) -> dict[str, float | FloatArray]:
    """Distance in metres up to which a camera resolves each DORI level.

    ``d = resolution_px / (2 * tan(width / 2) * px_per_m)`` for a lens of
    horizontal width of view ``width`` (clamped to :data:`MAX_LENS_WIDTH_DEG`).

    Parameters
    ----------
    width_deg
        Horizontal width of view of the lens, degrees.
    resolution_px
        Horizontal resolution, pixels.

    Returns
    -------
    dict
        Level name -> distance in metres (arrays when ``width_deg`` is one).
    """
    width = np.minimum(np.asarray(width_deg, dtype=np.float64), MAX_LENS_WIDTH_DEG)
    scene_per_m = 2.0 * np.tan(np.radians(width) / 2.0)
    out: dict[str, float | FloatArray] = {}
    for level in DORI_LEVELS:
        d = resolution_px / (scene_per_m * DORI_PX_PER_M[level])
        out[level] = float(d) if np.ndim(d) == 0 else d
    return out


# --- per-camera parameters ----------------------------------------------------------


def camera_parameters(cameras: gpd.GeoDataFrame, params: SightParameters) -> pd.DataFrame:
    """Range, width of view, their sources and plausible intervals for each camera.

    Each value comes from the override in ``params`` if set, else from the
    camera's tag (``range_m``, ``width_deg`` columns), else from the first
    matching rule of :data:`RANGE_DEFAULTS` / :data:`WIDTH_DEFAULTS`.

    Parameters
    ----------
    cameras
        The atlas's camera layer (columns ``kind``, ``camera_type``, ``mount``,
        ``zone``, ``surveillance``, ``directions``, ``width_deg``, ``range_m``).
    params
        Overrides and options.

    Returns
    -------
    pandas.DataFrame
        Index aligned with ``cameras``; columns ``range_m`` (m), ``width_deg``
        (degrees), ``range_source`` and ``width_source`` (``"override"``,
        ``"tag"`` or ``"default: <rule>"``), ``range_low``, ``range_high``,
        ``width_low``, ``width_high`` (the plausible interval; equal to the
        value for tags and overrides), ``full_circle`` (the view is a disc),
        ``direction_known`` and ``counted`` (False for cameras without a view:
        indoor cameras unless ``params.include_indoor``, and kinds in
        :data:`NO_VIEW_KINDS`).
    """
    out = pd.DataFrame(index=cameras.index)
    for name, rules, override in (
        ("range", RANGE_DEFAULTS, params.range_m),
        ("width", WIDTH_DEFAULTS, params.width_deg),
    ):
        column = f"{name}_m" if name == "range" else f"{name}_deg"
        tag = _float_column(cameras, column)
        value, low, high, source = _resolve(cameras, tag, rules, override)
        out[column] = value
        out[f"{name}_source"] = source
        out[f"{name}_low"] = low
        out[f"{name}_high"] = high
    directions = camera_directions(cameras)
    known = np.array([bool(d) for d in directions], dtype=bool)
    camera_type = _text_column(cameras, "camera_type")
    kind = _text_column(cameras, "kind")
    turns = camera_type.isin(FULL_CIRCLE_TYPES).to_numpy()
    any_sweep = np.array([any(d.is_sweep for d in ds) for ds in directions], dtype=bool)
    full = ~known | (turns & ~any_sweep) | kind.isin(FULL_CIRCLE_KINDS).to_numpy()
    width = out["width_deg"].to_numpy()
    # A sweep plus the lens width, or a lens of 360 degrees, covers the circle.
    covered = np.array(
        [known[i] and _covers_circle(directions[i], width[i]) for i in range(len(directions))],
        dtype=bool,
    )
    out["full_circle"] = full | covered
    out["direction_known"] = known
    surveillance = _text_column(cameras, "surveillance")
    indoor = (surveillance == "indoor").to_numpy()
    out["counted"] = ~kind.isin(NO_VIEW_KINDS).to_numpy() & (params.include_indoor | ~indoor)
    return out


def _covers_circle(directions: tuple[Direction, ...], width: float) -> bool:
    return any(d.sweep_deg + width >= 360.0 for d in directions)


def _float_column(cameras: pd.DataFrame, name: str) -> FloatArray:
    if name not in cameras.columns:
        return np.full(len(cameras), np.nan)
    values = pd.to_numeric(cameras[name], errors="coerce").to_numpy(dtype=np.float64, copy=True)
    values[~np.isfinite(values) | (values <= 0.0)] = np.nan
    return values


def _text_column(cameras: pd.DataFrame, name: str) -> pd.Series:
    if name not in cameras.columns:
        return pd.Series("", index=cameras.index, dtype=object)
    return cameras[name].fillna("").astype(str).str.strip().str.lower()


def _matches(cameras: pd.DataFrame, rule: DefaultRule) -> BoolArray:
    if rule.field is None:
        return np.ones(len(cameras), dtype=bool)
    column = _text_column(cameras, rule.field)
    wanted = set(rule.values)
    # Free-vocabulary values may list several (``town;traffic``): any one matches.
    uniques = pd.unique(column)
    hit = {
        u: bool(wanted & {v.strip() for v in str(u).replace(",", ";").split(";")}) for u in uniques
    }
    return column.map(hit).to_numpy(dtype=bool)


def _resolve(
    cameras: pd.DataFrame,
    tag: FloatArray,
    rules: Iterable[DefaultRule],
    override: float | None,
) -> tuple[FloatArray, FloatArray, FloatArray, ObjectArray]:
    n = len(cameras)
    value = np.full(n, np.nan)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    source = np.empty(n, dtype=object)
    if override is not None:
        value[:] = low[:] = high[:] = override
        source[:] = "override"
        return value, low, high, source
    has_tag = ~np.isnan(tag)
    value[has_tag] = low[has_tag] = high[has_tag] = tag[has_tag]
    source[has_tag] = "tag"
    todo = ~has_tag
    for rule in rules:
        hit = todo & _matches(cameras, rule)
        value[hit], low[hit], high[hit] = rule.value, rule.low, rule.high
        source[hit] = f"default: {rule.rule}"
        todo &= ~hit
    return value, low, high, source


def camera_directions(cameras: pd.DataFrame) -> list[tuple[Direction, ...]]:
    """The parsed directions of each camera (``()`` where unknown)."""
    if "directions" not in cameras.columns:
        return [()] * len(cameras)
    texts = cameras["directions"].fillna("").astype(str)
    parsed: dict[str, tuple[Direction, ...]] = {}
    for text in pd.unique(texts):
        try:
            parsed[text] = directions_from_text(text)
        except ValueError as exc:
            raise InputError(f"cannot read camera directions: {exc}", value=text) from None
    return [parsed[t] for t in texts]


def sampled_parameters(
    base: pd.DataFrame, cameras: gpd.GeoDataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Range and width of each camera drawn uniformly within its plausible interval where
    the value came from a default; tag and override values stay fixed.

    Draws follow the order of camera ids, so the same seed gives the same draw to each
    camera whatever the order of the input.
    """
    order = np.argsort(cameras["id"].astype(str).to_numpy(), kind="stable")
    u_range = np.empty(len(base))
    u_width = np.empty(len(base))
    u_range[order] = rng.random(len(base))
    u_width[order] = rng.random(len(base))
    out = base.copy()
    for value, source, low, high, u in (
        ("range_m", "range_source", "range_low", "range_high", u_range),
        ("width_deg", "width_source", "width_low", "width_high", u_width),
    ):
        lo = base[low].to_numpy(dtype=np.float64)
        hi = base[high].to_numpy(dtype=np.float64)
        assumed = base[source].astype(str).str.startswith("default").to_numpy()
        drawn = lo + u * (hi - lo)
        out[value] = np.where(assumed & np.isfinite(drawn), drawn, base[value].to_numpy())
    return out
