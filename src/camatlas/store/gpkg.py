"""The embedded atlas: one OGC GeoPackage 1.3 file written through Python's sqlite3.

The file holds the standard GeoPackage tables (``gpkg_spatial_ref_sys``,
``gpkg_contents``, ``gpkg_geometry_columns``, ``gpkg_extensions``), feature
layers with standard GeoPackage geometry blobs and an R-tree spatial index
per layer (the ``gpkg_rtree_index`` extension, kept up to date by the
standard triggers), and attribute tables for sources, the normalization
report and camera links. QGIS and GDAL open it as it is.

The R-tree triggers call ``ST_IsEmpty`` and ``ST_MinX``..``ST_MaxY``, which
GDAL provides to its own connections; this module registers the same
functions on camatlas's connections, since SpatiaLite is not available.

Every write happens inside :meth:`GeoPackageStore.transaction` with SQLite's
rollback journal, so a process killed mid-import leaves the file as it was.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.errors import AtlasError, NotFoundError
from camatlas.geo import as_multipolygons, line_ends
from camatlas.lazy import gpd, pd
from camatlas.records import BBox, Link, ReportRow, SourceRecord
from camatlas.store.rows import (
    VERSION_SQL,
    AtlasVersion,
    Records,
    atlas_version,
    check_layer,
    check_layer_columns,
    check_result_name,
    check_table,
    layer_rows,
    no_result,
    record_rows,
    result_rows,
    typed_frame,
)
from camatlas.store.schema import (
    BOOLEAN_COLUMNS,
    GEOMETRY_TYPES,
    LAYER_COLUMNS,
    LAYER_DESCRIPTIONS,
    LAYERS,
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
)

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10300  # GeoPackage 1.3.0
WGS84 = 4326

_SQL_TYPES = {"text": "TEXT", "real": "REAL", "integer": "INTEGER", "boolean": "BOOLEAN"}
# Size in bytes of the envelope for each envelope indicator of the blob header.
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
    'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],'
    'AUTHORITY["EPSG","4326"]]'
)


# --- geometry blobs -----------------------------------------------------------


def encode_geometries(geometries: np.ndarray[Any, Any], srs_id: int = WGS84) -> list[bytes]:
    """GeoPackage geometry blobs (little-endian, XY envelope except for points).

    Parameters
    ----------
    geometries
        Array of non-empty shapely geometries.
    srs_id
        The ``srs_id`` written in each header.
    """
    n = len(geometries)
    if n == 0:
        return []
    wkb = shapely.to_wkb(geometries, byte_order=1, flavor="iso")
    is_point = shapely.get_type_id(geometries) == 0
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
        ("magic", "S2"),
        ("version", "u1"),
        ("flags", "u1"),
        ("srs", "<i4"),
    ]
    plain = np.zeros(n, dtype=fields)
    plain["magic"] = b"GP"
    plain["flags"] = 0b001
    plain["srs"] = srs_id
    with_env = np.zeros(n, dtype=[*fields, ("env", "<f8", (4,))])
    with_env["magic"] = b"GP"
    with_env["flags"] = 0b011
    with_env["srs"] = srs_id
    # GeoPackage envelopes are ordered minx, maxx, miny, maxy.
    with_env["env"] = shapely.bounds(geometries)[:, [0, 2, 1, 3]]
    plain_bytes, env_bytes = plain.tobytes(), with_env.tobytes()
    ps, es = plain.itemsize, with_env.itemsize
    return [
        (plain_bytes[i * ps : (i + 1) * ps] if is_point[i] else env_bytes[i * es : (i + 1) * es])
        + wkb[i]
        for i in range(n)
    ]


def _wkb_offset(blob: bytes) -> int:
    if blob[:2] != b"GP":
        raise AtlasError(
            "a geometry of the atlas is not a GeoPackage geometry blob: the file is damaged"
        )
    return 8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 0b111]


def decode_geometries(blobs: Sequence[bytes | None]) -> np.ndarray[Any, Any]:
    """Shapely geometries from GeoPackage blobs (``None`` stays ``None``)."""
    wkb = [None if b is None else bytes(b[_wkb_offset(b) :]) for b in blobs]
    return np.asarray(shapely.from_wkb(wkb), dtype=object)


def _blob_envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of a blob, from its header or its WKB."""
    if blob is None or (blob[3] >> 4) & 1:
        return None
    indicator = (blob[3] >> 1) & 0b111
    if indicator:
        order = "<" if blob[3] & 1 else ">"
        minx, maxx, miny, maxy = struct.unpack_from(order + "4d", blob, 8)
        return minx, maxx, miny, maxy
    wkb = blob[8:]
    order = "<" if wkb[0] == 1 else ">"
    if struct.unpack_from(order + "I", wkb, 1)[0] == 1:  # a 2D point: read x, y directly
        x, y = struct.unpack_from(order + "2d", wkb, 5)
        return x, x, y, y
    geom = shapely.from_wkb(bytes(wkb))
    if geom.is_empty:
        return None
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def _damaged(exc: sqlite3.DatabaseError, path: Path) -> Exception:
    """SQLite's word that the file is damaged, as an :class:`AtlasError` naming it; any
    other error (a lock, a constraint) as it was."""
    if type(exc) is sqlite3.DatabaseError:  # "database disk image is malformed", ...
        return AtlasError(
            f"{path}: the atlas file is damaged ({exc}); restore it from a copy, or import "
            "its sources again into a new atlas"
        )
    return exc


class _Cursor:
    """A cursor whose reads report a damaged file as :func:`_damaged` says."""

    def __init__(self, cursor: sqlite3.Cursor, path: Path) -> None:
        self._cursor, self._path = cursor, path

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self._path) from exc

    def fetchall(self) -> list[Any]:
        try:
            return self._cursor.fetchall()
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self._path) from exc

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._cursor
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self._path) from exc

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid


class _Connection:
    """The atlas's SQLite connection: every statement that finds the file damaged says so
    as an :class:`AtlasError` (one place for all of the store's SQL), not a traceback."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.raw, self._path = conn, path

    def execute(self, sql: str, parameters: Any = ()) -> _Cursor:
        try:
            return _Cursor(self.raw.execute(sql, parameters), self._path)
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self._path) from exc

    def executemany(self, sql: str, parameters: Any) -> _Cursor:
        try:
            return _Cursor(self.raw.executemany(sql, parameters), self._path)
        except sqlite3.DatabaseError as exc:
            raise _damaged(exc, self._path) from exc

    def close(self) -> None:
        self.raw.close()


def _register_functions(conn: sqlite3.Connection) -> None:
    def envelope_part(index: int) -> Any:
        def part(blob: bytes | None) -> float | None:
            env = _blob_envelope(blob)
            return None if env is None else env[index]

        return part

    conn.create_function("ST_MinX", 1, envelope_part(0), deterministic=True)
    conn.create_function("ST_MaxX", 1, envelope_part(1), deterministic=True)
    conn.create_function("ST_MinY", 1, envelope_part(2), deterministic=True)
    conn.create_function("ST_MaxY", 1, envelope_part(3), deterministic=True)
    conn.create_function(
        "ST_IsEmpty",
        1,
        lambda b: None if b is None else int(_blob_envelope(b) is None),
        deterministic=True,
    )


# --- schema -------------------------------------------------------------------


def _rtree_sql(table: str, column: str = "geom") -> list[str]:
    """The R-tree table and the triggers that keep it in step with ``table``."""
    rt = f"rtree_{table}_{column}"
    new_env = (
        f'ST_MinX(NEW."{column}"), ST_MaxX(NEW."{column}"), '
        f'ST_MinY(NEW."{column}"), ST_MaxY(NEW."{column}")'
    )
    has_new = f'(NEW."{column}" NOTNULL AND NOT ST_IsEmpty(NEW."{column}"))'
    has_old = f'(OLD."{column}" NOTNULL AND NOT ST_IsEmpty(OLD."{column}"))'
    no_new = f'(NEW."{column}" ISNULL OR ST_IsEmpty(NEW."{column}"))'
    no_old = f'(OLD."{column}" ISNULL OR ST_IsEmpty(OLD."{column}"))'
    return [
        f'CREATE VIRTUAL TABLE "{rt}" USING rtree(id, minx, maxx, miny, maxy)',
        f'CREATE TRIGGER "{rt}_insert" AFTER INSERT ON "{table}" WHEN {has_new} '
        f'BEGIN INSERT OR REPLACE INTO "{rt}" VALUES (NEW.fid, {new_env}); END',
        f'CREATE TRIGGER "{rt}_update6" AFTER UPDATE OF "{column}" ON "{table}" '
        f"WHEN OLD.fid = NEW.fid AND {has_new} AND {has_old} "
        f'BEGIN UPDATE "{rt}" SET minx = ST_MinX(NEW."{column}"), '
        f'maxx = ST_MaxX(NEW."{column}"), miny = ST_MinY(NEW."{column}"), '
        f'maxy = ST_MaxY(NEW."{column}") WHERE id = NEW.fid; END',
        f'CREATE TRIGGER "{rt}_update7" AFTER UPDATE OF "{column}" ON "{table}" '
        f"WHEN OLD.fid = NEW.fid AND {has_new} AND {no_old} "
        f'BEGIN INSERT INTO "{rt}" VALUES (NEW.fid, {new_env}); END',
        f'CREATE TRIGGER "{rt}_update2" AFTER UPDATE OF "{column}" ON "{table}" '
        f"WHEN OLD.fid = NEW.fid AND {no_new} "
        f'BEGIN DELETE FROM "{rt}" WHERE id = OLD.fid; END',
        f'CREATE TRIGGER "{rt}_update5" AFTER UPDATE ON "{table}" '
        f"WHEN OLD.fid != NEW.fid AND {has_new} "
        f'BEGIN DELETE FROM "{rt}" WHERE id = OLD.fid; '
        f'INSERT OR REPLACE INTO "{rt}" VALUES (NEW.fid, {new_env}); END',
        f'CREATE TRIGGER "{rt}_update4" AFTER UPDATE ON "{table}" '
        f"WHEN OLD.fid != NEW.fid AND {no_new} "
        f'BEGIN DELETE FROM "{rt}" WHERE id IN (OLD.fid, NEW.fid); END',
        f'CREATE TRIGGER "{rt}_delete" AFTER DELETE ON "{table}" WHEN OLD."{column}" NOT NULL '
        f'BEGIN DELETE FROM "{rt}" WHERE id = OLD.fid; END',
    ]


log = logging.getLogger("camatlas.store")

LOCK_TIMEOUT_VARIABLE = "CAMATLAS_LOCK_TIMEOUT"
"""Environment variable: seconds to wait for another process's write to end (default 60)."""

_FIRST_WAIT_S = 1.0
"""A write waits this long for the lock before it says that it is waiting."""


def lock_timeout() -> float:
    """Seconds to wait for the write lock: :data:`LOCK_TIMEOUT_VARIABLE`, else 60."""
    text = os.environ.get(LOCK_TIMEOUT_VARIABLE, "")
    try:
        value = float(text) if text else 60.0
    except ValueError:
        value = math.nan
    if not 0.0 <= value <= 86_400.0:
        raise AtlasError(
            f"{LOCK_TIMEOUT_VARIABLE} must be a number of seconds from 0 to 86400",
        )
    return value


_BLOBS_SQL = (
    "CREATE TABLE IF NOT EXISTS camatlas_blobs (name TEXT PRIMARY KEY NOT NULL, "
    "created_at TEXT NOT NULL, parameters TEXT NOT NULL, data BLOB NOT NULL)"
)
"""Stored data derived from the atlas (made on first use: older atlases lack it)."""


def _schema_sql() -> list[str]:
    statements = [
        f"PRAGMA application_id = {GPKG_APPLICATION_ID}",
        f"PRAGMA user_version = {GPKG_USER_VERSION}",
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, "
        "srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL, "
        "organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, "
        "description TEXT)",
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, "
        "data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', "
        "last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), "
        "min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, "
        "CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) "
        "REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, "
        "column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, "
        "srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, "
        "CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), "
        "CONSTRAINT uk_gc_table_name UNIQUE (table_name), "
        "CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), "
        "CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
        "CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, "
        "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
        "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
    ]
    for layer in LAYERS:
        columns = ", ".join(f'"{name}" {_SQL_TYPES[kind]}' for name, kind in LAYER_COLUMNS[layer])
        statements.append(
            f'CREATE TABLE "{layer}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
            f'geom {GEOMETRY_TYPES[layer]}, {columns}, UNIQUE ("id"))'
        )
        statements.extend(_rtree_sql(layer))
    for table, cols in TABLE_COLUMNS.items():
        columns = ", ".join(f'"{name}" {_SQL_TYPES[kind]}' for name, kind in cols)
        statements.append(
            f'CREATE TABLE "{table}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {columns})'
        )
    statements += [
        'CREATE UNIQUE INDEX "sources_sha256" ON "sources" ("sha256")',
        'CREATE UNIQUE INDEX "camera_links_pair" ON "camera_links" ("camera_a", "camera_b")',
        'CREATE INDEX "camera_links_b" ON "camera_links" ("camera_b")',
        'CREATE INDEX "cameras_physical_id" ON "cameras" ("physical_id")',
        'CREATE TABLE "camatlas_schema" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        '"key" TEXT NOT NULL UNIQUE, "value" TEXT NOT NULL)',
    ]
    return statements


class GeoPackageStore:
    """An atlas kept in one GeoPackage file.

    Parameters
    ----------
    path
        The ``.gpkg`` file. Created with the atlas schema when missing (and
        ``create`` is true).
    create
        Whether a missing file may be created.
    """

    def __init__(self, path: Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self.read_only = read_only
        exists = self.path.exists() and self.path.stat().st_size > 0
        if not exists and not create:
            raise AtlasError(
                f"{self.path}: no atlas here; create one with "
                f"`camatlas import FILE --atlas {self.path}`"
            )
        if exists and self.path.is_dir():
            raise AtlasError(f"{self.path}: is a directory, not an atlas file")
        if not self.path.parent.exists():
            raise AtlasError(f"{self.path}: the folder {self.path.parent} does not exist")
        try:
            raw = sqlite3.connect(self.path, isolation_level=None, timeout=lock_timeout())
        except sqlite3.Error as exc:
            raise AtlasError(f"{self.path}: cannot open: {exc}") from exc
        _register_functions(raw)
        self.conn = _Connection(raw, self.path)
        self._in_transaction = False
        self._in_snapshot = False
        if exists:
            self._check_existing()
        else:
            self._create()
        if read_only:
            # Refused by SQLite itself: no statement through this connection can write.
            self.conn.execute("PRAGMA query_only = ON")

    # -- lifecycle ---------------------------------------------------------------

    def _check_existing(self) -> None:
        try:
            app_id = self.conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {
                r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise AtlasError(f"{self.path}: not a GeoPackage or SQLite file ({exc})") from exc
        if app_id != GPKG_APPLICATION_ID:
            self.conn.close()
            raise AtlasError(f"{self.path}: not a GeoPackage (application_id {app_id:#x})")
        if "camatlas_schema" not in tables:
            self.conn.close()
            raise AtlasError(
                f"{self.path}: a GeoPackage, but not a camatlas atlas; "
                "choose a new file name for the atlas"
            )
        row = self.conn.execute(
            "SELECT value FROM camatlas_schema WHERE key = 'schema_version'"
        ).fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            self.conn.close()
            raise AtlasError(
                f"{self.path}: written by a newer camatlas (schema version {version}, "
                f"this camatlas reads up to {SCHEMA_VERSION}); upgrade camatlas to open it"
            )
        if version < SCHEMA_VERSION:
            try:
                self._migrate()
            except BaseException:
                self.conn.close()
                raise

    def _migrate(self) -> None:
        """Take an atlas of an older schema version to this one, in one transaction
        (:data:`~camatlas.store.schema.MIGRATIONS`); even one opened read-only, as the
        tables must be this version's to be read."""
        self._begin_writing()
        try:
            (value,) = self.conn.execute(
                "SELECT value FROM camatlas_schema WHERE key = 'schema_version'"
            ).fetchone()
            version = int(value)  # again, under the lock
            while version < SCHEMA_VERSION:
                steps = MIGRATIONS.get(version)
                if steps is None:
                    raise AtlasError(
                        f"{self.path}: cannot upgrade an atlas of schema version {version} "
                        f"to {SCHEMA_VERSION}: no migration is known"
                    )
                for table, column, default in steps:
                    kind = dict(LAYER_COLUMNS.get(table) or TABLE_COLUMNS[table])[column]
                    self.conn.execute(
                        f'ALTER TABLE "{table}" ADD COLUMN "{column}" {_SQL_TYPES[kind]}'
                    )
                    value = {"false": 0, "true": 1}.get(default, default)
                    self.conn.execute(f'UPDATE "{table}" SET "{column}" = ?', (value,))
                version += 1
            self.conn.execute(
                "UPDATE camatlas_schema SET value = ? WHERE key = 'schema_version'",
                (str(version),),
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _create(self) -> None:
        """Make the tables of a new atlas, under the write lock: of processes creating the
        same atlas at once, the first makes them and the others find them made."""
        with self.transaction():
            made = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'camatlas_schema'"
            ).fetchone()
            if made is None:
                self._create_tables()
        if made is not None:
            self._check_existing()

    def _create_tables(self) -> None:
        for statement in _schema_sql():
            self.conn.execute(statement)
        self.conn.executemany(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    "Undefined cartesian SRS",
                    -1,
                    "NONE",
                    -1,
                    "undefined",
                    "undefined cartesian coordinate reference system",
                ),
                (
                    "Undefined geographic SRS",
                    0,
                    "NONE",
                    0,
                    "undefined",
                    "undefined geographic coordinate reference system",
                ),
                (
                    "WGS 84 geodetic",
                    WGS84,
                    "EPSG",
                    WGS84,
                    _WGS84_WKT,
                    "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
                ),
            ],
        )
        for layer in LAYERS:
            self.conn.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
                "srs_id) VALUES (?, 'features', ?, ?, ?)",
                (layer, layer, LAYER_DESCRIPTIONS[layer], WGS84),
            )
            self.conn.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
                (layer, GEOMETRY_TYPES[layer], WGS84),
            )
            self.conn.execute(
                "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
                "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
                (layer,),
            )
        for table in (*TABLE_COLUMNS, "camatlas_schema"):
            self.conn.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
                "VALUES (?, 'attributes', ?, ?)",
                (table, table, LAYER_DESCRIPTIONS[table]),
            )
        self.conn.execute(
            "INSERT INTO camatlas_schema (key, value) VALUES ('schema_version', ?)",
            (str(SCHEMA_VERSION),),
        )

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (``BEGIN IMMEDIATE`` .. ``COMMIT``); rolled back on error."""
        if self.read_only:
            raise AtlasError(f"{self.path}: the atlas is open read-only")
        if self._in_transaction or self._in_snapshot:
            raise AtlasError(f"{self.path}: nested transactions are not supported")
        self._begin_writing()
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self._refresh_extents()
            self.conn.execute("COMMIT")
        finally:
            self._in_transaction = False

    def _begin_writing(self) -> None:
        """Take the atlas's write lock; while another process holds it, say so and wait
        up to :func:`lock_timeout` seconds, then fail with a message, not a traceback."""
        limit = lock_timeout()
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(min(limit, _FIRST_WAIT_S) * 1000)}")
            self.conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise AtlasError(f"{self.path}: cannot write: {exc}") from exc
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {int(limit * 1000)}")
        log.warning(
            "%s: another process is writing to the atlas; waiting up to %g s for it (%s)",
            self.path, limit, LOCK_TIMEOUT_VARIABLE,
        )  # fmt: skip
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise AtlasError(
                f"{self.path}: another process has been writing to the atlas for more than "
                f"{limit:g} s; try again when it has finished (set {LOCK_TIMEOUT_VARIABLE} "
                "to wait longer)"
            ) from exc

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the file: a read transaction holds SQLite's shared
        lock, so no writer commits until it ends."""
        if self._in_transaction or self._in_snapshot:
            raise AtlasError(f"{self.path}: a snapshot cannot be nested in a transaction")
        self.conn.execute("BEGIN DEFERRED")
        self._in_snapshot = True
        try:
            # The first read takes the shared lock: from here on the file cannot change.
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            yield
        finally:
            self._in_snapshot = False
            self.conn.execute("COMMIT")

    def clear(self) -> None:
        """Empty the atlas (every layer, table and result layer); inside :meth:`transaction`."""
        self._require_transaction()
        for (name,) in self.conn.execute("SELECT name FROM results").fetchall():
            self._drop_result(str(name))
        for name in (*LAYERS, *TABLE_COLUMNS):
            self.conn.execute(f'DELETE FROM "{name}"')
        self.conn.execute("DROP TABLE IF EXISTS camatlas_blobs")

    def _refresh_extents(self) -> None:
        features = [
            r[0]
            for r in self.conn.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
            )
        ]
        for layer in features:
            self.conn.execute(
                f"UPDATE gpkg_contents SET (min_x, max_x, min_y, max_y) = "
                f'(SELECT min(minx), max(maxx), min(miny), max(maxy) FROM "rtree_{layer}_geom"), '
                "last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
                (layer,),
            )

    def _require_transaction(self) -> None:
        if not self._in_transaction:
            raise AtlasError(f"{self.path}: writes must happen inside store.transaction()")

    # -- writes ------------------------------------------------------------------

    def _upsert(
        self,
        layer: str,
        geometries: list[BaseGeometry],
        rows: list[tuple[Any, ...]],
        keep: Sequence[str] = (),
    ) -> None:
        self._require_transaction()
        if not rows:
            return
        names = [name for name, _ in LAYER_COLUMNS[layer]]
        blobs = encode_geometries(np.asarray(geometries, dtype=object))
        quoted = ", ".join(f'"{n}"' for n in names)
        marks = ", ".join("?" for _ in range(len(names) + 1))
        updates = ", ".join(
            ["geom = excluded.geom"]
            + [f'"{n}" = excluded."{n}"' for n in names if n != "id" and n not in keep]
        )
        self.conn.executemany(
            f'INSERT INTO "{layer}" (geom, {quoted}) VALUES ({marks}) '
            f'ON CONFLICT ("id") DO UPDATE SET {updates}',
            [(blob, *row) for blob, row in zip(blobs, rows, strict=True)],
        )

    def upsert_records(self, layer: str, records: Records) -> None:
        if check_layer(layer) == "cameras":
            cameras: Any = records
            geoms = list(shapely.points([c.lon for c in cameras], [c.lat for c in cameras]))
            # physical_id is owned by the linking step: an update must not reset it.
            self._upsert(layer, geoms, record_rows(layer, records), keep=("physical_id",))
            return
        shapes = [r.geometry for r in records]  # type: ignore[union-attr]
        if GEOMETRY_TYPES[layer] == "MULTIPOLYGON":
            shapes = list(as_multipolygons(shapes))
        self._upsert(layer, shapes, record_rows(layer, records))

    def upsert_rows(self, layer: str, frame: gpd.GeoDataFrame) -> None:
        """Upsert rows given as :meth:`read_layer` returns them, every column verbatim."""
        check_layer(layer)
        self._upsert(layer, list(frame.geometry.to_numpy()), layer_rows(layer, frame))

    def has_source(self, sha256: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM sources WHERE sha256 = ?", (sha256,)).fetchone()
        return row is not None

    def add_source(self, record: SourceRecord, report: Sequence[ReportRow]) -> int:
        self._require_transaction()
        names = [name for name, _ in TABLE_COLUMNS["sources"]]
        cur = self.conn.execute(
            f"INSERT INTO sources ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            tuple(getattr(record, n) for n in names),
        )
        fid = int(cur.lastrowid or 0)
        self.conn.executemany(
            "INSERT INTO normalization_report (source_fid, key, value, reason, count, "
            "example_ids) VALUES (?, ?, ?, ?, ?, ?)",
            [(fid, r.key, r.value, r.reason, r.count, r.example_ids) for r in report],
        )
        return fid

    def replace_links(self, camera_ids: Sequence[str], links: Sequence[Link]) -> None:
        self._require_transaction()
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS _touched (id TEXT PRIMARY KEY)")
        self.conn.execute("DELETE FROM _touched")
        self.conn.executemany(
            "INSERT OR IGNORE INTO _touched VALUES (?)", [(i,) for i in camera_ids]
        )
        self.conn.execute(
            "DELETE FROM camera_links WHERE camera_a IN (SELECT id FROM _touched) "
            "OR camera_b IN (SELECT id FROM _touched)"
        )
        self.conn.executemany(
            "INSERT OR REPLACE INTO camera_links (camera_a, camera_b, distance_m) VALUES (?, ?, ?)",
            [(lk.camera_a, lk.camera_b, lk.distance_m) for lk in links],
        )

    def set_physical_ids(self, mapping: dict[str, str]) -> None:
        self._require_transaction()
        self.conn.executemany(
            "UPDATE cameras SET physical_id = ? WHERE id = ? AND physical_id IS NOT ?",
            [(physical, cam, physical) for cam, physical in mapping.items()],
        )

    # -- reads -------------------------------------------------------------------

    def _bbox_clause(self, layer: str, bbox: BBox | None) -> tuple[str, tuple[float, ...]]:
        if bbox is None:
            return "", ()
        west, south, east, north = bbox
        return (
            f' WHERE t.fid IN (SELECT id FROM "rtree_{layer}_geom" '
            "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)",
            (east, west, north, south),
        )

    def camera_points(self, bbox: BBox | None = None) -> pd.DataFrame:
        where, params = self._bbox_clause("cameras", bbox)
        rows = self.conn.execute(
            "SELECT t.id, t.geom, t.kind, t.source FROM cameras t" + where, params
        ).fetchall()
        # Coordinates come from the geometry, never from the R-tree, whose
        # bounds are float32 rounded outwards (about 0.5 m of error).
        points = decode_geometries([r[1] for r in rows])
        return pd.DataFrame(
            {
                "id": [r[0] for r in rows],
                "lon": shapely.get_x(points) if rows else [],
                "lat": shapely.get_y(points) if rows else [],
                "kind": [r[2] for r in rows],
                "source": [r[3] for r in rows],
            }
        ).astype({"lon": "float64", "lat": "float64"})

    def read_layer(self, layer: str, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        names = [name for name, _ in LAYER_COLUMNS[check_layer(layer)]]
        where, params = self._bbox_clause(layer, bbox)
        cur = self.conn.execute(
            f"SELECT t.geom, {', '.join(f't.{chr(34)}{n}{chr(34)}' for n in names)} "
            f'FROM "{layer}" t{where} ORDER BY t.fid',
            params,
        )
        rows = cur.fetchall()
        frame = pd.DataFrame([r[1:] for r in rows], columns=names)
        for name in BOOLEAN_COLUMNS[layer]:
            frame[name] = frame[name].fillna(False).astype(bool)
        geometry = decode_geometries([r[0] for r in rows])
        return gpd.GeoDataFrame(frame, geometry=list(geometry), crs=f"EPSG:{WGS84}")

    def read_table(self, table: str) -> pd.DataFrame:
        if table not in TABLE_COLUMNS:
            raise NotFoundError(f"no table {table!r}; the tables are {', '.join(TABLE_COLUMNS)}")
        names = [name for name, _ in TABLE_COLUMNS[table]]
        rows = self.conn.execute(
            f"SELECT fid, {', '.join(chr(34) + n + chr(34) for n in names)} FROM {table} "
            "ORDER BY fid"
        ).fetchall()
        return pd.DataFrame(rows, columns=["fid", *names])

    def layer_columns(self, layer: str, columns: Sequence[str]) -> pd.DataFrame:
        names = check_layer_columns(layer, columns)
        rows = self.conn.execute(
            f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{layer}" ORDER BY fid'
        ).fetchall()
        return pd.DataFrame(rows, columns=names)

    def links(self) -> pd.DataFrame:
        return self.read_table("camera_links").drop(columns="fid")

    def count(self, name: str) -> int:
        check_table(name)
        return int(self.conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])

    def line_ends(self, layer: str) -> pd.DataFrame:
        rows = self.conn.execute(
            f'SELECT id, geom FROM "{check_layer(layer)}" ORDER BY fid'
        ).fetchall()
        ends = line_ends(decode_geometries([geom for _, geom in rows]))
        frame = pd.DataFrame(ends, columns=["x0", "y0", "x1", "y1"])
        frame.insert(0, "id", [i for i, _ in rows])
        return frame

    # -- result layers -----------------------------------------------------------

    def write_result(
        self,
        name: str,
        frame: pd.DataFrame,
        parameters: dict[str, Any],
        *,
        created_at: str | None = None,
    ) -> None:
        self._require_transaction()
        prepared = result_rows(name, frame)
        self._drop_result(name)
        columns = "".join(f', "{c}" {_SQL_TYPES[k]}' for c, k in prepared.columns)
        gtype = prepared.geometry_type
        if prepared.geometry is not None:
            self.conn.execute(
                f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
                f"geom {gtype}{columns})"
            )
            for statement in _rtree_sql(name):
                self.conn.execute(statement)
            self.conn.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                "VALUES (?, 'features', ?, ?)",
                (name, name, WGS84),
            )
            self.conn.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
                (name, gtype, WGS84),
            )
            self.conn.execute(
                "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
                "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
                (name,),
            )
        else:
            self.conn.execute(
                f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL{columns})'
            )
            self.conn.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                "VALUES (?, 'attributes', ?)",
                (name, name),
            )
        rows: list[tuple[Any, ...]]
        if prepared.geometry is not None and prepared.present is not None:
            geometry, present = prepared.geometry, prepared.present
            blobs: list[bytes | None] = [None] * len(geometry)
            for i, blob in zip(
                np.flatnonzero(present), encode_geometries(geometry[present]), strict=True
            ):
                blobs[i] = blob
            rows = list(zip(blobs, *prepared.values, strict=True))
        elif prepared.values:
            rows = list(zip(*prepared.values, strict=True))
        else:
            rows = [() for _ in range(prepared.rows)]
        names = (["geom"] if prepared.geometry is not None else []) + [
            c for c, _ in prepared.columns
        ]
        if rows and names:
            self.conn.executemany(
                f'INSERT INTO "{name}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                f"VALUES ({', '.join('?' * len(names))})",
                rows,
            )
        self.conn.execute(
            "INSERT INTO results (name, geometry_type, rows, parameters, created_at) "
            "VALUES (?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ','now')))",
            (
                name,
                gtype,
                prepared.rows,
                json.dumps(parameters, sort_keys=True, default=str),
                created_at,
            ),
        )

    def _drop_result(self, name: str) -> None:
        exists = self.conn.execute(
            "SELECT data_type FROM gpkg_contents WHERE table_name = ?", (name,)
        ).fetchone()
        if exists is None:
            return
        self.conn.execute(f'DROP TABLE "{name}"')
        self.conn.execute(f'DROP TABLE IF EXISTS "rtree_{name}_geom"')
        for table in ("gpkg_extensions", "gpkg_geometry_columns", "gpkg_contents", "results"):
            column = "name" if table == "results" else "table_name"
            self.conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))

    def read_result(self, name: str, bbox: BBox | None = None) -> pd.DataFrame:
        check_result_name(name)
        row = self.conn.execute(
            "SELECT geometry_type FROM results WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise no_result(str(self.path), name)
        info = self.conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        columns = [(r[1], r[2].upper()) for r in info if r[1] not in ("fid", "geom")]
        select = ", ".join(f't."{c}"' for c, _ in columns)
        if not row[0]:
            rows = self.conn.execute(f'SELECT {select or "1"} FROM "{name}" t ORDER BY fid')
            return typed_frame(
                pd.DataFrame(rows.fetchall(), columns=[c for c, _ in columns] or None), columns
            )
        where, params = self._bbox_clause(name, bbox)
        fetched = self.conn.execute(
            f'SELECT t.geom{", " + select if select else ""} FROM "{name}" t{where} ORDER BY t.fid',
            params,
        ).fetchall()
        frame = typed_frame(
            pd.DataFrame([r[1:] for r in fetched], columns=[c for c, _ in columns]), columns
        )
        geoms = decode_geometries([r[0] for r in fetched])
        result: pd.DataFrame = gpd.GeoDataFrame(frame, geometry=list(geoms), crs=f"EPSG:{WGS84}")
        return result

    def results(self) -> pd.DataFrame:
        return self.read_table("results").drop(columns="fid")

    def version(self) -> AtlasVersion:
        sources, results = (self.conn.execute(q).fetchall() for q in VERSION_SQL)
        return atlas_version(sources, results)

    # -- stored data -------------------------------------------------------------

    def write_blob(
        self, name: str, data: bytes, parameters: dict[str, Any], *, created_at: str | None = None
    ) -> None:
        self._require_transaction()
        self.conn.execute(_BLOBS_SQL)
        self.conn.execute(
            "INSERT OR REPLACE INTO camatlas_blobs (name, created_at, parameters, data) "
            "VALUES (?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ','now')), ?, ?)",
            (
                name,
                created_at,
                json.dumps(parameters, sort_keys=True, default=str),
                sqlite3.Binary(data),
            ),
        )

    def blob_names(self) -> list[str]:
        if not self._has_blobs():
            return []
        rows = self.conn.execute("SELECT name FROM camatlas_blobs ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def _has_blobs(self) -> bool:
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'camatlas_blobs'"
        ).fetchone()
        return found is not None

    def read_blob(self, name: str) -> tuple[bytes, dict[str, Any], str] | None:
        if not self._has_blobs():
            return None
        row = self.conn.execute(
            "SELECT data, parameters, created_at FROM camatlas_blobs WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        return bytes(row[0]), json.loads(row[1]), str(row[2])

    def result_columns(self, name: str) -> list[tuple[str, str]]:
        """(column, kind) of a result layer besides its geometry; kinds as in LAYER_COLUMNS."""
        check_result_name(name)
        if self.conn.execute("SELECT 1 FROM results WHERE name = ?", (name,)).fetchone() is None:
            raise no_result(str(self.path), name)
        info = self.conn.execute(f'PRAGMA table_info("{name}")').fetchall()
        kinds = {"TEXT": "text", "REAL": "real", "INTEGER": "integer", "BOOLEAN": "boolean"}
        return [
            (r[1], kinds.get(r[2].upper(), "text")) for r in info if r[1] not in ("fid", "geom")
        ]
