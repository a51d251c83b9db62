"""Benchmark: the PostGIS store against the GeoPackage store (and Debian's osm2pgsql).

All measured in the same run, on the same machine, against one throwaway PostgreSQL 15 +
PostGIS 3 cluster (tests/postgis.py: fsync off, like the test cluster):

* **import** of ``porto.osm.pbf`` (cameras, streets, buildings, areas) and of the 18k
  US-West points (``uswest_surveillance_points.json``, cameras only), end to end as a user
  runs it (``camatlas import FILE --atlas ATLAS`` in a fresh process, into a fresh atlas), into
  PostGIS and into a GeoPackage; for the PBF also ``osm2pgsql`` (flex output with
  ``bench/osm2pgsql_camatlas.lua``: the same four layers, GiST-indexed). Best of ``--repeat``.
* **write only**: the same records already read, written by ``Atlas.import_data`` (one
  transaction: COPY or INSERT, indexes, linking, the sources table). Best of ``--repeat``.
* **query latency** of ``Atlas.cameras(bbox)`` (a GeoDataFrame) and of the store's
  ``camera_points(bbox)`` for small boxes (0.005 x 0.005 degrees, about 420 m x 550 m, about
  25 cameras each) on ``--cameras`` synthetic cameras spread over one square degree, loaded
  with ``Store.upsert_records`` in one transaction: p50 and p95 over ``--queries`` random
  boxes after a warm-up.

Prints a Markdown section and writes it to ``bench/out/store.md``.

Usage: ``python bench/store.py [--repeat 3] [--cameras 1000000] [--queries 300] [--data DIR]``
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.postgis import PostgresCluster, missing  # noqa: E402

DATA = REPO.parent / "shared" / "data"
STYLE = REPO / "bench" / "osm2pgsql_camatlas.lua"
CAMATLAS = [sys.executable, "-m", "camatlas"]


def best(runs: int, measure: Callable[[int], float]) -> float:
    return min(measure(i) for i in range(runs))


def run(args: list[str]) -> float:
    """Wall time of one command, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=REPO, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


class Atlases:
    """Names of new atlases: every atlas of the run is a fresh one."""

    def __init__(self, cluster: PostgresCluster, work: Path) -> None:
        self.cluster = cluster
        self.work = work
        self.numbers = itertools.count()

    def gpkg(self) -> str:
        target = self.work / f"atlas{next(self.numbers)}.gpkg"
        target.unlink(missing_ok=True)
        return str(target)

    def postgis(self) -> str:
        return self.cluster.url(schema=f"bench_{next(self.numbers)}")


def bench_input(path: Path, layers: int, atlases: Atlases, repeat: int) -> dict[str, Any]:
    """Import ``path`` into both backends (and with osm2pgsql, for OSM files)."""
    import camatlas

    def cli(url: str) -> float:
        return run([*CAMATLAS, "import", str(path), "--atlas", url])

    def osm2pgsql() -> float:
        return run(
            ["osm2pgsql", "--create", "--output=flex", f"--style={STYLE}",
             "--database=osm2pgsql", "--host=127.0.0.1", f"--port={atlases.cluster.port}",
             "--username=postgres", "--log-level=warn", str(path)]
        )  # fmt: skip

    records = camatlas.read_file(path)

    def write(url: str) -> float:
        with camatlas.open_atlas(url) as atlas:
            started = time.perf_counter()
            atlas.import_data(records, sha256="0" * 64)
            return time.perf_counter() - started

    counts = records.counts()
    return {
        "input": path.name,
        "layers": layers,
        "records": sum(counts[k] for k in ("cameras", "streets", "buildings", "areas")),
        "cli_gpkg_s": best(repeat, lambda _: cli(atlases.gpkg())),
        "cli_pg_s": best(repeat, lambda _: cli(atlases.postgis())),
        "osm2pgsql_s": best(repeat, lambda _: osm2pgsql()) if path.suffix == ".pbf" else None,
        "write_gpkg_s": best(repeat, lambda _: write(atlases.gpkg())),
        "write_pg_s": best(repeat, lambda _: write(atlases.postgis())),
    }


def bench_imports(
    cluster: PostgresCluster, data: Path, repeat: int, work: Path
) -> list[dict[str, Any]]:
    rows = []
    atlases = Atlases(cluster, work)
    cluster.create_database("osm2pgsql")
    for name, layers in (("porto.osm.pbf", 4), ("uswest_surveillance_points.json", 1)):
        path = data / name
        if not path.is_file():
            print(f"skipping {name}: not found in {data}", file=sys.stderr)
            continue
        rows.append(bench_input(path, layers, atlases, repeat))
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def synthetic_cameras(n: int, seed: int = 7) -> list[Any]:
    from camatlas.records import Camera

    rng = np.random.default_rng(seed)
    lon = rng.uniform(-9.0, -8.0, n)
    lat = rng.uniform(41.0, 42.0, n)
    return [
        Camera(id=f"syn:{i}", lon=float(x), lat=float(y), source="syn", source_id=str(i))
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    ]


def bench_queries(cluster: PostgresCluster, n: int, queries: int, work: Path) -> dict[str, Any]:
    import camatlas
    from camatlas.store import open_store

    out: dict[str, Any] = {"cameras": n, "queries": queries, "box_deg": 0.005}
    urls = {"gpkg": str(work / "million.gpkg"), "pg": cluster.url(schema="million")}
    cameras = synthetic_cameras(n)
    for backend, url in urls.items():
        with closing(open_store(url)) as store:
            started = time.perf_counter()
            with store.transaction():
                for i in range(0, n, 100_000):
                    store.upsert_records("cameras", cameras[i : i + 100_000])
            out[f"load_{backend}_s"] = time.perf_counter() - started
            assert store.count("cameras") == n
    # A million live records would make the garbage collector pause in the middle of
    # the timed queries; they are not needed any more.
    del cameras
    gc.collect()
    # After a bulk load autovacuum would visit the new table during the timed queries
    # (and take a core from them): vacuum it first, as one does after a big import.
    cluster.execute('VACUUM (ANALYZE) "million".cameras')
    cluster.execute("CHECKPOINT")
    rng = np.random.default_rng(11)
    size = out["box_deg"]
    west = rng.uniform(-9.0, -8.0 - size, queries + 30)
    south = rng.uniform(41.0, 42.0 - size, queries + 30)
    boxes = [
        (float(w), float(s), float(w) + size, float(s) + size)
        for w, s in zip(west, south, strict=True)
    ]
    atlases = {backend: camatlas.open_atlas(url, read_only=True) for backend, url in urls.items()}
    stores = {backend: open_store(url, read_only=True) for backend, url in urls.items()}
    try:
        calls: dict[str, Callable[[str, Any], Any]] = {
            "frame": lambda backend, box: atlases[backend].cameras(box),
            "points": lambda backend, box: stores[backend].camera_points(box),
        }
        for what, call in calls.items():
            times: dict[str, list[float]] = {backend: [] for backend in atlases}
            found = dict.fromkeys(atlases, 0)
            # Box by box, both backends in turn, so that noise from the machine hits both.
            for i, box in enumerate(boxes):
                for backend in atlases:
                    started = time.perf_counter()
                    result = call(backend, box)
                    elapsed = time.perf_counter() - started
                    if i >= 30:  # after the warm-up
                        times[backend].append(elapsed)
                        found[backend] += len(result)
            for backend in atlases:
                out[f"{what}_{backend}_p50_ms"] = 1000 * float(np.percentile(times[backend], 50))
                out[f"{what}_{backend}_p95_ms"] = 1000 * float(np.percentile(times[backend], 95))
                out[f"{what}_{backend}_mean_found"] = found[backend] / queries
    finally:
        for atlas in atlases.values():
            atlas.close()
        for store in stores.values():
            store.close()
    print(json.dumps(out), file=sys.stderr)
    return out


def report(imports: list[dict[str, Any]], queries: dict[str, Any], repeat: int) -> str:
    lines = [
        "## Store backends (PostGIS vs GeoPackage)",
        "",
        "`bench/store.py`: one throwaway PostgreSQL 15 + PostGIS 3.3 cluster on the same machine "
        "(local TCP, fsync off as in the tests), best of "
        f"{repeat} runs, each into a fresh atlas (a new GeoPackage file, a new PostgreSQL schema).",
        "",
        "### Import",
        "",
        "End to end is `camatlas import FILE --atlas ATLAS` in a fresh process (start-up, reading, "
        "normalizing, writing, indexes, linking, one transaction). Write only is "
        "`Atlas.import_data` on records already read. osm2pgsql 1.8 (Debian) writes the same "
        "four layers with `bench/osm2pgsql_camatlas.lua` (flex output, GiST indexes).",
        "",
        "| input | records | end to end PostGIS / GeoPackage | end to end PostGIS / osm2pgsql "
        "| write only PostGIS / GeoPackage "
        "| seconds: GeoPackage, PostGIS, osm2pgsql (end to end) |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in imports:
        vs_osm = (
            f"{row['cli_pg_s'] / row['osm2pgsql_s']:.1f}x"
            if row["osm2pgsql_s"]
            else "n/a (not OSM)"
        )
        osm_s = f"{row['osm2pgsql_s']:.2f}" if row["osm2pgsql_s"] else "-"
        lines.append(
            f"| {row['input']} ({row['layers']} layer{'s' if row['layers'] > 1 else ''}) "
            f"| {row['records']:,} | {row['cli_pg_s'] / row['cli_gpkg_s']:.2f} | {vs_osm} "
            f"| {row['write_pg_s'] / row['write_gpkg_s']:.2f} "
            f"| {row['cli_gpkg_s']:.2f}, {row['cli_pg_s']:.2f}, {osm_s} |"
        )
    q = queries
    lines += [
        "",
        f"### Query latency at {q['cameras']:,} cameras",
        "",
        f"{q['cameras']:,} synthetic cameras uniformly over one square degree, loaded with "
        f"`Store.upsert_records` in one transaction (GeoPackage {q['load_gpkg_s']:.0f} s, "
        f"PostGIS {q['load_pg_s']:.0f} s: PostGIS / GeoPackage "
        f"{q['load_pg_s'] / q['load_gpkg_s']:.2f}), then `VACUUM ANALYZE` on PostGIS. "
        f"{q['queries']} random boxes of "
        f"{q['box_deg']} x {q['box_deg']} degrees (about 420 m x 550 m; "
        f"{q['frame_gpkg_mean_found']:.0f} cameras on average) after 30 warm-up queries.",
        "",
        "| call | GeoPackage p50 / p95 (ms) | PostGIS p50 / p95 (ms) | PostGIS / GeoPackage p50 "
        "| PostGIS / GeoPackage p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for what, label in (
        ("frame", "`Atlas.cameras(bbox)` (GeoDataFrame, all columns)"),
        ("points", "`Store.camera_points(bbox)` (id, lon, lat, kind, source)"),
    ):
        g50, g95 = q[f"{what}_gpkg_p50_ms"], q[f"{what}_gpkg_p95_ms"]
        p50, p95 = q[f"{what}_pg_p50_ms"], q[f"{what}_pg_p95_ms"]
        lines.append(
            f"| {label} | {g50:.2f} / {g95:.2f} | {p50:.2f} / {p95:.2f} "
            f"| {p50 / g50:.2f} | {p95 / g95:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    reason = missing()
    if reason:
        raise SystemExit(f"bench/store.py: {reason}")
    if shutil.which("osm2pgsql") is None:
        raise SystemExit("bench/store.py: osm2pgsql is not installed (`make bench` installs it)")
    work = Path(tempfile.mkdtemp(prefix="camatlas-bench-store-"))
    cluster = PostgresCluster.create()
    try:
        imports = bench_imports(cluster, args.data, args.repeat, work)
        queries = bench_queries(cluster, args.cameras, args.queries, work)
    finally:
        cluster.remove()
        shutil.rmtree(work, ignore_errors=True)
    text = report(imports, queries, args.repeat)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "store.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    os.environ.setdefault("COLUMNS", "200")
    main()
