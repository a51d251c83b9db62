"""The shared atlas: one schema of a PostgreSQL database with PostGIS.

Many people can import into and query one atlas at once. The atlas holds the
same layers and tables as the GeoPackage (:data:`~camatlas.store.schema.LAYER_COLUMNS`,
:data:`~camatlas.store.schema.TABLE_COLUMNS`) in one PostgreSQL schema (default
``camatlas``; ``?schema=NAME`` in the URL picks another), with geometry in
PostGIS types (``geometry(Point, 4326)``, ``geometry(LineString, 4326)``,
``geometry(MultiPolygon, 4326)``) and a GiST index on each, so QGIS and
``ogr2ogr`` read it directly.

Writes
    Rows arrive by ``COPY`` into temporary staging tables and are merged into
    the layers with one ``UPDATE`` and one ``INSERT`` per batch. Every write
    happens inside :meth:`PostGISStore.transaction`, which first takes a
    transaction-level advisory lock on the atlas
    (``pg_advisory_xact_lock``), so concurrent writers to one atlas run one
    after the other, like SQLite's ``BEGIN IMMEDIATE``: two imports started
    at once both land whole, and the linking step of each sees every camera
    the other committed. Readers are never blocked. A client or server that
    dies mid-import leaves nothing behind: PostgreSQL rolls the transaction
    back.

Feature ids
    ``fid`` values are allocated from counters kept in the atlas itself
    (transactional, unlike sequences), so a failed import leaves no gap and
    the ``fid`` columns of ``sources``, ``normalization_report`` and
    ``camera_links`` come out as in a GeoPackage fed the same imports.

Schema versions
    ``camatlas_schema`` holds ``schema_version``. Opening an older atlas
    migrates it (:data:`~camatlas.store.schema.MIGRATIONS`); an atlas written by a newer camatlas is
    refused.

Privileges
    Creating an atlas needs ``CREATE`` on the database (or an existing schema
    that the role owns) and the PostGIS extension, which only a superuser (or
    the database owner on a server where it is trusted) can install; using one
    needs ``USAGE`` on the schema, ``SELECT``/``INSERT``/``UPDATE``/``DELETE``
    on its tables and ``TEMPORARY`` on the database (for staging tables).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from camatlas.errors import AtlasError, NotFoundError
from camatlas.geo import as_multipolygons, line_ends
from camatlas.lazy import gpd, pd
from camatlas.records import BBox, Link, ReportRow, SourceRecord
from camatlas.store.pgurl import parse_postgres_url, scrub
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
    LAYERS,
    MIGRATIONS,
    SCHEMA_VERSION,
    TABLE_COLUMNS,
)

WGS84 = 4326
APPLICATION_NAME = "camatlas"
"""``application_name`` of camatlas's connections (shown in ``pg_stat_activity``)."""

_SQL_TYPES = {"text": "text", "real": "double precision", "integer": "bigint", "boolean": "boolean"}
# PostgreSQL type names as format_type() prints them -> the GeoPackage's declared types,
# which the shared result-reading helpers expect.
_DECLARED = {"text": "TEXT", "double precision": "REAL", "bigint": "INTEGER", "boolean": "BOOLEAN"}
_KINDS = {"TEXT": "text", "REAL": "real", "INTEGER": "integer", "BOOLEAN": "boolean"}

_TYPMODS = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
    "GEOMETRY": "Geometry",
}

_ANALYZE_AFTER_ROWS = 10_000
"""Tables that took at least this many rows in a transaction are analyzed before it commits."""


def _migration_sql(version: int) -> list[sql.Composed] | None:
    """SQL that takes an atlas from schema version ``version`` to the next (see
    :data:`~camatlas.store.schema.MIGRATIONS`), run with the atlas schema first on the
    search path; None when no migration is known."""
    steps = MIGRATIONS.get(version)
    if steps is None:
        return None
    statements = []
    for table, column, value in steps:
        kind = dict(LAYER_COLUMNS.get(table) or TABLE_COLUMNS[table])[column]
        statements += [
            sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                _ident(table), _ident(column), sql.SQL(_SQL_TYPES[kind])
            ),
            sql.SQL("UPDATE {} SET {} = {}").format(
                _ident(table), _ident(column), sql.Literal(value)
            ),
        ]
    return statements


_Self = TypeVar("_Self", bound="PostGISStore")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _translated(
    method: Callable[Concatenate[_Self, _P], _R],
) -> Callable[Concatenate[_Self, _P], _R]:
    """Turn psycopg errors raised by ``method`` into :class:`AtlasError`.

    A read outside a transaction that finds the connection lost (the server
    restarted, an idle connection was cut) reconnects and runs once more;
    writes never do: their transaction is gone and the caller must know.
    """

    def wrapper(self: _Self, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        what = method.__name__.strip("_").replace("_", " ")
        try:
            return method(self, *args, **kwargs)
        except psycopg.Error as exc:
            if self._in_transaction or self._in_snapshot or not self.conn.broken:
                raise self._error(exc, what) from exc
            error = exc
        try:
            self._reconnect()
            return method(self, *args, **kwargs)
        except psycopg.Error as exc:
            raise self._error(exc, what) from error

    functools.update_wrapper(wrapper, method)
    return wrapper


def lock_key(schema: str) -> str:
    """Name of the advisory lock that writers of the atlas in ``schema`` take.

    The lock itself is ``pg_advisory_xact_lock(hashtextextended(name, 0))``;
    an administrator can hold it to pause every writer of one atlas.
    """
    return f"camatlas:{schema}"


def _ident(*names: str) -> sql.Identifier:
    return sql.Identifier(*names)


def _columns(names: Iterable[str], prefix: str | None = None) -> sql.Composed:
    if prefix is None:
        return sql.SQL(", ").join(_ident(n) for n in names)
    return sql.SQL(", ").join(_ident(prefix, n) for n in names)


def _hex_ewkb(geometries: Sequence[Any] | np.ndarray[Any, Any]) -> list[str | None]:
    """Hex EWKB with SRID 4326 of each geometry (``None`` for missing ones)."""
    array = np.asarray(geometries, dtype=object)
    if len(array) == 0:
        return []
    array = shapely.set_srid(array, WGS84)
    return list(shapely.to_wkb(array, hex=True, include_srid=True, byte_order=1))


class PostGISStore:
    """An atlas kept in one schema of a PostgreSQL/PostGIS database.

    Parameters
    ----------
    url
        A ``postgresql://`` URL; ``?schema=NAME`` chooses the schema (default
        ``camatlas``). The password, if the URL has one, is never printed.
    create
        Whether a missing atlas may be created (the schema, its tables and,
        if missing and allowed, the PostGIS extension).
    read_only
        Open the atlas so that nothing can be written through this store: every
        transaction of the connection is read-only.
    schema
        Overrides the URL's schema.
    """

    def __init__(
        self,
        url: str,
        *,
        create: bool = True,
        read_only: bool = False,
        schema: str | None = None,
    ) -> None:
        parsed = parse_postgres_url(url, schema=schema)
        self.url = parsed.display
        self.read_only = read_only
        self.schema = parsed.schema
        self.database = parsed.database
        self._password = parsed.password
        self._in_transaction = False
        self._in_snapshot = False
        self._written: dict[str, int] = {}
        self._conninfo = parsed.conninfo
        self.conn = self._connect()
        try:
            self._open(create and not read_only)
        except BaseException:
            self.conn.close()
            raise

    def _connect(self) -> psycopg.Connection[Any]:
        given = conninfo_to_dict(self._conninfo) if self._conninfo else {}
        defaults: dict[str, Any] = {}
        if "application_name" not in given:
            defaults["application_name"] = APPLICATION_NAME
        if "connect_timeout" not in given:
            defaults["connect_timeout"] = 10
        try:
            return psycopg.connect(self._conninfo, autocommit=True, **defaults)
        except psycopg.Error as exc:
            # Not chained: the original error text may quote the connection string.
            raise AtlasError(
                f"{self.url}: cannot connect to the PostgreSQL server: "
                f"{scrub(str(exc).strip(), self._password)}"
            ) from None

    def _reconnect(self) -> None:
        self.conn.close()
        self.conn = self._connect()
        self._set_search_path()
        self._set_read_only()

    def _set_read_only(self) -> None:
        if self.read_only:
            # Session-wide, so it holds for autocommit statements too.
            self.conn.execute("SET default_transaction_read_only = on")

    # -- errors ------------------------------------------------------------------

    def _error(self, exc: psycopg.Error, what: str) -> AtlasError:
        if self.conn.broken or (isinstance(exc, psycopg.OperationalError) and self.conn.closed):
            text = (
                "lost the connection to the PostgreSQL server; the server rolls back "
                "whatever was not committed"
            )
        else:
            text = scrub(
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                self._password,
            )
        return AtlasError(f"{self.url}: {what} failed: {text}")

    # -- opening, creating, migrating ---------------------------------------------

    def _open(self, create: bool) -> None:
        try:
            state = self._state()
            if state == "missing":
                if not create:
                    raise AtlasError(
                        f"{self.url}: no atlas here (no schema {self.schema!r} with camatlas "
                        f"tables); create one with `camatlas import FILE --atlas {self.url}`"
                    )
                self._create()
            elif state == "foreign":
                raise AtlasError(self._foreign_message())
            self._set_search_path()
            self._check_version()
            self._set_read_only()
        except psycopg.Error as exc:
            raise self._error(exc, "opening the atlas") from exc

    def _foreign_message(self) -> str:
        return (
            f"{self.url}: schema {self.schema!r} holds tables named like an atlas's, but not a "
            "camatlas atlas; choose another schema with ?schema=NAME"
        )

    def _state(self) -> str:
        """``atlas``, ``missing`` or ``foreign`` (our table names, but no camatlas_schema)."""
        rows = self.conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
            "AND c.relname = ANY(%s)",
            (self.schema, ["camatlas_schema", *LAYERS, *TABLE_COLUMNS]),
        ).fetchall()
        names = {r[0] for r in rows}
        if "camatlas_schema" in names:
            return "atlas"
        return "foreign" if names else "missing"

    def _postgis_schema(self) -> str | None:
        row = self.conn.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'postgis'"
        ).fetchone()
        return None if row is None else str(row[0])

    def _set_search_path(self, local: bool = False) -> None:
        postgis = self._postgis_schema()
        if postgis is None:
            raise AtlasError(
                f"{self.url}: the PostGIS extension is not installed in database "
                f"{self.database or '(default)'}; ask a superuser to run "
                "`CREATE EXTENSION postgis;` there"
            )
        path = sql.SQL(", ").join([_ident(self.schema), _ident(postgis)])
        self.conn.execute(
            sql.SQL("SET {} search_path TO {}").format(sql.SQL("LOCAL" if local else ""), path)
        )

    def _lock(self, key: str) -> None:
        """Take the transaction-level advisory lock named ``key`` (waits for its holder)."""
        self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))

    def _lock_key(self) -> str:
        return lock_key(self.schema)

    def _create(self) -> None:
        with self.conn.transaction():
            # One creator at a time in this database: CREATE EXTENSION and CREATE
            # SCHEMA race with themselves otherwise.
            self._lock("camatlas:create")
            if self._postgis_schema() is None:
                try:
                    with self.conn.transaction():
                        self.conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except psycopg.Error as exc:
                    raise AtlasError(
                        f"{self.url}: the PostGIS extension is not installed in database "
                        f"{self.database or '(default)'} and could not be installed "
                        f"({scrub(str(exc).strip().splitlines()[0], self._password)}); ask a "
                        "superuser to run `CREATE EXTENSION postgis;` in that database once"
                    ) from None
            exists = self.conn.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
            ).fetchone()
            try:
                if exists is None:  # CREATE SCHEMA IF NOT EXISTS still wants CREATE on the db
                    with self.conn.transaction():
                        self.conn.execute(sql.SQL("CREATE SCHEMA {}").format(_ident(self.schema)))
            except psycopg.errors.InsufficientPrivilege:
                raise AtlasError(
                    f"{self.url}: may not create schema {self.schema!r}: the role needs CREATE "
                    "on the database, or an administrator can create the schema for it "
                    f"(CREATE SCHEMA {self.schema} AUTHORIZATION the_role)"
                ) from None
            self._set_search_path(local=True)
            state = self._state()
            if state == "atlas":  # made by another process while we waited
                return
            if state == "foreign":
                raise AtlasError(self._foreign_message())
            self._lock(self._lock_key())
            for statement in _schema_sql():
                self.conn.execute(statement)
            self.conn.execute(
                "INSERT INTO camatlas_schema (key, value) VALUES ('schema_version', %s)",
                (str(SCHEMA_VERSION),),
            )

    def _version(self) -> int:
        row = self.conn.execute(
            "SELECT value FROM camatlas_schema WHERE key = 'schema_version'"
        ).fetchone()
        return int(row[0]) if row else 0

    def _check_version(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise AtlasError(
                f"{self.url}: written by a newer camatlas (schema version {version}, "
                f"this camatlas reads up to {SCHEMA_VERSION}); upgrade camatlas to open it"
            )
        if version < SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        with self.conn.transaction():
            self._lock(self._lock_key())
            version = self._version()  # again, under the lock
            while version < SCHEMA_VERSION:
                steps = _migration_sql(version)
                if steps is None:
                    raise AtlasError(
                        f"{self.url}: cannot upgrade an atlas of schema version {version} "
                        f"to {SCHEMA_VERSION}: no migration is known"
                    )
                for statement in steps:
                    self.conn.execute(statement)
                version += 1
            self.conn.execute(
                "UPDATE camatlas_schema SET value = %s WHERE key = 'schema_version'",
                (str(version),),
            )

    @property
    def schema_version(self) -> int:
        """The schema version of the atlas as stored."""
        return self._version()

    # -- lifecycle ---------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, serialized with every other writer of this atlas.

        Rolled back on any error (or by the server, when the client dies).
        """
        if self.read_only:
            raise AtlasError(f"{self.url}: the atlas is open read-only")
        if self._in_transaction:
            raise AtlasError(f"{self.url}: nested transactions are not supported")
        self._in_transaction = True
        self._written = {}
        try:
            try:  # nothing is written yet: a connection lost since the last call is renewed
                self.conn.execute("SELECT 1")
            except psycopg.OperationalError:
                if not self.conn.broken:
                    raise
                self._reconnect()
            with self.conn.transaction():
                self._lock(self._lock_key())
                yield
                self._analyze_written()
        except psycopg.Error as exc:
            raise self._error(exc, "the transaction") from exc
        finally:
            self._in_transaction = False

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the atlas, whatever other writers commit meanwhile.

        A read-only ``REPEATABLE READ`` transaction; ``camatlas copy`` reads its
        source inside one, so a copy taken while others import is consistent.
        """
        if self._in_transaction or self._in_snapshot:
            raise AtlasError(f"{self.url}: a snapshot cannot be nested in a transaction")
        self._in_snapshot = True
        try:
            with self.conn.transaction():
                self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield
        except psycopg.Error as exc:
            raise self._error(exc, "the snapshot") from exc
        finally:
            self._in_snapshot = False

    def _analyze_written(self) -> None:
        # Fresh statistics keep the planner on the GiST index right after a big load.
        for table, rows in self._written.items():
            if rows >= _ANALYZE_AFTER_ROWS:
                self.conn.execute(sql.SQL("ANALYZE {}").format(_ident(table)))

    def _require_transaction(self) -> None:
        if not self._in_transaction:
            raise AtlasError(f"{self.url}: writes must happen inside store.transaction()")

    # -- low-level helpers -------------------------------------------------------

    def _allocate(self, table: str, n: int) -> int:
        """Reserve ``n`` consecutive fids of ``table``; return the first."""
        row = self.conn.execute(
            "INSERT INTO camatlas_schema (key, value) VALUES (%s, %s) ON CONFLICT (key) "
            "DO UPDATE SET value = (camatlas_schema.value::bigint + %s)::text RETURNING value",
            (f"fid:{table}", str(n), n),
        ).fetchone()
        assert row is not None
        return int(row[0]) - n + 1

    def _stage(self, name: str, columns: Sequence[tuple[str, str]]) -> sql.Identifier:
        """A fresh temporary table (dropped at commit) with ``columns`` (name, SQL type)."""
        table = _ident("pg_temp", name)
        self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        self.conn.execute(
            sql.SQL("CREATE TEMPORARY TABLE {} ({}) ON COMMIT DROP").format(
                _ident(name),
                sql.SQL(", ").join(
                    sql.SQL("{} {}").format(_ident(c), sql.SQL(t)) for c, t in columns
                ),
            )
        )
        return table

    def _copy(
        self, table: sql.Composable, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        query = sql.SQL("COPY {} ({}) FROM STDIN").format(table, _columns(columns))
        with self.conn.cursor() as cur, cur.copy(query) as copy:
            for row in rows:
                copy.write_row(row)

    def _count_written(self, table: str, rows: int) -> None:
        self._written[table] = self._written.get(table, 0) + rows

    # -- writes ------------------------------------------------------------------

    @_translated
    def _upsert(
        self,
        layer: str,
        rows: list[tuple[Any, ...]],
        *,
        geometries: Sequence[Any] | None = None,
        lonlat: tuple[Sequence[float], Sequence[float]] | None = None,
        keep: Sequence[str] = (),
    ) -> None:
        """Insert or update ``rows`` (LAYER_COLUMNS order) by id.

        Geometry comes as shapely ``geometries`` or, for points, as ``lonlat``
        arrays, which the server turns into points (cheaper than WKB).
        """
        self._require_transaction()
        if not rows:
            return
        names = [name for name, _ in LAYER_COLUMNS[layer]]
        kinds = dict(LAYER_COLUMNS[layer])
        # Within one batch the last record of an id wins, at the place of its
        # first one; each record uses up one fid, as with SQLite's AUTOINCREMENT.
        first: dict[Any, int] = {}
        last: dict[Any, int] = {}
        for i, row in enumerate(rows):
            first.setdefault(row[0], i)
            last[row[0]] = i
        shape: list[tuple[Any, ...]]
        if lonlat is not None:
            shape_columns = [("lon", "double precision"), ("lat", "double precision")]
            shape = list(zip(*lonlat, strict=True))
            geom = sql.SQL("ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326)")
        else:
            shape_columns = [("geom", "geometry")]
            shape = [(g,) for g in _hex_ewkb(geometries or [])]
            geom = sql.SQL("s.geom")
        stage = self._stage(
            f"_camatlas_stage_{layer}",
            [("ord", "bigint"), *shape_columns, *((n, _SQL_TYPES[kinds[n]]) for n in names)],
        )
        self._copy(
            stage,
            ["ord", *(c for c, _ in shape_columns), *names],
            ((first[key] + 1, *shape[i], *rows[i]) for key, i in last.items()),
        )
        updated = [n for n in names if n != "id" and n not in keep]
        self.conn.execute(
            sql.SQL(
                "UPDATE {layer} AS t SET geom = {geom}, {sets} FROM {stage} AS s WHERE t.id = s.id"
            ).format(
                layer=_ident(layer),
                geom=geom,
                sets=sql.SQL(", ").join(
                    sql.SQL("{} = s.{}").format(_ident(n), _ident(n)) for n in updated
                ),
                stage=stage,
            )
        )
        base = self._allocate(layer, len(rows)) - 1
        cur = self.conn.execute(
            sql.SQL(
                "INSERT INTO {layer} (fid, geom, {cols}) SELECT %s + s.ord, {geom}, {scols} "
                "FROM {stage} AS s WHERE NOT EXISTS "
                "(SELECT 1 FROM {layer} AS t WHERE t.id = s.id) ORDER BY s.ord"
            ).format(
                layer=_ident(layer),
                geom=geom,
                cols=_columns(names),
                scols=_columns(names, "s"),
                stage=stage,
            ),
            (base,),
        )
        self._count_written(layer, max(cur.rowcount, 0))

    def upsert_records(self, layer: str, records: Records) -> None:
        rows = record_rows(check_layer(layer), records)
        if layer == "cameras":
            cameras: Any = records
            lonlat = ([float(c.lon) for c in cameras], [float(c.lat) for c in cameras])
            # physical_id is owned by the linking step: an update must not reset it.
            self._upsert(layer, rows, lonlat=lonlat, keep=("physical_id",))
            return
        shapes = [r.geometry for r in records]  # type: ignore[union-attr]
        if GEOMETRY_TYPES[layer] == "MULTIPOLYGON":
            shapes = list(as_multipolygons(shapes))
        self._upsert(layer, rows, geometries=shapes)

    def upsert_rows(self, layer: str, frame: gpd.GeoDataFrame) -> None:
        rows = layer_rows(check_layer(layer), frame, booleans=bool)
        self._upsert(layer, rows, geometries=list(frame.geometry.to_numpy()))

    @_translated
    def has_source(self, sha256: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM sources WHERE sha256 = %s", (sha256,)).fetchone()
        return row is not None

    @_translated
    def add_source(self, record: SourceRecord, report: Sequence[ReportRow]) -> int:
        self._require_transaction()
        names = [name for name, _ in TABLE_COLUMNS["sources"]]
        fid = self._allocate("sources", 1)
        self.conn.execute(
            sql.SQL("INSERT INTO sources (fid, {}) VALUES (%s, {})").format(
                _columns(names), sql.SQL(", ").join(sql.Placeholder() * len(names))
            ),
            (fid, *(getattr(record, n) for n in names)),
        )
        if report:
            first = self._allocate("normalization_report", len(report))
            self._copy(
                _ident("normalization_report"),
                ["fid", "source_fid", "key", "value", "reason", "count", "example_ids"],
                (
                    (first + i, fid, r.key, r.value, r.reason, r.count, r.example_ids)
                    for i, r in enumerate(report)
                ),
            )
        return fid

    @_translated
    def replace_links(self, camera_ids: Sequence[str], links: Sequence[Link]) -> None:
        self._require_transaction()
        if camera_ids:
            touched = self._stage("_camatlas_touched", [("id", "text")])
            self._copy(touched, ["id"], ((i,) for i in camera_ids))
            self.conn.execute(
                sql.SQL(
                    "DELETE FROM camera_links WHERE camera_a IN (SELECT id FROM {t}) "
                    "OR camera_b IN (SELECT id FROM {t})"
                ).format(t=touched)
            )
        if not links:
            return
        # Like INSERT OR REPLACE: a pair given twice keeps its last distance.
        pairs = {(lk.camera_a, lk.camera_b): lk.distance_m for lk in links}
        first = self._allocate("camera_links", len(links))
        stage = self._stage(
            "_camatlas_links",
            [
                ("fid", "bigint"),
                ("camera_a", "text"),
                ("camera_b", "text"),
                ("distance_m", "double precision"),
            ],
        )
        self._copy(
            stage,
            ["fid", "camera_a", "camera_b", "distance_m"],
            ((first + i, a, b, d) for i, ((a, b), d) in enumerate(pairs.items())),
        )
        self.conn.execute(
            sql.SQL(
                "INSERT INTO camera_links (fid, camera_a, camera_b, distance_m) "
                "SELECT fid, camera_a, camera_b, distance_m FROM {} ORDER BY fid "
                "ON CONFLICT (camera_a, camera_b) DO UPDATE "
                "SET fid = excluded.fid, distance_m = excluded.distance_m"
            ).format(stage)
        )
        self._count_written("camera_links", len(pairs))

    @_translated
    def set_physical_ids(self, mapping: dict[str, str]) -> None:
        self._require_transaction()
        if not mapping:
            return
        stage = self._stage("_camatlas_physical", [("id", "text"), ("physical_id", "text")])
        self._copy(stage, ["id", "physical_id"], mapping.items())
        self.conn.execute(
            sql.SQL(
                "UPDATE cameras AS c SET physical_id = m.physical_id FROM {} AS m "
                "WHERE c.id = m.id AND c.physical_id IS DISTINCT FROM m.physical_id"
            ).format(stage)
        )

    @_translated
    def clear(self) -> None:
        """Empty the atlas (every layer, table and result layer); inside :meth:`transaction`.

        Used by ``camatlas copy --replace``: the destination is emptied and
        refilled in one transaction, so a failed copy leaves it as it was.
        """
        self._require_transaction()
        for (name,) in self.conn.execute("SELECT name FROM results").fetchall():
            self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(_ident(name)))
        self.conn.execute(sql.SQL("TRUNCATE {}").format(_columns([*LAYERS, *TABLE_COLUMNS])))
        self.conn.execute("DROP TABLE IF EXISTS camatlas_blobs")
        self.conn.execute("DELETE FROM camatlas_schema WHERE key LIKE 'fid:%'")

    # -- reads -------------------------------------------------------------------

    @staticmethod
    def _bbox_clause(
        bbox: BBox | None, column: str = "geom"
    ) -> tuple[sql.Composable, tuple[float, ...]]:
        if bbox is None:
            return sql.SQL(""), ()
        west, south, east, north = (float(v) for v in bbox)
        geom = _ident("t", column)
        clause = sql.SQL(" WHERE {} && ST_MakeEnvelope(%s, %s, %s, %s, 4326)").format(geom)
        params: tuple[float, ...] = (
            min(west, east),
            min(south, north),
            max(west, east),
            max(south, north),
        )
        if west > east or south > north:
            # Keep the GeoPackage's reading of an inverted box: envelopes with
            # minx <= east, maxx >= west, miny <= north and maxy >= south.
            clause += sql.SQL(
                " AND ST_XMin({g}) <= %s AND ST_XMax({g}) >= %s "
                "AND ST_YMin({g}) <= %s AND ST_YMax({g}) >= %s"
            ).format(g=geom)
            params += (east, west, north, south)
        return clause, params

    @_translated
    def camera_points(self, bbox: BBox | None = None) -> pd.DataFrame:
        where, params = self._bbox_clause(bbox)
        with self.conn.cursor(binary=True) as cur:
            cur.execute(
                sql.SQL(
                    "SELECT t.id, ST_X(t.geom), ST_Y(t.geom), t.kind, t.source "
                    "FROM cameras AS t{} ORDER BY t.fid"
                ).format(where),
                params,
            )
            rows = cur.fetchall()
        return pd.DataFrame(
            {
                "id": [r[0] for r in rows],
                "lon": np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)
                if rows
                else [],
                "lat": np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=float)
                if rows
                else [],
                "kind": [r[3] for r in rows],
                "source": [r[4] for r in rows],
            }
        ).astype({"lon": "float64", "lat": "float64"})

    @_translated
    def read_layer(self, layer: str, bbox: BBox | None = None) -> gpd.GeoDataFrame:
        names = [name for name, _ in LAYER_COLUMNS[check_layer(layer)]]
        where, params = self._bbox_clause(bbox)
        with self.conn.cursor(binary=True) as cur:
            cur.execute(
                sql.SQL("SELECT ST_AsBinary(t.geom), {} FROM {} AS t{} ORDER BY t.fid").format(
                    _columns(names, "t"), _ident(layer), where
                ),
                params,
            )
            rows = cur.fetchall()
        frame = pd.DataFrame([r[1:] for r in rows], columns=names)
        for name in BOOLEAN_COLUMNS[layer]:
            frame[name] = frame[name].fillna(False).astype(bool)
        geometry: list[Any] = list(shapely.from_wkb([r[0] for r in rows])) if rows else []
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{WGS84}")

    @_translated
    def read_table(self, table: str) -> pd.DataFrame:
        if table not in TABLE_COLUMNS:
            raise NotFoundError(f"no table {table!r}; the tables are {', '.join(TABLE_COLUMNS)}")
        names = [name for name, _ in TABLE_COLUMNS[table]]
        rows = self.conn.execute(
            sql.SQL("SELECT fid, {} FROM {} ORDER BY fid").format(_columns(names), _ident(table))
        ).fetchall()
        return pd.DataFrame(rows, columns=["fid", *names])

    @_translated
    def layer_columns(self, layer: str, columns: Sequence[str]) -> pd.DataFrame:
        names = check_layer_columns(layer, columns)
        rows = self.conn.execute(
            sql.SQL("SELECT {} FROM {} ORDER BY fid").format(_columns(names), _ident(layer))
        ).fetchall()
        return pd.DataFrame(rows, columns=names)

    def links(self) -> pd.DataFrame:
        return self.read_table("camera_links").drop(columns="fid")

    @_translated
    def count(self, name: str) -> int:
        row = self.conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(_ident(check_table(name)))
        ).fetchone()
        return int(row[0]) if row else 0

    @_translated
    def line_ends(self, layer: str) -> pd.DataFrame:
        rows = self.conn.execute(
            sql.SQL("SELECT id, ST_AsBinary(geom) FROM {} ORDER BY fid").format(
                _ident(check_layer(layer))
            )
        ).fetchall()
        geoms = shapely.from_wkb([None if g is None else bytes(g) for _, g in rows])
        frame = pd.DataFrame(line_ends(geoms), columns=["x0", "y0", "x1", "y1"])
        frame.insert(0, "id", [i for i, _ in rows])
        return frame

    # -- result layers -----------------------------------------------------------

    def _table_exists(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            (self.schema, name),
        ).fetchone()
        return row is not None

    @_translated
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
        registered = self.conn.execute("SELECT 1 FROM results WHERE name = %s", (name,)).fetchone()
        if registered:
            self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(_ident(name)))
            self.conn.execute("DELETE FROM results WHERE name = %s", (name,))
        elif self._table_exists(name):
            raise AtlasError(
                f"{self.url}: schema {self.schema!r} already has a table {name!r} that is not "
                "a result layer; choose another name"
            )
        definitions: list[sql.Composable] = [sql.SQL("fid bigint PRIMARY KEY")]
        gtype = prepared.geometry_type
        if prepared.geometry is not None:
            if prepared.has_z is None:
                column_type = "geometry"
            else:
                suffix = "Z" if prepared.has_z else ""
                column_type = f"geometry({_TYPMODS[gtype]}{suffix}, {WGS84})"
            definitions.append(sql.SQL("geom {}").format(sql.SQL(column_type)))
        definitions += [
            sql.SQL("{} {}").format(_ident(c), sql.SQL(_SQL_TYPES[k])) for c, k in prepared.columns
        ]
        self.conn.execute(
            sql.SQL("CREATE TABLE {} ({})").format(_ident(name), sql.SQL(", ").join(definitions))
        )
        geometry, present, n_rows = prepared.geometry, prepared.present, prepared.rows
        columns = ["fid", *(["geom"] if geometry is not None else []), *dict(prepared.columns)]
        fids = range(1, n_rows + 1)
        if geometry is not None and present is not None:
            wkb: list[str | None] = [None] * len(geometry)
            for i, text in zip(np.flatnonzero(present), _hex_ewkb(geometry[present]), strict=True):
                wkb[i] = text
            rows: Iterable[tuple[Any, ...]] = zip(fids, wkb, *prepared.values, strict=True)
        elif prepared.values:
            rows = zip(fids, *prepared.values, strict=True)
        else:
            rows = ((fid,) for fid in fids)
        self._copy(_ident(name), columns, rows)
        if geometry is not None:
            self.conn.execute(
                sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(
                    _ident(f"{name}_geom_idx"[:63]), _ident(name)
                )
            )
        self._count_written(name, n_rows)
        fid = self._allocate("results", 1)
        self.conn.execute(
            "INSERT INTO results (fid, name, geometry_type, rows, parameters, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (
                fid,
                name,
                gtype,
                n_rows,
                json.dumps(parameters, sort_keys=True, default=str),
                created_at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        )

    def _result_declared(self, name: str) -> list[tuple[str, str]]:
        """(column, declared GeoPackage-style type) of a result table, without fid and geom."""
        rows = self.conn.execute(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped "
            "ORDER BY a.attnum",
            (sql.Identifier(self.schema, name).as_string(self.conn),),
        ).fetchall()
        return [
            (str(column), _DECLARED.get(str(kind), "TEXT"))
            for column, kind in rows
            if column not in ("fid", "geom")
        ]

    def _registered(self, name: str) -> str:
        check_result_name(name)
        row = self.conn.execute(
            "SELECT geometry_type FROM results WHERE name = %s", (name,)
        ).fetchone()
        if row is None:
            raise no_result(self.url, name)
        return str(row[0] or "")

    @_translated
    def result_columns(self, name: str) -> list[tuple[str, str]]:
        self._registered(name)
        return [(c, _KINDS[t]) for c, t in self._result_declared(name)]

    @_translated
    def read_result(self, name: str, bbox: BBox | None = None) -> pd.DataFrame:
        gtype = self._registered(name)
        columns = self._result_declared(name)
        # Booleans come back as 0/1, as from the GeoPackage, for the shared typing rules.
        select = sql.SQL(", ").join(
            sql.SQL("t.{}::int").format(_ident(c)) if t == "BOOLEAN" else _ident("t", c)
            for c, t in columns
        )
        names = [c for c, _ in columns]
        if not gtype:
            rows = self.conn.execute(
                sql.SQL("SELECT {} FROM {} AS t ORDER BY t.fid").format(
                    select if columns else sql.SQL("1"), _ident(name)
                )
            ).fetchall()
            return typed_frame(pd.DataFrame(rows, columns=names or None), columns)
        where, params = self._bbox_clause(bbox)
        with self.conn.cursor(binary=True) as cur:
            cur.execute(
                sql.SQL("SELECT ST_AsBinary(t.geom){} FROM {} AS t{} ORDER BY t.fid").format(
                    sql.SQL(", ") + select if columns else sql.SQL(""), _ident(name), where
                ),
                params,
            )
            fetched = cur.fetchall()
        frame = typed_frame(pd.DataFrame([r[1:] for r in fetched], columns=names), columns)
        geoms: list[Any] = list(shapely.from_wkb([r[0] for r in fetched])) if fetched else []
        result: pd.DataFrame = gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{WGS84}")
        return result

    def results(self) -> pd.DataFrame:
        return self.read_table("results").drop(columns="fid")

    @_translated
    def version(self) -> AtlasVersion:
        sources, results = (self.conn.execute(q).fetchall() for q in VERSION_SQL)
        return atlas_version(sources, results)

    # -- stored data -------------------------------------------------------------

    @_translated
    def write_blob(
        self, name: str, data: bytes, parameters: dict[str, Any], *, created_at: str | None = None
    ) -> None:
        self._require_transaction()
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS camatlas_blobs (name text PRIMARY KEY, "
            "created_at text NOT NULL, parameters text NOT NULL, data bytea NOT NULL)"
        )
        self.conn.execute(
            "INSERT INTO camatlas_blobs (name, created_at, parameters, data) VALUES (%s, "
            "COALESCE(%s, to_char(now() AT TIME ZONE 'UTC', "
            '\'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\')), %s, %s) '
            "ON CONFLICT (name) DO UPDATE SET created_at = excluded.created_at, "
            "parameters = excluded.parameters, data = excluded.data",
            (name, created_at, json.dumps(parameters, sort_keys=True, default=str), data),
        )

    @_translated
    def blob_names(self) -> list[str]:
        if not self._table_exists("camatlas_blobs"):
            return []
        rows = self.conn.execute("SELECT name FROM camatlas_blobs ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    @_translated
    def read_blob(self, name: str) -> tuple[bytes, dict[str, Any], str] | None:
        if not self._table_exists("camatlas_blobs"):
            return None
        row = self.conn.execute(
            "SELECT data, parameters, created_at FROM camatlas_blobs WHERE name = %s", (name,)
        ).fetchone()
        if row is None:
            return None
        return bytes(row[0]), json.loads(row[1]), str(row[2])


def _schema_sql() -> list[sql.Composed | sql.SQL]:
    """Tables and indexes of a new atlas (run with the atlas schema first on the search path)."""
    statements: list[sql.Composed | sql.SQL] = [
        sql.SQL("CREATE TABLE camatlas_schema (key text PRIMARY KEY, value text NOT NULL)")
    ]
    for layer in LAYERS:
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(_ident(n), sql.SQL(_SQL_TYPES[k]))
            for n, k in LAYER_COLUMNS[layer]
        )
        typmod = _TYPMODS[GEOMETRY_TYPES[layer]]
        statements += [
            sql.SQL(
                "CREATE TABLE {} (fid bigint PRIMARY KEY, geom geometry({}, 4326), {}, UNIQUE (id))"
            ).format(_ident(layer), sql.SQL(typmod), columns),
            sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(
                _ident(f"{layer}_geom_idx"), _ident(layer)
            ),
        ]
    for table, cols in TABLE_COLUMNS.items():
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(_ident(n), sql.SQL(_SQL_TYPES[k])) for n, k in cols
        )
        statements.append(
            sql.SQL("CREATE TABLE {} (fid bigint PRIMARY KEY, {})").format(_ident(table), columns)
        )
    statements += [
        sql.SQL("CREATE UNIQUE INDEX sources_sha256 ON sources (sha256)"),
        sql.SQL("CREATE UNIQUE INDEX camera_links_pair ON camera_links (camera_a, camera_b)"),
        sql.SQL("CREATE INDEX camera_links_b ON camera_links (camera_b)"),
        sql.SQL("CREATE INDEX cameras_physical_id ON cameras (physical_id)"),
        sql.SQL("CREATE UNIQUE INDEX results_name ON results (name)"),
        sql.SQL("CREATE INDEX normalization_report_source ON normalization_report (source_fid)"),
    ]
    return statements
