"""Copy a whole atlas between backends: GeoPackage to PostGIS and back.

>>> from camatlas.store.copy import copy_atlas
>>> copy_atlas("city.gpkg", "postgresql://newsroom@db/atlas?schema=city")   # doctest: +SKIP

Everything an atlas holds is copied: the feature layers with every column
(``physical_id`` included), the ``sources`` table and the normalization report
(keeping their ``fid`` numbering), the camera links, every result layer
with its parameters, declared column types and creation time, and the stored
data (street graphs, still up to date in the copy). The
destination is written in one transaction (a GeoPackage is built beside the
destination and moved into place), so a copy that fails leaves the
destination as it was.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from camatlas.errors import AtlasError
from camatlas.lazy import pd
from camatlas.records import Link, ReportRow, SourceRecord
from camatlas.store import Store, open_store
from camatlas.store.pgurl import is_postgres_url, parse_postgres_url, redact_url
from camatlas.store.schema import LAYERS, TABLE_COLUMNS

_PANDAS_KINDS: dict[str, Any] = {"integer": "Int64", "boolean": "boolean", "real": "float64"}
"""Pandas dtypes that make ``write_result`` declare a column as it was declared."""


@dataclass(slots=True)
class CopySummary:
    """What :func:`copy_atlas` copied: rows per layer and table, and the result layers."""

    source: str
    destination: str
    rows: dict[str, int] = field(default_factory=dict)
    results: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the two atlases, rows copied per layer and table, result layers."""
        return {
            "source": self.source,
            "destination": self.destination,
            "rows": dict(self.rows),
            "results": list(self.results),
        }


def _identity(url: str | Path) -> tuple[str, ...]:
    """What names one atlas, so that a copy onto itself can be refused."""
    text = str(url)
    if is_postgres_url(text):
        parsed = parse_postgres_url(text)
        return ("postgresql", parsed.conninfo.split("?", 1)[0], parsed.schema)
    return ("gpkg", str(Path(text).resolve()))


def is_empty(store: Store) -> bool:
    """Whether ``store`` holds nothing: no feature, import, link or result layer."""
    return all(store.count(name) == 0 for name in (*LAYERS, *TABLE_COLUMNS))


def copy_atlas(
    source: str | Path, destination: str | Path, *, replace: bool = False
) -> CopySummary:
    """Copy the atlas at ``source`` to ``destination`` (GeoPackage paths or PostgreSQL URLs).

    Parameters
    ----------
    source
        The atlas to read; it must exist.
    destination
        Where to write it. Created when missing.
    replace
        Replace an atlas that already holds data at ``destination``; without
        it such a destination is refused and left untouched.

    Raises
    ------
    AtlasError
        If the source is missing or not an atlas, the destination holds data
        and ``replace`` is false, the destination exists but is not an atlas,
        or both name the same atlas.
    """
    if _identity(source) == _identity(destination):
        raise AtlasError(
            f"{redact_url(str(source))}: the source and the destination are the same atlas"
        )
    src = open_store(source, create=False, read_only=True)
    try:
        if is_postgres_url(str(destination)):
            return _copy_to_postgis(src, str(destination), replace)
        return _copy_to_geopackage(src, Path(destination), replace)
    finally:
        src.close()


def _refuse(url: str) -> AtlasError:
    return AtlasError(
        f"{url}: already holds an atlas with data; give --replace (replace=True) to "
        "overwrite it, or choose another destination"
    )


def _copy_to_postgis(src: Store, url: str, replace: bool) -> CopySummary:
    dst = open_store(url, create=True)
    try:
        with dst.transaction():
            if not is_empty(dst):
                if not replace:
                    raise _refuse(dst.url)
                dst.clear()
            return transfer(src, dst)
    finally:
        dst.close()


def _copy_to_geopackage(src: Store, path: Path, replace: bool) -> CopySummary:
    if path.exists() and path.stat().st_size > 0:
        existing = open_store(path, create=False, read_only=True)  # refuses non-atlases
        try:
            if not is_empty(existing) and not replace:
                raise _refuse(str(path))
        finally:
            existing.close()
    from camatlas.store.gpkg import GeoPackageStore  # a backend loads when it is used

    building = path.with_name(f".{path.name}.copy-{os.getpid()}")
    building.unlink(missing_ok=True)
    try:
        dst = GeoPackageStore(building, create=True)
        try:
            with dst.transaction():
                summary = transfer(src, dst)
        finally:
            dst.close()
        os.replace(building, path)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    summary.destination = str(path)
    return summary


def transfer(src: Store, dst: Store) -> CopySummary:
    """Write everything ``src`` holds into the empty ``dst``; call inside ``dst.transaction()``.

    The source is read in one snapshot, so that imports running meanwhile cannot
    make the copy inconsistent (links to cameras it lacks).
    """
    with src.snapshot():
        return _transfer(src, dst)


def _transfer(src: Store, dst: Store) -> CopySummary:
    summary = CopySummary(src.url, dst.url)
    for layer in LAYERS:
        frame = src.read_layer(layer)
        dst.upsert_rows(layer, frame)
        summary.rows[layer] = len(frame)
    sources = src.read_table("sources")
    report = src.read_table("normalization_report")
    names = [name for name, _ in TABLE_COLUMNS["sources"]]
    for values in sources.to_dict("records"):
        record = SourceRecord(**{n: _plain(values[n]) for n in names})
        mine = report[report["source_fid"] == values["fid"]]
        dst.add_source(
            record,
            [
                ReportRow(
                    _plain(r.key),
                    _plain(r.value),
                    _plain(r.reason),
                    _plain(r.count),
                    _plain(r.example_ids),
                )
                for r in mine.itertuples(index=False)
            ],
        )
    summary.rows["sources"] = len(sources)
    summary.rows["normalization_report"] = len(report)
    links = src.links()
    dst.replace_links(
        [],
        [
            Link(str(a), str(b), float(d))
            for a, b, d in zip(
                links["camera_a"], links["camera_b"], links["distance_m"], strict=True
            )
        ],
    )
    summary.rows["camera_links"] = len(links)
    for entry in src.results().itertuples(index=False):
        name = str(entry.name)
        frame = src.read_result(name)
        for column, kind in src.result_columns(name):
            if kind in _PANDAS_KINDS:
                frame[column] = frame[column].astype(_PANDAS_KINDS[kind])
        dst.write_result(
            name, frame, json.loads(str(entry.parameters)), created_at=str(entry.created_at)
        )
        summary.results.append(name)
    summary.rows["results"] = len(summary.results)
    # Stored data (street graphs) keep their creation times: with the imports and result
    # layers copied as they were, a stored graph is as up to date in the copy.
    names = src.blob_names()
    for name in names:
        stored = src.read_blob(name)
        if stored is not None:
            data, parameters, created_at = stored
            dst.write_blob(name, data, parameters, created_at=created_at)
    summary.rows["stored_data"] = len(names)
    return summary


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; missing values as ``None``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value
