"""Tasks for mappers: OSM cameras not checked for a long time, or missing what analyses need.

:func:`todo` picks the atlas's OpenStreetMap cameras whose last check
(:mod:`camatlas.freshness`) is older than a span, and those missing a field
(:data:`MISSING_FIELDS`), and :func:`write_tasks` writes them as a GeoJSON
FeatureCollection that MapRoulette reads as a challenge: one task per camera, with its OSM
link and what to check in words. A camera with no check date counts as old when the OSM
element itself was last edited longer ago than the span (the edit is no check, and the task
says so). Cameras of other sources are not OSM's to edit and are left out (and counted).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from camatlas.atlas import Atlas
from camatlas.dates import as_of_day, parse_duration_days
from camatlas.errors import InputError
from camatlas.lazy import pd
from camatlas.paths import check_output

__all__ = ["MISSING_FIELDS", "TodoResult", "todo", "write_tasks"]

MISSING_FIELDS = {
    "direction": ("the direction it looks (camera:direction)", "direction_known"),
    "type": ("its type: fixed, dome or panning (camera:type)", "camera_type"),
    "height": ("its height above the ground (height)", "height_m"),
    "mount": ("what it is mounted on (camera:mount)", "mount"),
    "surveillance": ("what it watches: public, outdoor or indoor (surveillance)", "surveillance"),
    "zone": ("the zone it watches (surveillance:zone)", "zone"),
    "operator": ("who runs it (operator)", "operator"),
    "manufacturer": ("who made it (manufacturer)", "manufacturer"),
}
"""``--missing`` names: what the task asks for, and the camera column that lacks it."""

OSM_URL = "https://www.openstreetmap.org/{}"


@dataclass(frozen=True)
class TodoResult:
    """The tasks (one row per camera: ``id``, ``osm``, ``url``, ``task``, ``reasons``,
    ``last_check``, ``missing``, geometry) and what was looked at."""

    tasks: Any  # GeoDataFrame
    as_of: str
    older_than: str | None
    missing: tuple[str, ...]
    cameras_checked: int
    left_out_not_osm: int


def _check_missing(missing: Sequence[str]) -> tuple[str, ...]:
    out = []
    for name in missing:
        key = name.strip().lower()
        if key not in MISSING_FIELDS:
            raise InputError(
                f"not a field tasks can ask for; use {', '.join(MISSING_FIELDS)}",
                element="--missing",
                value=name,
            )
        out.append(key)
    return tuple(out)


def _lacks(cameras: pd.DataFrame, field: str) -> np.ndarray:
    column = MISSING_FIELDS[field][1]
    values = cameras[column]
    if column == "direction_known":
        return ~values.fillna(False).astype(bool).to_numpy()
    if column == "camera_type":
        return (values.fillna("unknown").astype(str) == "unknown").to_numpy()
    return values.isna().to_numpy() | (values.astype(str).str.strip() == "").to_numpy()


def todo(
    atlas: Atlas,
    *,
    older_than: str | None = None,
    missing: Sequence[str] = (),
    as_of: str | None = None,
) -> TodoResult:
    """The mapping tasks of an atlas (see the module).

    Parameters
    ----------
    older_than
        A span (``5y``, ``18m``, ``90d``): cameras last checked longer ago than this.
    missing
        :data:`MISSING_FIELDS` names: cameras lacking any of them.
    as_of
        The day ages are counted to (``YYYY-MM-DD``; default today).

    Raises
    ------
    InputError
        When neither ``older_than`` nor ``missing`` is given, or one is not understood.
    """
    fields = _check_missing(missing)
    if older_than is None and not fields:
        raise InputError("say what to check: --older-than SPAN, --missing FIELDS, or both")
    days = None
    if older_than is not None:
        try:
            days = parse_duration_days(older_than)
        except ValueError as exc:
            raise InputError(str(exc), element="--older-than", value=older_than) from None
    on = as_of_day(as_of)
    cameras = atlas.cameras()
    osm = (cameras["source"] == "osm").to_numpy()
    fresh = atlas.freshness(on)
    fresh.index = cameras.index
    cameras, fresh = cameras[osm], fresh[osm]
    reasons: list[list[str]] = [[] for _ in range(len(cameras))]
    if days is not None:
        age = fresh["check_age_years"].to_numpy(dtype=float)
        edited = pd.to_datetime(cameras["source_timestamp"], errors="coerce", utc=True)
        edit_age = (pd.Timestamp(on.isoformat(), tz="UTC") - edited).dt.days.to_numpy(
            dtype=float
        ) / 365.25
        limit = days / 365.25
        for k in range(len(cameras)):
            if age[k] == age[k]:  # a readable check date
                if age[k] > limit:
                    reasons[k].append(
                        f"last checked {fresh['last_check'].iat[k]} "
                        f"({fresh['checked_by'].iat[k]}), over {older_than} ago"
                    )
            elif edit_age[k] == edit_age[k] and edit_age[k] > limit:
                stamp = str(cameras["source_timestamp"].iat[k])[:10]
                reasons[k].append(f"no check date, and not edited in OSM since {stamp}")
            note = fresh["date_problem"].iat[k]
            if note:
                reasons[k].append(f"a date to correct: {note}")
    lacking: list[list[str]] = [[] for _ in range(len(cameras))]
    for field in fields:
        for k in np.flatnonzero(_lacks(cameras, field)).tolist():
            lacking[k].append(field)
    keep = [bool(r or m) for r, m in zip(reasons, lacking, strict=True)]
    rows = []
    for k in np.flatnonzero(keep).tolist():
        osm_id = str(cameras["source_id"].iat[k])
        asks = [MISSING_FIELDS[f][0] for f in lacking[k]]
        text = "Check this camera on the ground"
        if reasons[k]:
            text += ": " + "; ".join(reasons[k])
        if asks:
            text += ". Add " + ", ".join(asks)
        text += ". Then set check_date to the day you saw it."
        last = fresh["last_check"].iat[k]
        rows.append({
            "id": osm_id,
            "camera": str(cameras["id"].iat[k]),
            "url": OSM_URL.format(osm_id),
            "task": text,
            "reasons": "; ".join(reasons[k]),
            "missing": ",".join(lacking[k]),
            "last_check": None if last is None or last != last else str(last),
            "geometry": cameras.geometry.iat[k],
        })  # fmt: skip
    from camatlas.lazy import gpd

    tasks = gpd.GeoDataFrame(
        rows,
        columns=["id", "camera", "url", "task", "reasons", "missing", "last_check", "geometry"],
        geometry="geometry",
        crs="EPSG:4326",
    )
    return TodoResult(
        tasks=tasks,
        as_of=on.isoformat(),
        older_than=older_than,
        missing=fields,
        cameras_checked=len(cameras),
        left_out_not_osm=int((~osm).sum()),
    )


def write_tasks(
    result: TodoResult, path: str | Path, *, protected: Sequence[str | Path] = ()
) -> int:
    """Write the tasks as a GeoJSON FeatureCollection (MapRoulette's challenge format), all
    at once: a file is replaced only when the new one is whole; never one of ``protected``
    (the atlas). Returns the tasks written."""
    target = check_output(Path(path), protected, "--output")
    features = []
    for row in result.tasks.itertuples(index=False):
        features.append({
            "type": "Feature",
            "id": row.id,
            "geometry": {"type": "Point", "coordinates": [row.geometry.x, row.geometry.y]},
            "properties": {
                "id": row.id, "camera": row.camera, "url": row.url, "task": row.task,
                "reasons": row.reasons, "missing": row.missing, "last_check": row.last_check,
            },
        })  # fmt: skip
    data = {
        "type": "FeatureCollection",
        "features": features,
        "camatlas": {
            "as_of": result.as_of,
            "older_than": result.older_than,
            "missing": list(result.missing),
            "note": "Tasks for OpenStreetMap cameras of the atlas; cameras of other sources "
            "are left out.",
        },
    }
    folder = target.parent
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return len(features)
