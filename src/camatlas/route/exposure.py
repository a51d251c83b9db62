"""Exposure of a track: the cameras passed, and the metres and seconds in their view.

:func:`track_exposure` measures lines (a GPS track, a route) against camera views
in the same metric CRS with the functions of :mod:`camatlas.coverage`, so a
stretch's watched metres are counted as :func:`camatlas.measure` counts a street's.

This module is an engine: lines and views in, an :class:`ExposureResult` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping

from camatlas.coverage import Progress, Segments, candidate_pairs, line_coverage, stretches
from camatlas.errors import InputError
from camatlas.geo import WGS84, merge_intervals
from camatlas.lazy import gpd, pd, pyproj
from camatlas.vocab import DEFAULT_SPEED_KMH, DORI_LEVELS

__all__ = ["ExposureResult", "track_exposure"]


@dataclass(frozen=True)
class ExposureResult:
    """How watched a track is.

    Attributes
    ----------
    length_m
        Length of the track, metres.
    watched_m, watched_share
        Metres inside any known camera's view (counted once where views overlap), and
        their share of the length.
    speed_kmh, seconds, seconds_in_view
        The speed that turns metres into seconds, and the track's seconds in all and in view.
    camera_ids
        The distinct physical cameras passed.
    by_operator, by_surveillance
        Per operator / per ``public``, ``outdoor``, ...: ``cameras``, ``watched_m`` and
        ``seconds_in_view`` of that group's cameras (a stretch seen by two groups counts
        in both).
    by_level
        ``watched_m`` and ``seconds_in_view`` by the best DORI level there (sums to
        ``watched_m``).
    stretches
        The watched stretches (WGS 84) with ``part``, ``start_m``, ``end_m``,
        ``length_m``, ``seconds``, ``cameras`` and ``best_level``.
    views
        Where the views came from.
    """

    length_m: float
    watched_m: float
    watched_share: float
    speed_kmh: float
    seconds: float
    seconds_in_view: float
    camera_ids: list[str]
    by_operator: dict[str, dict[str, Any]]
    by_surveillance: dict[str, dict[str, Any]]
    by_level: dict[str, dict[str, float]]
    stretches: gpd.GeoDataFrame
    views: str = "given views"

    @property
    def cameras(self) -> int:
        """How many distinct cameras the track passes."""
        return len(self.camera_ids)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the stretches as a GeoJSON FeatureCollection in lon/lat."""
        return {
            "length_m": round(self.length_m, 2),
            "watched_m": round(self.watched_m, 2),
            "watched_share": round(self.watched_share, 4),
            "speed_kmh": self.speed_kmh,
            "seconds": round(self.seconds, 1),
            "seconds_in_view": round(self.seconds_in_view, 1),
            "cameras": self.cameras,
            "camera_ids": list(self.camera_ids),
            "by_operator": self.by_operator,
            "by_surveillance": self.by_surveillance,
            "by_level": self.by_level,
            "stretches": {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "geometry": mapping(geometry), "properties": properties}
                    for geometry, properties in zip(
                        self.stretches.geometry,
                        self.stretches.drop(columns="geometry").to_dict("records"),
                        strict=True,
                    )
                ],
            },
            "views": self.views,
        }


def track_exposure(
    lines: gpd.GeoSeries,
    views: gpd.GeoDataFrame,
    *,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    views_source: str = "given views",
    max_pairs: int | None = None,
    progress: Progress | None = None,
) -> ExposureResult:
    """How watched lines are, measured against views in their metric CRS.

    ``lines`` are the parts of one track (metres, in the CRS of ``views``);
    ``views_source`` says where the views came from. ``max_pairs`` bounds the
    work: a track whose segments meet more views than that
    (:func:`camatlas.coverage.candidate_pairs`) is refused before any is clipped.
    ``progress`` is called with (stage, done, total) between the steps.
    """
    lines = lines.reset_index(drop=True)
    per_second = speed_kmh / 3.6
    segments = Segments(lines)
    if max_pairs is not None:
        pairs = candidate_pairs(segments, views)
        if pairs > max_pairs:
            raise InputError(
                f"the track passes near camera views {pairs:,} times (segment by segment), "
                f"more than the {max_pairs:,} one request may measure; split it into parts",
                value=pairs,
            )
    measured = line_coverage(segments, views, progress)
    coverage = measured.frame(lines.index)
    pieces = measured.intervals(lines.index)
    if progress is not None:
        progress("stretches", 0, 1)
    info = _camera_info(views)
    length = float(coverage["length_m"].sum())
    watched = float(coverage["watched_m"].sum())
    cameras = sorted({c for cams in coverage["cameras"] for c in cams})
    in_view = pieces[pieces["level"] == "view"]

    def grouped(column: str) -> dict[str, dict[str, Any]]:
        labels = in_view["camera"].map(info[column]).fillna("unknown").astype(str)
        out: dict[str, dict[str, Any]] = {}
        for label in sorted(set(labels)):
            mask = (labels == label).to_numpy()
            chunk = in_view[mask]
            _, s, e = merge_intervals(
                chunk["line"].to_numpy(dtype=np.int64),
                chunk["start_m"].to_numpy(dtype=float),
                chunk["end_m"].to_numpy(dtype=float),
            )
            metres = float((e - s).sum())
            out[label] = {
                "cameras": int(chunk["camera"].nunique()),
                "watched_m": round(metres, 2),
                "seconds_in_view": round(metres / per_second, 1),
            }
        return dict(sorted(out.items(), key=lambda kv: -kv[1]["watched_m"]))

    by_level = {}
    for level in DORI_LEVELS:
        metres = float(coverage[f"watched_m_{level}"].sum())
        by_level[level] = {
            "watched_m": round(metres, 2),
            "seconds_in_view": round(metres / per_second, 1),
        }
    return ExposureResult(
        length_m=length,
        watched_m=watched,
        watched_share=watched / length if length > 0 else 0.0,
        speed_kmh=speed_kmh,
        seconds=length / per_second,
        seconds_in_view=watched / per_second,
        camera_ids=cameras,
        by_operator=grouped("operator"),
        by_surveillance=grouped("surveillance"),
        by_level=by_level,
        stretches=_stretches(segments, pieces, per_second, views.crs),
        views=views_source,
    )


def _camera_info(views: gpd.GeoDataFrame) -> pd.DataFrame:
    """Operator and surveillance of each physical camera of ``views``."""
    frame = pd.DataFrame(
        {
            "physical_id": (
                views["physical_id"]
                if "physical_id" in views
                else pd.Series(np.arange(len(views)).astype(str))
            ).astype(str),
            "operator": views.get("operator"),
            "surveillance": views.get("surveillance"),
        }
    )
    return frame.groupby("physical_id").first()


def _stretches(
    segments: Segments, pieces: pd.DataFrame, per_second: float, crs: pyproj.CRS
) -> gpd.GeoDataFrame:
    """The watched stretches in lon/lat, with what watches them."""
    in_view = pieces[pieces["level"] == "view"]
    group, starts, ends = merge_intervals(
        in_view["line"].to_numpy(dtype=np.int64),
        in_view["start_m"].to_numpy(dtype=float),
        in_view["end_m"].to_numpy(dtype=float),
    )
    bands = pieces[pieces["level"].isin(DORI_LEVELS)]
    # Every piece in view lies in one merged stretch, and so does every DORI band (a
    # band is part of its view): each is found by a search on (line, start), not by
    # filtering all pieces for each stretch (which made long tracks quadratic).
    camera_of = _by_stretch(group, starts, in_view, in_view["camera"].astype(str).to_numpy())
    rank = {level: k for k, level in enumerate(DORI_LEVELS)}
    level_codes = bands["level"].map(rank).to_numpy(dtype=np.int64)
    best_of = _by_stretch(group, starts, bands, level_codes)
    to_wgs84 = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
    # All stretches at once from the lines' segments (a long track has thousands).
    metric = stretches(segments, group, starts, ends)
    coords, which = shapely.get_coordinates(metric, return_index=True)
    lon, lat = to_wgs84.transform(coords[:, 0], coords[:, 1])
    geometries = np.asarray(
        shapely.linestrings(np.round(np.column_stack([lon, lat]), 7), indices=which),
        dtype=object,
    )
    rows = []
    for k, (line, start, end) in enumerate(
        zip(group.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ):
        levels = best_of.get(k)
        rows.append(
            {
                "part": line,
                "start_m": round(start, 2),
                "end_m": round(end, 2),
                "length_m": round(end - start, 2),
                "seconds": round((end - start) / per_second, 1),
                "cameras": sorted(set(camera_of.get(k, ()))),
                "best_level": DORI_LEVELS[min(levels)] if levels else "detection",
            }
        )
    columns = ["part", "start_m", "end_m", "length_m", "seconds", "cameras", "best_level"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry=geometries, crs=WGS84)


def _by_stretch(
    group: npt.NDArray[np.int64],
    starts: npt.NDArray[np.float64],
    pieces: pd.DataFrame,
    values: npt.NDArray[Any],
) -> dict[int, list[Any]]:
    """``values`` of ``pieces`` (``line, start_m, end_m``) gathered by the merged stretch
    (``group``, ``starts``: sorted by line, then start) each piece lies in."""
    if len(pieces) == 0 or len(group) == 0:
        return {}
    line = pieces["line"].to_numpy(dtype=np.int64)
    middle = (pieces["start_m"].to_numpy(dtype=float) + pieces["end_m"].to_numpy(dtype=float)) / 2
    # The last stretch of the piece's line starting at or before its middle.
    at = np.searchsorted(group, line, side="right") - 1
    first = np.searchsorted(group, line, side="left")
    out: dict[int, list[Any]] = {}
    for piece, (lo, hi, mid) in enumerate(zip(first.tolist(), at.tolist(), middle.tolist(),
                                              strict=True)):  # fmt: skip
        if hi < lo:
            continue
        k = lo + int(np.searchsorted(starts[lo : hi + 1], mid, side="right")) - 1
        if k >= lo:
            out.setdefault(k, []).append(values[piece])
    return out
