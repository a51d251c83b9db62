"""What is particular to an atlas on a PostgreSQL/PostGIS server.

Schema, types and indexes; versions and migrations; privileges; passwords
never printed; every command on a postgresql:// URL; concurrent importers;
and a client or a server killed in the middle of an import. Everything runs
against the real throwaway cluster of the ``postgres`` fixture (conftest.py):
no mocks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

import camatlas
import camatlas.store.postgis as postgis
from camatlas.errors import AtlasError
from camatlas.store.postgis import PostGISStore, lock_key
from camatlas.store.schema import LAYERS, SCHEMA_VERSION
from tests.cli import run_camatlas, start_camatlas
from tests.factories import DEG_PER_M_LAT, camera, osm_data, small_city, source_data
from tests.postgis import TEST_DATABASE, PostgresCluster, atlas_sql

REPO = Path(__file__).resolve().parent.parent


def new_url(postgres: PostgresCluster) -> str:
    return postgres.url(schema=f"t_{uuid.uuid4().hex[:16]}")


def schema_of(url: str) -> str:
    return url.rsplit("schema=", 1)[1]


def start_import(csv: Path, url: str) -> subprocess.Popen[str]:
    return start_camatlas("import", csv, "--atlas", url, "--json")


def write_csv(path: Path, rows: list[tuple[str, float, float]]) -> Path:
    lines = ["id,latitude,longitude"] + [f"{i},{lat:.8f},{lon:.8f}" for i, lat, lon in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def content(url: str) -> tuple[Any, ...]:
    """What an atlas holds, to compare before and after."""
    with camatlas.open_atlas(url, create=False) as atlas:
        cams = atlas.cameras()
        return (
            len(cams),
            tuple(sorted(cams["id"])),
            tuple(sorted(atlas.sources()["sha256"])),
            len(atlas.links()),
            tuple(atlas.count(layer) for layer in LAYERS),
        )


# --- the atlas in the database ----------------------------------------------------------


def test_layers_are_postgis_types_with_gist_indexes(postgres: PostgresCluster) -> None:
    import geopandas as gpd
    import shapely

    url = new_url(postgres)
    schema = schema_of(url)
    with camatlas.open_atlas(url) as atlas:
        atlas.import_data(osm_data(), sha256="a" * 64)
        views = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
        atlas.write_results({"views": views}, {})
    columns = dict(
        (r[0], (r[1], r[2]))
        for r in postgres.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s",
            (schema,),
        )
    )
    assert columns == {
        "cameras": ("POINT", 4326),
        "streets": ("LINESTRING", 4326),
        "buildings": ("MULTIPOLYGON", 4326),
        "areas": ("MULTIPOLYGON", 4326),
        "views": ("POLYGON", 4326),
    }
    gist = {
        r[0]
        for r in postgres.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE %s",
            (schema, "%USING gist (geom)%"),
        )
    }
    assert gist == {*LAYERS, "views"}
    version = atlas_sql(url, "SELECT value FROM camatlas_schema WHERE key = 'schema_version'")
    assert version == [(str(SCHEMA_VERSION),)]
    # Right after a bulk load the planner already knows the table (it was analyzed
    # before the commit) and answers a small box from the GiST index.
    grid = [
        camera("grid", str(i), -8.0 + (i % 150) * 1e-3, 41.0 + (i // 150) * 1e-3)
        for i in range(15_000)
    ]
    with camatlas.open_atlas(url) as atlas:
        atlas.import_data(source_data("grid", grid), sha256="b" * 64)
    plan = "\n".join(
        r[0]
        for r in postgres.execute(
            f'EXPLAIN SELECT id FROM "{schema}".cameras WHERE geom && '
            "ST_MakeEnvelope(-7.95, 41.05, -7.949, 41.051, 4326)"
        )
    )
    assert "cameras_geom_idx" in plan, plan


def test_schema_comes_from_the_url_or_defaults_to_camatlas(postgres: PostgresCluster) -> None:
    postgres.create_database("schemas")
    with camatlas.open_atlas(postgres.url("schemas")) as atlas:
        assert atlas.url.endswith("/schemas")
    camatlas.open_atlas(postgres.url("schemas", schema="porto")).close()
    PostGISStore(postgres.url("schemas", schema="porto"), schema="lisbon").close()
    made = {
        r[0]
        for r in postgres.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'cameras'",
            database="schemas",
        )
    }
    assert made == {"camatlas", "porto", "lisbon"}


def test_an_atlas_with_no_known_migration_is_refused(
    postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = new_url(postgres)
    camatlas.open_atlas(url).close()
    monkeypatch.setattr(postgis, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(AtlasError, match=rf"schema version {SCHEMA_VERSION} .*no migration"):
        camatlas.open_atlas(url)
    monkeypatch.undo()
    with closing(PostGISStore(url)) as store:  # nothing was changed
        assert store.schema_version == SCHEMA_VERSION


def test_missing_and_foreign_schemas_are_refused_clearly(postgres: PostgresCluster) -> None:
    url = new_url(postgres)
    with pytest.raises(AtlasError, match="no atlas here"):
        camatlas.open_atlas(url, create=False)
    assert not postgres.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema_of(url),)
    ), "opening with create=False creates nothing"
    schema = schema_of(url)
    postgres.execute(f'CREATE SCHEMA "{schema}"')
    postgres.execute(f'CREATE TABLE "{schema}".cameras (id int)')
    with pytest.raises(AtlasError, match="not a camatlas atlas"):
        camatlas.open_atlas(url)
    with pytest.raises(AtlasError, match="schema 'bad-name' is not a plain identifier"):
        camatlas.open_atlas(postgres.url(schema="bad-name"))


def test_privileges_needed_are_named(postgres: PostgresCluster) -> None:
    postgres.create_database("newsroom", postgis=False)
    postgres.execute("CREATE ROLE reporter LOGIN")
    reporter = postgres.url("newsroom", schema="desk", user="reporter")
    # No PostGIS, and a role that may not install it.
    with pytest.raises(AtlasError, match=r"CREATE EXTENSION postgis;` in that database"):
        camatlas.open_atlas(reporter)
    # A superuser installs it on first use.
    camatlas.open_atlas(postgres.url("newsroom", schema="admin")).close()
    assert postgres.execute(
        "SELECT 1 FROM pg_extension WHERE extname = 'postgis'", database="newsroom"
    )
    # Without CREATE on the database the role cannot make its schema ...
    with pytest.raises(AtlasError, match="may not create schema 'desk'"):
        camatlas.open_atlas(reporter)
    # ... but an administrator can give it one.
    postgres.execute("CREATE SCHEMA desk AUTHORIZATION reporter", database="newsroom")
    with camatlas.open_atlas(reporter) as atlas:
        atlas.import_data(osm_data(), sha256="a" * 64)
        assert len(atlas.cameras()) == 2
    # Another role with read access only can query, but not import.
    postgres.execute("CREATE ROLE reader LOGIN")
    for grant in (
        "GRANT USAGE ON SCHEMA desk TO reader",
        "GRANT SELECT ON ALL TABLES IN SCHEMA desk TO reader",
    ):
        postgres.execute(grant, database="newsroom")
    with camatlas.open_atlas(postgres.url("newsroom", schema="desk", user="reader")) as atlas:
        assert len(atlas.cameras()) == 2
        with pytest.raises(AtlasError, match="permission denied"):
            atlas.import_data(osm_data(), sha256="b" * 64)


def test_the_password_is_never_printed(postgres: PostgresCluster, tmp_path: Path) -> None:
    password = "Sup3r-s3cret"
    with pytest.raises(AtlasError) as closed:
        camatlas.open_atlas(f"postgresql://camatlas:{password}@127.0.0.1:1/db")
    assert password not in str(closed.value) and "camatlas:***@127.0.0.1:1/db" in str(closed.value)
    with pytest.raises(AtlasError) as query:
        camatlas.open_atlas(f"postgresql://127.0.0.1:1/db?password={password}&schema=x")
    assert password not in str(query.value)
    url = new_url(postgres).replace("postgres@", f"postgres:{password}@")
    csv = write_csv(tmp_path / "reg.csv", [("1", 41.0, -8.0)])
    outputs = [
        run_camatlas("import", csv, "--atlas", url, check=False),
        run_camatlas("import", csv, "--atlas", url, "--json", check=False),
        run_camatlas("stats", "--atlas", url, check=False),
        run_camatlas("stats", "--atlas", url, "--json", check=False),
        run_camatlas("stats", "--atlas", url.replace("schema=", "schema=missing_"), check=False),
        run_camatlas("copy", url, tmp_path / "copy.gpkg", check=False),
    ]
    assert [p.returncode for p in outputs] == [0, 0, 0, 0, 1, 0]
    for proc in outputs:
        assert password not in proc.stdout + proc.stderr
    assert "postgres:***@" in outputs[0].stdout


class _Overpass(BaseHTTPRequestHandler):
    answer: ClassVar[dict[str, Any]] = {
        "version": 0.6,
        "generator": "test",
        "elements": [
            {
                "type": "node",
                "id": 7,
                "lat": 43.73,
                "lon": 7.42,
                "tags": {"man_made": "surveillance", "surveillance:type": "camera"},
            }
        ],
    }

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps(self.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def overpass() -> Iterator[str]:
    """A local HTTP server playing the Overpass API (nothing leaves the machine)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Overpass)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api/interpreter"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_every_command_takes_a_postgres_url(
    postgres: PostgresCluster, tmp_path: Path, overpass: str
) -> None:
    url = new_url(postgres)
    good = write_csv(tmp_path / "reg.csv", [(str(i), 41.0 + i * 1e-3, -8.0) for i in range(5)])
    assert run_camatlas("import", good, "--atlas", url, check=False).returncode == 0
    stats = json.loads(run_camatlas("stats", "--atlas", url, "--json", check=False).stdout)
    assert (stats["cameras"], stats["by_source"]) == (5, {"reg": 5})
    second = json.loads(run_camatlas("import", good, "--atlas", url, "--json", check=False).stdout)
    assert second["imports"][0]["status"] == "unchanged"
    # A bad row: clear error naming file, line and value; nothing written.
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lat,lon\n1,41.1,-8.6\n2,461.993.881,-8.6\n")
    proc = run_camatlas("import", bad, "--atlas", url, check=False)
    assert proc.returncode == 1 and "line 3" in proc.stderr and "Traceback" not in proc.stderr
    # --skip-bad-rows writes its rejects into the current folder (not beside a URL).
    proc = run_camatlas("import", bad, "--atlas", url, "--skip-bad-rows", cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / f"{TEST_DATABASE}-{schema_of(url)}-rejected.csv").is_file()
    out = tmp_path / "cams.geojson"
    proc = run_camatlas(
        "export", "--atlas", url, "--format", "geojson", "--output", out, check=False
    )
    assert proc.returncode == 0 and len(json.loads(out.read_text())["features"]) == 6
    # fetch keeps the raw answer in the current folder too.
    proc = run_camatlas(
        "fetch",
        "--bbox",
        "7.40,43.72,7.44,43.75",
        "--cameras-only",
        "--atlas",
        url,
        "--endpoint",
        overpass,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob(f"{TEST_DATABASE}-{schema_of(url)}-overpass-*.json"))
    with camatlas.open_atlas(url) as atlas:
        assert "osm:node/7" in set(atlas.cameras()["id"])
    missing = run_camatlas("stats", "--atlas", new_url(postgres), check=False)
    assert missing.returncode == 1 and "no atlas here" in missing.stderr


# --- many writers ------------------------------------------------------------------------


def overlapping_registries(tmp_path: Path, shared: int = 150, own: int = 40) -> list[Path]:
    """Four registries; at each shared place each has a camera within 3 m of the others'."""
    files = []
    for j in range(4):
        rows = [
            (str(k), 41.0 + k * 0.002 + j * DEG_PER_M_LAT, -8.0 + j * 1e-6) for k in range(shared)
        ]
        rows += [(f"own{u}", 42.0 + (j * own + u) * 0.002, -8.0) for u in range(own)]
        files.append(write_csv(tmp_path / f"reg{j}.csv", rows))
    return files


def wait_for_waiters(postgres: PostgresCluster, n: int) -> None:
    postgres.wait_for(
        "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted HAVING count(*) >= %s",
        (n,),
        timeout_s=120,
    )


def test_four_concurrent_imports_land_completely_and_link(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    files = overlapping_registries(tmp_path)
    # The reference: the same files imported one after another.
    sequential = new_url(postgres)
    with camatlas.open_atlas(sequential) as atlas:
        for path in files:
            atlas.import_file(path)
    # Four processes open one new atlas at once (racing to create it) ...
    url = new_url(postgres)
    opened: list[BaseException | None] = []

    def open_it() -> None:
        try:
            PostGISStore(url).close()
            opened.append(None)
        except BaseException as exc:  # pragma: no cover - reported below
            opened.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert opened == [None] * 4
    # ... then four importers start; the test holds the atlas's writer lock until
    # all four wait inside their transactions, and lets them go at once.
    with postgres.connect() as gate, gate.transaction():
        gate.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock_key(schema_of(url)),)
        )
        procs = [start_import(path, url) for path in files]
        wait_for_waiters(postgres, 4)
    results = [proc.communicate(timeout=240) for proc in procs]
    for proc, (stdout, stderr) in zip(procs, results, strict=True):
        assert proc.returncode == 0, stderr
        assert json.loads(stdout)["imports"][0]["status"] == "imported"
    with camatlas.open_atlas(sequential) as ref, camatlas.open_atlas(url) as got:
        ref_cams, got_cams = ref.cameras(), got.cameras()
        assert len(got_cams) == len(ref_cams) == 4 * (150 + 40)
        assert got_cams["id"].is_unique
        assert len(got.sources()) == 4
        assert sorted(got.sources()["sha256"]) == sorted(ref.sources()["sha256"])
        ref_links, got_links = ref.links(), got.links()
        assert len(got_links) == 150 * 6  # every pair of the four cameras at each place
        assert set(got_links.itertuples(index=False)) == set(ref_links.itertuples(index=False))
        physical = got_cams.set_index("id")["physical_id"].sort_index()
        assert physical.to_dict() == ref_cams.set_index("id")["physical_id"].to_dict()
        assert got.stats().physical_cameras == 150 + 4 * 40
        assert len(got.normalization_report()) == len(ref.normalization_report())


def test_the_same_file_imported_twice_at_once_lands_once(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = new_url(postgres)
    camatlas.open_atlas(url).close()
    csv = write_csv(tmp_path / "reg.csv", [(str(i), 41.0 + i * 1e-3, -8.0) for i in range(50)])
    with postgres.connect() as gate, gate.transaction():
        gate.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock_key(schema_of(url)),)
        )
        procs = [start_import(csv, url) for _ in range(2)]
        wait_for_waiters(postgres, 2)
    statuses = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
        statuses.append(json.loads(stdout)["imports"][0]["status"])
    assert sorted(statuses) == ["imported", "unchanged"]
    with camatlas.open_atlas(url) as atlas:
        assert (len(atlas.cameras()), len(atlas.sources())) == (50, 1)


# --- faults ------------------------------------------------------------------------------


def big_registry(path: Path, rows: int = 150_000) -> Path:
    lines = ["id,latitude,longitude"]
    lines += [
        f"{i},{41.0 + (i % 1000) * 1e-4:.6f},{-8.0 - (i // 1000) * 1e-4:.6f}" for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_until_copying(postgres: PostgresCluster, proc: subprocess.Popen[str]) -> None:
    """Return once the importer streams rows into the server with COPY (inside its transaction)."""
    deadline = time.monotonic() + 240
    with postgres.connect() as conn:
        while True:
            row = conn.execute(
                "SELECT p.tuples_processed FROM pg_stat_progress_copy p "
                "JOIN pg_stat_activity a USING (pid) "
                "WHERE a.application_name = 'camatlas' AND p.tuples_processed > 1000"
            ).fetchone()
            if row:
                return
            assert proc.poll() is None, "the import ended before it could be interrupted"
            assert time.monotonic() < deadline, "the import never started copying"
            time.sleep(0.002)


@pytest.mark.slow
def test_killing_the_client_mid_import_leaves_none_of_it(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = new_url(postgres)
    small = write_csv(tmp_path / "small.csv", [(str(i), 40.0, -7.0 + i * 1e-3) for i in range(10)])
    assert run_camatlas("import", small, "--atlas", url, check=False).returncode == 0
    before = content(url)
    proc = start_import(big_registry(tmp_path / "big.csv"), url)
    wait_until_copying(postgres, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    # The server notices the dead client and rolls its transaction back.
    postgres.wait_for(
        "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity "
        "WHERE application_name = 'camatlas')",
        timeout_s=60,
    )
    assert content(url) == before
    more = write_csv(tmp_path / "more.csv", [(str(i), 39.0, -7.0 + i * 1e-3) for i in range(5)])
    assert run_camatlas("import", more, "--atlas", url, check=False).returncode == 0
    assert content(url)[0] == 15


@pytest.mark.slow
def test_killing_the_server_mid_import_leaves_none_of_it(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = new_url(postgres)
    small = write_csv(tmp_path / "small.csv", [(str(i), 40.0, -7.0 + i * 1e-3) for i in range(10)])
    assert run_camatlas("import", small, "--atlas", url, check=False).returncode == 0
    before = content(url)
    proc = start_import(big_registry(tmp_path / "big.csv"), url)
    try:
        wait_until_copying(postgres, proc)
        postgres.stop("immediate")  # like a crash: no shutdown checkpoint, no goodbye
        _, stderr = proc.communicate(timeout=120)
    finally:
        if not postgres.running():
            postgres.start()
    assert proc.returncode == 1
    assert "lost the connection" in stderr and "Traceback" not in stderr
    assert content(url) == before
    more = write_csv(tmp_path / "more.csv", [(str(i), 39.0, -7.0 + i * 1e-3) for i in range(5)])
    assert run_camatlas("import", more, "--atlas", url, check=False).returncode == 0
    assert content(url)[0] == 15


def test_an_open_atlas_survives_a_server_restart(postgres: PostgresCluster) -> None:
    url = new_url(postgres)
    with camatlas.open_atlas(url) as atlas:  # e.g. `camatlas serve`, open for days
        atlas.import_data(osm_data(), sha256="a" * 64)
        postgres.stop("fast")
        postgres.start()
        assert len(atlas.cameras()) == 2  # a read reconnects
        postgres.execute(  # an idle connection cut by the server or a proxy ...
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'camatlas' AND pid <> pg_backend_pid()"
        )
        atlas.import_data(osm_data(), sha256="b" * 64)  # ... renewed by the next write
        assert len(atlas.sources()) == 2


def test_a_copy_reads_its_source_in_one_snapshot(postgres: PostgresCluster) -> None:
    url = new_url(postgres)
    with camatlas.open_atlas(url) as reader, camatlas.open_atlas(url) as writer:
        reader.import_data(osm_data(), sha256="a" * 64)
        with reader.snapshot():
            before = len(reader.cameras()), len(reader.sources())
            writer.import_data(  # commits while the snapshot is open: unseen in it
                source_data("reg", [camera("reg", "1", -8.61, 41.15)]), sha256="b" * 64
            )
            assert (len(reader.cameras()), len(reader.sources())) == before
            assert len(reader.links()) == 0
        assert len(reader.cameras()) == 3 and len(reader.links()) == 1


# --- the analyses on a server -----------------------------------------------------------------


def test_sight_measure_and_route_on_postgis_give_the_geopackage_figures(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    figures = {}
    for url in (str(tmp_path / "city.gpkg"), new_url(postgres)):
        with camatlas.open_atlas(url) as atlas:
            atlas.import_data(small_city(), sha256="small-city")
            sight = camatlas.sight(atlas)
            measured = camatlas.measure(atlas, by="h3:10", samples=3, seed=2)
            routes = camatlas.least_watched(atlas, (41.1500, -8.6120), (41.1510, -8.6080))
            exposure = camatlas.exposure(atlas, routes.options[0].geometry)
            assert set(atlas.results()["name"]) == {
                "views", "view_zones", "street_coverage", "measure_by_area", "blind_spots"
            }  # fmt: skip
            coverage = atlas.result("street_coverage").sort_values("id")
            figures[url] = {
                "sight": (sight.summary["cameras_with_views"], sight.summary["area_km2"]),
                "measure": (
                    measured.summary["watched_length_m"],
                    measured.summary["cameras"],
                    measured.uncertainty["watched_share"]["median"],  # type: ignore[index]
                    len(measured.by_area),
                ),
                "streets": coverage["watched_m"].round(6).tolist(),
                "routes": [(o.length_m, o.watched_m, o.cameras) for o in routes.options],
                "exposure": (exposure.watched_m, exposure.camera_ids),
                "views": routes.views.split(" (")[0],
            }
    gpkg, pg = figures.values()
    assert gpkg["sight"][0] == 3 and gpkg["measure"][0] > 0 and len(gpkg["routes"]) >= 1
    assert gpkg["views"] == "stored result layers views"
    # The same records and the same code: the same figures, to the last bit.
    assert pg == gpkg
