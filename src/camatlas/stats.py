"""Totals and breakdowns of an atlas's cameras, as ``camatlas stats`` prints them.

:func:`camera_stats` works on the cameras' attribute columns, so the atlas
(:meth:`camatlas.atlas.Atlas.stats`) reads no geometry to count.

>>> import pandas as pd
>>> cameras = pd.DataFrame({"physical_id": ["a", "a", "c"], "direction_known": [1, 0, 1],
...                         "kind": ["camera", "camera", "alpr"]})
>>> stats = camera_stats(cameras, atlas="city.gpkg", counts={}, linked_pairs=1, tag_problems=0)
>>> stats.physical_cameras, stats.breakdowns["by_kind"]
(2, {'camera': 2, 'alpr': 1})
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from camatlas.freshness import AGE_CLASSES
from camatlas.lazy import pd
from camatlas.vendors import Registry

__all__ = ["BREAKDOWNS", "UNKNOWN", "AtlasStats", "camera_stats", "value_counts"]

BREAKDOWNS = {
    "by_kind": "kind",
    "by_camera_type": "camera_type",
    "by_surveillance": "surveillance",
    "by_zone": "zone",
    "by_mount": "mount",
    "by_operator": "operator",
    "by_source": "source",
}
"""Breakdowns reported by :func:`camera_stats`: name -> camera column."""

UNKNOWN = "(unknown)"
"""Label of cameras whose value is missing or could not be interpreted."""

COLUMNS = ("physical_id", "direction_known", *BREAKDOWNS.values())
"""The camera columns :func:`camera_stats` reads."""


def value_counts(series: pd.Series, top: int | None = None) -> dict[str, int]:
    """Counts of each value, largest first (ties by value); missing values as ``(unknown)``."""
    counts = series.fillna(UNKNOWN).astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    if top is not None and len(ordered) > top:
        rest = sum(int(n) for _, n in ordered[top:])
        ordered = [*ordered[:top], (f"({len(ordered) - top} others)", rest)]
    return {str(k): int(v) for k, v in ordered}


@dataclass(frozen=True)
class AtlasStats:
    """Totals and breakdowns of an atlas.

    Attributes
    ----------
    atlas
        Where the atlas is (a path, or a URL without its password).
    cameras
        Camera records, every source.
    physical_cameras
        Cameras once records of different sources linked as one count once.
    linked_pairs
        Pairs of records linked across sources.
    streets, buildings, areas, sources
        Rows of those layers, and imports.
    breakdowns
        Name (``by_kind``, ``by_camera_type``, ... see :data:`BREAKDOWNS`) -> value ->
        camera records, largest first; missing values count as ``(unknown)``.
    direction
        Records with a ``known`` and an ``unknown`` direction.
    tag_problems
        Tag values not interpreted, or defaults assumed (normalization report).
    as_of
        The day the risk lists were asked as of (``YYYY-MM-DD``).
    lists
        The risk lists of ``by_flag``: each one's id, name, document and date.
    """

    atlas: str
    cameras: int
    physical_cameras: int
    linked_pairs: int
    streets: int
    buildings: int
    areas: int
    sources: int
    breakdowns: dict[str, dict[str, int]]
    direction: dict[str, int]
    tag_problems: int
    as_of: str = ""
    lists: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with each breakdown as a key of its own (``by_kind``, ...)."""
        return {
            "atlas": self.atlas,
            "cameras": self.cameras,
            "physical_cameras": self.physical_cameras,
            "linked_pairs": self.linked_pairs,
            "streets": self.streets,
            "buildings": self.buildings,
            "areas": self.areas,
            "sources": self.sources,
            **self.breakdowns,
            "direction": dict(self.direction),
            "tag_problems": self.tag_problems,
            "as_of": self.as_of,
            "lists": self.lists,
        }


def camera_stats(
    cameras: pd.DataFrame,
    *,
    atlas: str,
    counts: dict[str, int],
    linked_pairs: int,
    tag_problems: int,
    top: int = 20,
    registry: Registry | None = None,
    as_of: dt.date | None = None,
) -> AtlasStats:
    """Totals and breakdowns from the cameras' :data:`COLUMNS`.

    ``counts`` holds the rows of ``streets``, ``buildings``, ``areas`` and ``sources``
    (missing ones count 0); operators and vendors are limited to the ``top`` largest,
    the others summed in one line. With the vendor columns of
    :func:`camatlas.vendors.vendor_frame` (and the ``registry`` they came from, asked
    ``as_of`` a day), the breakdowns include ``by_vendor`` (canonical names; not matched
    as ``(unknown)``), ``by_vendor_status`` and ``by_flag``: per risk list, the cameras
    of vendors it names, then those on no list (a camera on two lists counts in both).
    With the columns of :func:`camatlas.freshness.freshness_frame`, ``by_check_age``
    counts the cameras by how long ago they were last checked (:data:`AGE_CLASSES`).
    """
    breakdowns = {
        name: value_counts(
            cameras[column] if column in cameras else pd.Series([None] * len(cameras)),
            top if column == "operator" else None,
        )
        for name, column in BREAKDOWNS.items()
    }
    lists: list[dict[str, str]] = []
    if "vendor_status" in cameras:
        breakdowns["by_vendor"] = value_counts(cameras["vendor_name"], top)
        breakdowns["by_vendor_status"] = value_counts(cameras["vendor_status"])
        flags = cameras["flags"].tolist()
        by_flag = {}
        for risk in registry.lists.values() if registry is not None else ():
            by_flag[risk.id] = sum(1 for f in flags if risk.id in f)
            lists.append({"id": risk.id, "name": risk.name, "document": risk.document,
                          "date": risk.date.text})  # fmt: skip
        by_flag["(on no list)"] = sum(1 for f in flags if not f)
        breakdowns["by_flag"] = by_flag
    if "age_class" in cameras:
        ages = cameras["age_class"].value_counts()
        breakdowns["by_check_age"] = {name: int(ages.get(name, 0)) for name in AGE_CLASSES}
    known = int(cameras["direction_known"].astype(bool).sum()) if len(cameras) else 0
    return AtlasStats(
        atlas=atlas,
        cameras=len(cameras),
        physical_cameras=int(cameras["physical_id"].nunique()) if len(cameras) else 0,
        linked_pairs=linked_pairs,
        streets=counts.get("streets", 0),
        buildings=counts.get("buildings", 0),
        areas=counts.get("areas", 0),
        sources=counts.get("sources", 0),
        breakdowns=breakdowns,
        direction={"known": known, "unknown": len(cameras) - known},
        tag_problems=tag_problems,
        as_of=as_of.isoformat() if as_of is not None else "",
        lists=lists,
    )
