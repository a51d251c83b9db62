"""Totals and breakdowns of an atlas, as printed by ``camatlas stats``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from camatlas.atlas import Atlas

BREAKDOWNS = {
    "by_kind": "kind",
    "by_camera_type": "camera_type",
    "by_surveillance": "surveillance",
    "by_zone": "zone",
    "by_mount": "mount",
    "by_operator": "operator",
    "by_source": "source",
}
"""Breakdowns reported by :func:`atlas_stats`: name -> camera column."""

UNKNOWN = "(unknown)"
"""Label of cameras whose value is missing or could not be interpreted."""


def value_counts(series: pd.Series, top: int | None = None) -> dict[str, int]:
    """Counts of each value, largest first (ties by value); missing values as ``(unknown)``."""
    counts = series.fillna(UNKNOWN).astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    if top is not None and len(ordered) > top:
        rest = sum(int(n) for _, n in ordered[top:])
        ordered = [*ordered[:top], (f"({len(ordered) - top} others)", rest)]
    return {str(k): int(v) for k, v in ordered}


def atlas_stats(atlas: Atlas, top: int = 20) -> dict[str, Any]:
    """Totals and breakdowns of the atlas's cameras.

    Returns a JSON-ready dict: ``cameras`` (records, all sources),
    ``physical_cameras`` (after linking records of different sources),
    ``linked_pairs``, ``streets``, ``buildings``, ``areas``, ``sources``, the breakdowns
    named in :data:`BREAKDOWNS` (operators limited to the ``top`` largest),
    ``direction`` (known/unknown) and ``tag_problems`` (values reported in the
    normalization report).
    """
    columns = ["physical_id", "direction_known", *BREAKDOWNS.values()]
    cams = atlas.store.layer_columns("cameras", columns)
    report = atlas.normalization_report()
    out: dict[str, Any] = {
        "atlas": atlas.url,
        "cameras": len(cams),
        "physical_cameras": int(cams["physical_id"].nunique()) if len(cams) else 0,
        "linked_pairs": len(atlas.links()),
        "streets": atlas.store.count("streets"),
        "buildings": atlas.store.count("buildings"),
        "areas": atlas.store.count("areas"),
        "sources": atlas.store.count("sources"),
    }
    for name, column in BREAKDOWNS.items():
        out[name] = value_counts(cams[column], top if column == "operator" else None)
    known = int(cams["direction_known"].sum()) if len(cams) else 0
    out["direction"] = {"known": known, "unknown": len(cams) - known}
    out["tag_problems"] = int(report["count"].sum()) if len(report) else 0
    return out
