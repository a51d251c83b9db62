"""The atlas: the one facade over a store, opened by path or URL.

Everything above this module (the analyses, the command line, the web app)
reads and writes an atlas through :class:`Atlas`: its layers, its imports, its
result layers and its exports. The store below it (:mod:`camatlas.store`) only
keeps rows.

>>> import camatlas
>>> atlas = camatlas.open_atlas(city_path)                 # city_path: a small demo atlas
>>> len(atlas.cameras()), atlas.layer("streets").crs.to_epsg()
(3, 4326)
>>> sorted(atlas.results()["name"])
[]

Every import is one transaction: it lands whole or not at all. Importing an
input whose SHA-256 the atlas has already seen changes nothing. Writing result
layers (:meth:`Atlas.write_results`) is one transaction too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np

from camatlas.dates import as_of_day
from camatlas.errors import AtlasError, CamatlasError, InputError, NotFoundError
from camatlas.freshness import freshness_frame
from camatlas.geo import ZONE_WIDTH_DEG, Zoning, expand_bbox
from camatlas.lazy import gpd, pd
from camatlas.merge import check_link_distance, find_links, physical_ids
from camatlas.paths import check_output
from camatlas.places import find_places, place_index
from camatlas.records import BBox, Rejected, SourceData, SourceRecord
from camatlas.sources import Progress, TableOptions, check_layers, file_format, read_file
from camatlas.stats import COLUMNS as STATS_COLUMNS
from camatlas.stats import AtlasStats, camera_stats
from camatlas.store import Store, open_store
from camatlas.store.copy import CopySummary
from camatlas.store.copy import copy_atlas as _copy_atlas
from camatlas.vendors import Registry, load_registry, vendor_frame
from camatlas.vocab import (
    DATA_ATTRIBUTION,
    DEFAULT_LINK_DISTANCE_M,
    EXPORT_FORMATS,
    LAYERS,
)

T = TypeVar("T")

__all__ = ["Atlas", "ImportSummary", "copy_atlas", "file_sha256", "import_files", "open_atlas"]


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(slots=True)
class ImportSummary:
    """What one import did.

    ``status`` is ``"imported"``, or ``"unchanged"`` when the same file (same SHA-256)
    was imported before; the counts are of the records written.
    """

    path: str
    format: str
    source: str
    status: str
    cameras: int = 0
    streets: int = 0
    buildings: int = 0
    areas: int = 0
    problems: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    links: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the number of rejected rows (not the rows)."""
        out = asdict(self)
        out["rejected"] = len(self.rejected)
        return out


class Atlas:
    """An atlas of cameras, streets, buildings and areas, with the results computed from them.

    Open one with :func:`open_atlas`. Layers come back as GeoDataFrames in WGS 84
    (EPSG:4326); ``tags`` columns hold the source's tags as JSON text.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._cache: dict[str, tuple[tuple[Any, ...], Any]] = {}

    @property
    def url(self) -> str:
        """Where the atlas is: a file path, or a URL without its password."""
        return self._store.url

    @property
    def read_only(self) -> bool:
        """Whether the atlas was opened read-only."""
        return self._store.read_only

    def __repr__(self) -> str:
        return f"Atlas({self.url!r}{', read_only=True' if self.read_only else ''})"

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
        self._store.close()

    @contextmanager
    def snapshot(self) -> Iterator[Atlas]:
        """Reads inside see one state of the atlas, whatever other writers commit meanwhile."""
        with self._store.snapshot():
            yield self

    # -- imports -------------------------------------------------------------------

    def import_file(
        self,
        path: str | Path,
        *,
        format: str | None = None,
        layers: Collection[str] = LAYERS,
        table_options: TableOptions | None = None,
        link_distance_m: float = DEFAULT_LINK_DISTANCE_M,
        progress: Progress | None = None,
    ) -> ImportSummary:
        """Read ``path`` and write what it holds into the atlas in one transaction.

        Returns an :class:`ImportSummary`; raises :class:`~camatlas.errors.InputError`
        (and writes nothing) when the file cannot be read.
        """
        (summary,) = self.import_files(
            [path],
            format=format,
            layers=layers,
            table_options=table_options,
            link_distance_m=link_distance_m,
            progress=progress,
        )
        return summary

    def import_files(
        self,
        paths: Sequence[str | Path],
        *,
        format: str | None = None,
        layers: Collection[str] = LAYERS,
        table_options: TableOptions | None = None,
        link_distance_m: float = DEFAULT_LINK_DISTANCE_M,
        progress: Progress | None = None,
    ) -> list[ImportSummary]:
        """Import several files: every file is read and checked before any is written.

        A file the atlas has seen (same SHA-256) is not read again. Each file is then
        written in a transaction of its own, with the options that read it recorded in
        the ``sources`` table. ``progress`` is told ``("FILE: stage", done, total)``.

        Raises
        ------
        InputError
            If any file cannot be read: nothing is written.
        """
        reading = _ReadFiles(paths, format, layers, table_options, link_distance_m, progress)
        return self._write_files(reading.read(self._store.has_source), reading)

    def _write_files(self, todo: list[_ReadFile], reading: _ReadFiles) -> list[ImportSummary]:
        """Write files read by :class:`_ReadFiles`, each in a transaction of its own."""
        format, options, link_distance_m = reading.format, reading.options, reading.link_distance_m
        summaries: list[ImportSummary] = []
        for path, sha, data, seconds in todo:
            if data is None:
                kind = file_format(path, format)
                summaries.append(ImportSummary(str(path), kind, "", "unchanged"))
                continue
            started = time.perf_counter()
            try:
                summary = self.import_data(
                    data, sha256=sha, options=options, link_distance_m=link_distance_m
                )
            except (CamatlasError, OSError) as exc:
                landed = [s.path for s in summaries if s.status != "unchanged"]
                if not landed:
                    raise
                raise AtlasError(
                    f"{exc}; imported before the error: {', '.join(landed)}; not imported: "
                    f"{', '.join(str(p) for p, *_ in todo[len(summaries) :])} (run the command "
                    "again: files already imported are skipped)"
                ) from exc
            summary.seconds = seconds + time.perf_counter() - started
            summaries.append(summary)
        return summaries

    def fetch(
        self,
        save: str | Path,
        *,
        bbox: BBox | None = None,
        area: str | None = None,
        layers: Collection[str] = LAYERS,
        endpoint: str | None = None,
        timeout_s: int = 180,
    ) -> ImportSummary:
        """Query the Overpass API for a box or a named area and import the answer.

        The raw answer is written to ``save`` first, so that the import can be repeated
        from it (:func:`camatlas.sources.overpass.build_query` and
        :func:`~camatlas.sources.overpass.fetch` say what is asked and how).

        Raises
        ------
        InputError
            For a bad box, area name or layer.
        FetchError
            When the server cannot be reached, refuses the query or stops it.
        """
        chosen = fetch_overpass(
            save, bbox=bbox, area=area, layers=layers, endpoint=endpoint, timeout_s=timeout_s
        )
        return self.import_file(save, layers=chosen)

    def import_data(
        self,
        data: SourceData,
        *,
        sha256: str,
        options: dict[str, Any] | None = None,
        link_distance_m: float = DEFAULT_LINK_DISTANCE_M,
    ) -> ImportSummary:
        """Write records already read (e.g. from an Overpass response) in one transaction."""
        link_distance_m = check_link_distance(link_distance_m)
        if self._store.has_source(sha256):
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
        with self._store.transaction():
            # Writers of one atlas take turns (the transaction serializes them), so
            # another process may have imported the same input while this one waited.
            if self._store.has_source(sha256):
                return ImportSummary(data.path, data.format, data.source, "unchanged")
            self._store.upsert_records("cameras", data.cameras)
            self._store.upsert_records("streets", data.streets)
            self._store.upsert_records("buildings", data.buildings)
            self._store.upsert_records("areas", data.areas)
            links = self._link(data, link_distance_m)
            self._store.add_source(record, data.report())
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
        bbox = (new["lon"].min(), new["lat"].min(), new["lon"].max(), new["lat"].max())
        candidates = self._store.camera_points(expand_bbox(bbox, distance_m))
        links = find_links(new, candidates, distance_m)
        ids = set(new["id"])
        before = self._store.links()
        touched = set(before["camera_a"]) | set(before["camera_b"])
        self._store.replace_links(sorted(ids), links)
        after = self._store.links()
        mapping = physical_ids(zip(after["camera_a"], after["camera_b"], strict=True))
        # Cameras that lost their last link point at themselves again.
        for cam in (ids | touched) - set(mapping):
            mapping[cam] = cam
        self._store.set_physical_ids(mapping)
        return len(links)

    # -- layers --------------------------------------------------------------------

    def layer(self, name: str, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """A feature layer (one of :data:`camatlas.vocab.LAYERS`) as a GeoDataFrame.

        ``bbox`` (west, south, east, north, degrees) keeps the features whose bounding
        box meets it. Raises :class:`~camatlas.errors.NotFoundError` for another name.
        """
        return self._store.read_layer(name, bbox)

    def cameras(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Camera records as a GeoDataFrame of points; ``bbox`` is (west, south, east, north)."""
        return self._store.read_layer("cameras", bbox)

    def streets(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Streets (OSM highway ways) as LineStrings with ``highway``, ``name``, ``oneway``,
        ``nodes`` (OSM node ids, JSON) and ``tags``."""
        return self._store.read_layer("streets", bbox)

    def buildings(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Building footprints as MultiPolygons with ``height_m`` and ``levels``."""
        return self._store.read_layer("buildings", bbox)

    def areas(self, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        """Administrative areas (``name``, ``admin_level``, ``population``) as MultiPolygons."""
        return self._store.read_layer("areas", bbox)

    def camera(self, camera_id: str, near: tuple[float, float] | None = None) -> dict[str, Any]:
        """One camera record: every column, its ``tags`` as a dict, ``lon`` and ``lat``.

        ``near`` (lon, lat), when known, lets the lookup read one point instead of the layer.
        Raises :class:`~camatlas.errors.NotFoundError` when the atlas has no such camera.
        """
        bbox = None
        if near is not None:
            lon, lat = near
            bbox = (lon - 1e-6, lat - 1e-6, lon + 1e-6, lat + 1e-6)
        frame = self._store.read_layer("cameras", bbox)
        frame = frame[frame["id"] == camera_id]
        if frame.empty:
            raise NotFoundError(f"no camera {camera_id!r} in this atlas", value=camera_id)
        row = frame.iloc[0]
        record: dict[str, Any] = {
            str(k): (None if pd.isna(v) else v.item() if isinstance(v, np.generic) else v)
            for k, v in row.drop(labels=frame.geometry.name).items()
        }
        record["tags"] = json.loads(record["tags"]) if record.get("tags") else {}
        record["lon"], record["lat"] = float(row.geometry.x), float(row.geometry.y)
        return record

    def camera_columns(self, columns: Sequence[str]) -> pd.DataFrame:
        """Some attribute columns of every camera, without geometry (fast counts)."""
        return self._store.layer_columns("cameras", columns)

    def count(self, name: str) -> int:
        """Rows of a layer or of a table (``sources``, ``camera_links``, ``results``, ...)."""
        return self._store.count(name)

    def sources(self) -> pd.DataFrame:
        """Every import: path, format, source, sha256, imported_at, counts and options."""
        return self._store.read_table("sources")

    def normalization_report(self) -> pd.DataFrame:
        """Tag values that could not be interpreted (or defaults assumed), with counts."""
        return self._store.read_table("normalization_report")

    def links(self) -> pd.DataFrame:
        """Pairs of cameras from different sources linked as one physical camera."""
        return self._store.links()

    def vendors(
        self, registry: Registry | None = None, as_of: str | dt.date | None = None
    ) -> pd.DataFrame:
        """Each camera record's vendor, model and risk lists as its tags give them.

        Columns ``id``, ``physical_id``, ``kind``, ``operator`` and
        :data:`camatlas.vendors.VENDOR_COLUMNS`, in the atlas's order; ``registry``
        defaults to the shipped one (:func:`camatlas.vendors.load_registry`), ``as_of``
        (a day) to today: a list counts only from its date.
        """
        registry = registry if registry is not None else load_registry()
        cameras = self._store.layer_columns("cameras", ["id", "physical_id", "kind",
                                                        "operator", "tags"])  # fmt: skip
        found = vendor_frame(cameras["tags"], registry, as_of)
        found.index = cameras.index
        return pd.concat([cameras.drop(columns="tags"), found], axis=1)

    def freshness(self, as_of: str | dt.date | None = None) -> pd.DataFrame:
        """When each camera record was last checked, as its tags say: columns ``id``,
        ``source``, ``source_id``, ``source_timestamp`` and
        :data:`camatlas.freshness.FRESHNESS_COLUMNS`, as of a day (default today)."""
        cameras = self._store.layer_columns(
            "cameras", ["id", "source", "source_id", "source_timestamp", "tags"]
        )
        found = freshness_frame(cameras["tags"], as_of)
        found.index = cameras.index
        return pd.concat([cameras.drop(columns="tags"), found], axis=1)

    def stats(
        self,
        top: int = 20,
        *,
        registry: Registry | None = None,
        as_of: str | dt.date | None = None,
    ) -> AtlasStats:
        """Totals and breakdowns of the atlas's cameras (:func:`camatlas.stats.camera_stats`),
        vendors and risk lists among them (:meth:`vendors`)."""
        report = self.normalization_report()
        registry = registry if registry is not None else load_registry()
        cameras = self._store.layer_columns("cameras", [*STATS_COLUMNS, "tags"])
        found = vendor_frame(cameras["tags"], registry, as_of)
        fresh = freshness_frame(cameras["tags"], as_of)
        found.index = fresh.index = cameras.index
        return camera_stats(
            pd.concat([cameras.drop(columns="tags"), found, fresh], axis=1),
            atlas=self.url,
            registry=registry,
            as_of=as_of_day(as_of),
            counts={
                name: self._store.count(name)
                for name in ("streets", "buildings", "areas", "sources")
            },
            linked_pairs=self._store.count("camera_links"),
            tag_problems=int(report["count"].sum()) if len(report) else 0,
            top=top,
        )

    def version(self) -> tuple[Any, ...]:
        """What changes whenever the atlas is written (for caches of what is computed from
        it): its imports, each a file's SHA-256 (every write of records comes with one), and
        its result layers with their times. Two small tables: cheap on any atlas, with no
        count of a layer of millions of rows on every call."""
        return self._store.version()

    # -- stored data ---------------------------------------------------------------

    def write_blob(self, name: str, data: bytes, parameters: dict[str, Any]) -> None:
        """Store ``data`` derived from the atlas (a street graph) under ``name``, with the
        parameters that made it, in one transaction; it replaces what ``name`` held."""
        with self._store.transaction():
            self._store.write_blob(name, data, parameters)

    def write_blobs(self, blobs: Mapping[str, tuple[bytes, dict[str, Any]]]) -> None:
        """Store several ``name: (data, parameters)`` in one transaction (:meth:`write_blob`)."""
        with self._store.transaction():
            for name, (data, parameters) in blobs.items():
                self._store.write_blob(name, data, parameters)

    def blob(self, name: str) -> tuple[bytes, dict[str, Any], str] | None:
        """The data stored under ``name`` (:meth:`write_blob`): bytes, parameters and
        creation time; None when there is none."""
        return self._store.read_blob(name)

    def cached(self, key: str, make: Callable[[Atlas], T]) -> T:
        """``make(atlas)``, computed once and kept with this atlas object until the atlas
        changes (:meth:`version`): for what is costly to derive from it, such as a street
        graph. Nothing is written anywhere."""
        version = self.version()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == version:
                value: T = hit[1]
                return value
            made = make(self)
            self._cache[key] = (version, made)
            return made

    def places(self) -> pd.DataFrame:
        """The named places of the atlas (:func:`camatlas.places.place_index`): its areas,
        streets and cameras by name; kept until the atlas changes."""
        return self.cached(
            "places",
            lambda a: place_index(
                areas=a.areas(),
                streets=a.streets(),
                cameras=a.cameras(),
            ),
        )

    def find(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Places whose name matches ``query``, best first (:func:`camatlas.places.find_places`):
        areas, streets and cameras of this atlas, each with a point and a box (lon/lat)."""
        return find_places(self.places(), query, limit)

    def zoning(self, max_width_deg: float | None = ZONE_WIDTH_DEG) -> Zoning:
        """The UTM zone of each place of the atlas (:class:`camatlas.geo.Zoning`), from its
        cameras and streets; kept until the atlas changes.

        Places wider than ``max_width_deg`` degrees of longitude take the zone of each of
        their cells (sight and measure); ``None`` keeps every place in one zone (route).
        """
        return self.cached(f"zoning:{max_width_deg}", lambda atlas: _zoning(atlas, max_width_deg))

    # -- results -------------------------------------------------------------------

    def results(self) -> pd.DataFrame:
        """Every result layer: ``name``, ``geometry_type`` (``""`` for a table), ``rows``,
        ``parameters`` (a dict: what made it) and ``created_at`` (ISO 8601, UTC)."""
        frame = self._store.results().copy()
        frame["parameters"] = [json.loads(p) if p else {} for p in frame["parameters"]]
        return frame

    def has_result(self, name: str) -> bool:
        """Whether the atlas holds the result layer ``name``."""
        return bool((self._store.results()["name"] == name).any())

    def result(self, name: str, bbox: BBox | None = None) -> pd.DataFrame:
        """A result layer: a GeoDataFrame (WGS 84) when it has geometry, else a DataFrame.

        ``bbox`` keeps the features whose bounding box meets it. Raises
        :class:`~camatlas.errors.NotFoundError` when the atlas holds no such result.
        """
        return self._store.read_result(name, bbox)

    def result_parameters(self, name: str) -> dict[str, Any]:
        """The parameters a result layer was made with (NotFoundError when there is none)."""
        results = self.results()
        found = results[results["name"] == name]
        if found.empty:
            self._store.read_result(name)  # raises the store's NotFoundError with its hint
        parameters: dict[str, Any] = found["parameters"].iloc[0]
        return parameters

    def write_results(self, layers: Mapping[str, pd.DataFrame], parameters: dict[str, Any]) -> None:
        """Replace the result layers ``layers`` (name -> frame, WGS 84) in one transaction,
        each recorded with ``parameters``; all of them land, or none."""
        with self._store.transaction():
            for name, frame in layers.items():
                self._store.write_result(name, frame, parameters)

    # -- export --------------------------------------------------------------------

    def export(self, path: str | Path, format: str, *, layer: str = "cameras") -> list[str]:
        """Write a layer or result layer to ``path``: GeoJSON, CSV or FlatGeobuf (one layer),
        or GeoPackage (every layer and result layer).

        The file is replaced when present, and only once the export is complete. GeoJSON,
        GeoPackage and FlatGeobuf carry the OpenStreetMap attribution in their description.
        Returns the layers written.

        Raises
        ------
        InputError
            For an unknown format, a table without geometry asked for in a format that
            needs geometry, or a path that cannot be written (a missing folder, a folder,
            the atlas itself).
        NotFoundError
            For a layer the atlas does not hold (the message lists those it holds).
        """
        if format not in EXPORT_FORMATS:
            raise InputError(
                f"unknown export format {format!r}; use one of {', '.join(EXPORT_FORMATS)}"
            )
        out = Path(path)
        if not out.parent.is_dir():
            raise InputError("no such folder to export into", path=out.parent)
        check_output(out, [self.url], "the export")
        with self.snapshot():
            results = list(self._store.results()["name"])
            if format == "gpkg":
                names = [*LAYERS, *results]
            elif layer in LAYERS or layer in results:
                names = [layer]
            else:
                made = f"; result layers: {', '.join(results)}" if results else ""
                raise NotFoundError(
                    f"no layer {layer!r} in the atlas (layers: {', '.join(LAYERS)}{made})"
                )
            # GDAL loads here: reading an atlas never needs it.
            import pyogrio

            # Written to a file beside the target, which replaces it only when complete.
            partial = out.with_name(f".{out.name}.partial{out.suffix}")
            partial.unlink(missing_ok=True)
            try:
                for name in names:
                    self._export_one(name, self._frame(name), partial, format)
                os.replace(partial, out)
            except OSError as exc:
                raise InputError(
                    f"cannot write the export: {exc.strerror or exc}", path=out
                ) from exc
            except pyogrio.errors.DataSourceError as exc:
                raise InputError(f"cannot write the export: {exc}", path=out) from exc
            finally:
                partial.unlink(missing_ok=True)
        return names

    @staticmethod
    def _export_one(name: str, frame: pd.DataFrame, out: Path, format: str) -> None:
        spatial = isinstance(frame, gpd.GeoDataFrame)
        if format == "csv":
            table = pd.DataFrame(frame.drop(columns=frame.geometry.name) if spatial else frame)
            if spatial and name == "cameras":
                table.insert(1, "lon", frame.geometry.x)
                table.insert(2, "lat", frame.geometry.y)
            elif spatial:
                table.insert(1, "wkt", frame.geometry.to_wkt())
            table.to_csv(out, index=False)
            return
        if not spatial and format != "gpkg":
            raise InputError(
                f"{name!r} is a table without geometry: export it as csv or gpkg", value=format
            )
        options: dict[str, Any] = {"DESCRIPTION": f"camatlas {name}; {DATA_ATTRIBUTION}"}
        if format == "geojson":
            options["RFC7946"] = "YES"
        import pyogrio

        pyogrio.write_dataframe(
            frame,
            out,
            layer=name,
            driver=EXPORT_FORMATS[format],
            append=format == "gpkg" and out.exists(),
            layer_options=options,
        )

    def _frame(self, name: str) -> pd.DataFrame:
        frame: pd.DataFrame = (
            self._store.read_layer(name) if name in LAYERS else self._store.read_result(name)
        )
        return frame


_ReadFile = tuple[Path, str, SourceData | None, float]
"""A file read for import: path, SHA-256, its records (None: seen before), seconds."""


class _ReadFiles:
    """The reading half of an import of several files: every file read and checked."""

    def __init__(
        self,
        paths: Sequence[str | Path],
        format: str | None,
        layers: Collection[str],
        table_options: TableOptions | None,
        link_distance_m: float,
        progress: Progress | None,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        self.format = format
        self.layers = check_layers(layers)
        self.link_distance_m = check_link_distance(link_distance_m)
        self.options: dict[str, Any] = {
            "layers": sorted(self.layers),
            "link_distance_m": self.link_distance_m,
        }
        if table_options is not None:
            self.options["table"] = asdict(table_options)
        self.table_options = table_options
        self.progress = progress

    def read(self, seen: Callable[[str], bool]) -> list[_ReadFile]:
        """Read every file not ``seen`` (by SHA-256); raises on the first that cannot be read."""
        todo: list[_ReadFile] = []
        for path in self.paths:
            sha = file_sha256(path) if path.is_file() else ""
            if sha and seen(sha):
                todo.append((path, sha, None, 0.0))
                continue
            started = time.perf_counter()
            data = read_file(
                path,
                format=self.format,
                layers=self.layers,
                table_options=self.table_options,
                progress=_named(self.progress, path.name),
            )
            todo.append((path, sha, data, time.perf_counter() - started))
        return todo


def import_files(
    url: str | Path,
    paths: Sequence[str | Path],
    *,
    format: str | None = None,
    layers: Collection[str] = LAYERS,
    table_options: TableOptions | None = None,
    link_distance_m: float = DEFAULT_LINK_DISTANCE_M,
    progress: Progress | None = None,
) -> list[ImportSummary]:
    """Import files into the atlas at ``url`` (see :meth:`Atlas.import_files`), creating it
    when missing, but only once every file has been read: a file that cannot be read
    leaves no atlas behind, as it leaves an existing one unchanged.
    """
    reading = _ReadFiles(paths, format, layers, table_options, link_distance_m, progress)
    try:
        existing: Atlas | None = open_atlas(url, create=False)
    except AtlasError:  # missing (or unusable: opening it to write says why, below)
        existing = None
    if existing is not None:
        with existing:
            return existing._write_files(reading.read(existing._store.has_source), reading)
    todo = reading.read(lambda sha: False)
    with open_atlas(url) as atlas:
        # Another import may have created it meanwhile and landed some of these files.
        todo = [
            (item[0], item[1], None, 0.0) if item[1] and atlas._store.has_source(item[1]) else item
            for item in todo
        ]
        return atlas._write_files(todo, reading)


def fetch_overpass(
    save: str | Path,
    *,
    bbox: BBox | None = None,
    area: str | None = None,
    layers: Collection[str] = LAYERS,
    endpoint: str | None = None,
    timeout_s: int = 180,
) -> tuple[str, ...]:
    """Query the Overpass API for a box or a named area and write the raw answer to
    ``save``, ready for :meth:`Atlas.import_file`; returns the layers asked for.

    The first half of :meth:`Atlas.fetch`, for callers that open the atlas only once
    the answer is in hand. Raises as :meth:`Atlas.fetch` does, and
    :class:`~camatlas.errors.InputError` when ``save`` cannot be written.
    """
    chosen = check_layers(layers)
    from camatlas.sources.overpass import build_query
    from camatlas.sources.overpass import fetch as overpass_fetch

    query = build_query(bbox=bbox, area=area, layers=chosen, timeout_s=timeout_s)
    answer = overpass_fetch(query, endpoint=endpoint, timeout_s=timeout_s + 30)
    try:
        Path(save).write_bytes(answer)
    except OSError as exc:
        raise InputError(f"cannot save the response: {exc.strerror or exc}", path=save) from exc
    return chosen


def _zoning_points(atlas: Atlas) -> tuple[pd.DataFrame, np.ndarray[Any, Any]]:
    """The cameras' positions and the streets' ends, read once for every kind of zoning."""
    points = atlas._store.camera_points()
    ends = atlas._store.line_ends("streets")[["x0", "y0", "x1", "y1"]].to_numpy()
    return points, ends


def _zoning(atlas: Atlas, max_width_deg: float | None) -> Zoning:
    points, ends = atlas.cached("zoning:points", _zoning_points)
    return Zoning(points["lon"], points["lat"], ends, max_width_deg=max_width_deg)


def _named(progress: Progress | None, name: str) -> Progress | None:
    if progress is None:
        return None
    report = progress

    def told(stage: str, done: int, total: int) -> None:
        report(f"{name}: {stage}", done, total)

    return told


def open_atlas(url: str | Path, *, create: bool = True, read_only: bool = False) -> Atlas:
    """Open the atlas at ``url``: a GeoPackage path (``city.gpkg``) or a ``postgresql://`` URL.

    Parameters
    ----------
    url
        Where the atlas is.
    create
        Create a missing atlas (never when ``read_only``).
    read_only
        Open it so that nothing can be written through it (as the web server does).

    Raises
    ------
    AtlasError
        If the atlas is missing (and may not be created), is not an atlas, was written
        by a newer camatlas, or its server cannot be reached.
    """
    return Atlas(open_store(url, create=create, read_only=read_only))


def copy_atlas(
    source: str | Path, destination: str | Path, *, replace: bool = False
) -> CopySummary:
    """Copy a whole atlas between a GeoPackage file and PostgreSQL/PostGIS, either way
    (see :func:`camatlas.store.copy.copy_atlas`)."""
    return _copy_atlas(source, destination, replace=replace)
