"""The atlas: one facade over a store, opened by path or URL.

>>> import camatlas
>>> atlas = camatlas.open_atlas("city.gpkg")          # doctest: +SKIP
>>> atlas.import_file("city.osm.pbf")                  # doctest: +SKIP
>>> atlas.cameras(bbox=(-9.0, 38.7, -8.9, 38.8))       # doctest: +SKIP

Every import is one transaction: it lands whole or not at all. Importing an
input whose SHA-256 the atlas has already seen changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import geopandas as gpd
import pandas as pd

from camatlas.camera import TagProblem
from camatlas.errors import CamatlasError, FormatError, InputError
from camatlas.merge import DEFAULT_LINK_DISTANCE_M, find_links, physical_ids
from camatlas.sources import FORMATS, Rejected, SourceData, detect_format
from camatlas.sources import Progress as ProgressCallback
from camatlas.sources.table import TableOptions
from camatlas.store import LAYERS, BBox, ReportRow, SourceRecord, Store, open_store

OSM_ATTRIBUTION = "(c) OpenStreetMap contributors, ODbL 1.0"
"""Attribution that every map, report or export of OSM-derived data carries."""

EXPORT_FORMATS = {"geojson": "GeoJSON", "gpkg": "GPKG", "fgb": "FlatGeobuf", "csv": "CSV"}
"""Export formats and the GDAL drivers that write them."""


def read_file(
    path: str | Path,
    *,
    format: str | None = None,
    layers: Collection[str] = LAYERS,
    table_options: TableOptions | None = None,
    progress: ProgressCallback | None = None,
) -> SourceData:
    """Read one input file into records without touching any atlas.

    Parameters
    ----------
    path
        An OSM PBF or XML file, an Overpass JSON response, a CSV, GeoJSON or
        JSON list of camera records.
    format
        One of :data:`camatlas.sources.FORMATS`; detected from the content
        when omitted. A file whose content contradicts ``format`` is refused.
    layers
        Which of ``cameras``, ``streets``, ``buildings`` to read (OSM inputs).
    table_options
        Column choices for registries (CSV, GeoJSON, JSON records).
    """
    detected = detect_format(path)
    if format is not None:
        if format not in FORMATS:
            raise FormatError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
        if format != detected:
            raise FormatError(
                f"given as {format}, but the content looks like {detected}", path=path
            )
    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise InputError(f"unknown layer(s) {', '.join(sorted(unknown))}; use {', '.join(LAYERS)}")
    if detected in ("osm-pbf", "osm-xml"):
        from camatlas.sources.osm import read_osm

        return read_osm(path, layers=layers, progress=progress)
    if detected == "overpass-json":
        from camatlas.sources.overpass import read_overpass

        data = read_overpass(path)
        if "streets" not in layers:
            data.streets = []
        if "buildings" not in layers:
            data.buildings = []
        if "areas" not in layers:
            data.areas = []
        if "cameras" not in layers:
            data.cameras, data.problems = [], []
        return data
    from camatlas.sources.table import read_table

    return read_table(path, table_options)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def report_rows(problems: Sequence[TagProblem], examples: int = 5) -> list[ReportRow]:
    """Aggregate tag problems by (key, value, reason), with up to ``examples`` element ids."""
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for p in problems:
        groups[(p.key, p.value, p.reason)].append(p.element)
    return [
        ReportRow(key, value, reason, len(ids), json.dumps(ids[:examples]))
        for (key, value, reason), ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


@dataclass(slots=True)
class ImportSummary:
    """What one import did."""

    path: str
    format: str
    source: str
    status: str  # "imported", or "unchanged" when the same file was imported before
    cameras: int = 0
    streets: int = 0
    buildings: int = 0
    areas: int = 0
    problems: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    links: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["rejected"] = len(self.rejected)
        return out


class Atlas:
    """An atlas of cameras, streets and buildings kept in a :class:`~camatlas.store.Store`.

    Open one with :func:`open_atlas`. Layers come back as GeoDataFrames in
    WGS 84 (EPSG:4326); ``tags`` columns hold the source's tags as JSON text.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def url(self) -> str:
        return self.store.url

    def __enter__(self) -> Atlas:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    # -- import ------------------------------------------------------------------

    def import_file(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        layers: Collection[str] = LAYERS,
        table_options: TableOptions | None = None,
        link_distance_m: float = DEFAULT_LINK_DISTANCE_M,
        progress: ProgressCallback | None = None,
    ) -> ImportSummary:
        """Read ``path`` and write what it holds into the atlas in one transaction.

        Returns an :class:`ImportSummary`; raises :class:`~camatlas.errors.InputError`
        (and writes nothing) when the file cannot be read.
        """
        started = time.perf_counter()
        sha = file_sha256(path)
        if self.store.has_source(sha):
            fmt = detect_format(path)
            return ImportSummary(str(path), fmt, "", "unchanged")
        data = read_file(
            path, format=format, layers=layers, table_options=table_options, progress=progress
        )
        options = {"layers": sorted(layers), "link_distance_m": link_distance_m}
        if table_options is not None:
            options["table"] = asdict(table_options)
        summary = self.import_data(
            data, sha256=sha, options=options, link_distance_m=link_distance_m
        )
        summary.seconds = time.perf_counter() - started
        return summary

    def import_data(
        self,
        data: SourceData,
        *,
        sha256: str,
        options: dict[str, Any] | None = None,
        link_distance_m: float = DEFAULT_LINK_DISTANCE_M,
    ) -> ImportSummary:
        """Write records already read (e.g. from an Overpass response) in one transaction."""
        if self.store.has_source(sha256):
            return ImportSummary(data.path, data.format, data.source, "unchanged")
        counts = data.counts()
        record = SourceRecord(
            path=data.path,
            format=data.format,
            source=data.source,
            sha256=sha256,
            imported_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            cameras=counts["cameras"],
            streets=counts["streets"],
            buildings=counts["buildings"],
            areas=counts["areas"],
            problems=counts["problems"],
            rejected=counts["rejected"],
            options=json.dumps(options or {}, sort_keys=True, default=str),
        )
        with self.store.transaction():
            # Writers of one atlas take turns (the transaction serializes them), so
            # another process may have imported the same input while this one waited.
            if self.store.has_source(sha256):
                return ImportSummary(data.path, data.format, data.source, "unchanged")
            self.store.upsert_cameras(data.cameras)
            self.store.upsert_streets(data.streets)
            self.store.upsert_buildings(data.buildings)
            self.store.upsert_areas(data.areas)
            links = self._link(data, link_distance_m)
            self.store.add_source(record, report_rows(data.problems))
        return ImportSummary(
            data.path,
            data.format,
            data.source,
            "imported",
            cameras=counts["cameras"],
            streets=counts["streets"],
            buildings=counts["buildings"],
            areas=counts["areas"],
            problems=counts["problems"],
            rejected=list(data.rejected),
            links=links,
        )

    def _link(self, data: SourceData, distance_m: float) -> int:
        """Link the new cameras to cameras of other sources; return the number of links."""
        if not data.cameras:
            return 0
        new = pd.DataFrame(
            {
                "id": [c.id for c in data.cameras],
                "lon": [c.lon for c in data.cameras],
                "lat": [c.lat for c in data.cameras],
                "kind": [c.kind for c in data.cameras],
                "source": [c.source for c in data.cameras],
            }
        )
        margin = distance_m / 80_000.0  # degrees; generous up to about 70 degrees latitude
        bbox = (
            new["lon"].min() - margin,
            new["lat"].min() - margin,
            new["lon"].max() + margin,
            new["lat"].max() + margin,
        )
        candidates = self.store.camera_points(bbox)
        links = find_links(new, candidates, distance_m)
        ids = set(new["id"])
        before = self.store.links()
        touched = set(before["camera_a"]) | set(before["camera_b"])
        self.store.replace_links(sorted(ids), links)
        after = self.store.links()
        mapping = physical_ids(zip(after["camera_a"], after["camera_b"], strict=True))
        # Cameras that lost their last link point at themselves again.
        for cam in (ids | touched) - set(mapping):
            mapping[cam] = cam
        self.store.set_physical_ids(mapping)
        return len(links)

    # -- reads -------------------------------------------------------------------

    def cameras(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Cameras as a GeoDataFrame; ``bbox`` is (west, south, east, north) in degrees."""
        return self.store.read_layer("cameras", bbox)

    def streets(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Streets (OSM highway ways) as a GeoDataFrame of LineStrings."""
        return self.store.read_layer("streets", bbox)

    def buildings(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Building footprints as a GeoDataFrame of MultiPolygons."""
        return self.store.read_layer("buildings", bbox)

    def areas(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Administrative areas (name, admin_level, population) as MultiPolygons."""
        return self.store.read_layer("areas", bbox)

    def sources(self) -> pd.DataFrame:
        """Every import: path, format, source, sha256, imported_at and counts."""
        return self.store.read_table("sources")

    def normalization_report(self) -> pd.DataFrame:
        """Tag values that could not be interpreted (or defaults assumed), with counts."""
        return self.store.read_table("normalization_report")

    def links(self) -> pd.DataFrame:
        """Pairs of cameras from different sources linked as one physical camera."""
        return self.store.links()

    def stats(self) -> dict[str, Any]:
        """Totals and breakdowns of the atlas (see :func:`camatlas.stats.atlas_stats`)."""
        from camatlas.stats import atlas_stats

        return atlas_stats(self)

    # -- export ------------------------------------------------------------------

    def export(self, path: str | Path, format: str, *, layer: str = "cameras") -> list[str]:
        """Write the atlas to ``path`` as GeoJSON, CSV, FlatGeobuf (one layer) or GeoPackage.

        A GeoPackage export holds all three layers. Returns the layers written.
        """
        import pyogrio

        if format not in EXPORT_FORMATS:
            raise CamatlasError(
                f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}"
            )
        if layer not in LAYERS:
            raise CamatlasError(f"unknown layer {layer!r}; use one of {', '.join(LAYERS)}")
        out = Path(path)
        if out.exists():
            out.unlink()
        layers = list(LAYERS) if format == "gpkg" else [layer]
        for name in layers:
            frame = self.store.read_layer(name)
            if format == "csv":
                table = pd.DataFrame(frame.drop(columns="geometry"))
                if name == "cameras":
                    table.insert(1, "lon", frame.geometry.x)
                    table.insert(2, "lat", frame.geometry.y)
                else:
                    table.insert(1, "wkt", frame.geometry.to_wkt())
                table.to_csv(out, index=False)
                continue
            options: dict[str, Any] = {}
            if format == "geojson":
                options["RFC7946"] = "YES"
            if format in ("geojson", "gpkg", "fgb"):
                options["DESCRIPTION"] = f"camatlas {name}; OpenStreetMap data {OSM_ATTRIBUTION}"
            pyogrio.write_dataframe(
                frame,
                out,
                layer=name,
                driver=EXPORT_FORMATS[format],
                append=format == "gpkg" and out.exists(),
                layer_options=options,
            )
        return layers


def open_atlas(url: str | Path, *, create: bool = True) -> Atlas:
    """Open the atlas at ``url``: a GeoPackage path (``city.gpkg``) or ``postgresql://`` URL.

    A missing GeoPackage is created when ``create`` is true.
    """
    return Atlas(open_store(url, create=create))
