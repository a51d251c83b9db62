"""Benchmark: fields of view and occlusion (camatlas.views.compute_views).

Measured, each case in its own process (so its peak memory is its own):

* Porto: the real extract imported into a temporary atlas (11k buildings, 17 cameras) plus
  synthetic cameras placed on its streets (``--porto-cameras``, default 2,000);
* a synthetic city of square blocks of 4 x 4 attached buildings (20 m x 20 m) and 20 m
  streets, ten cameras per block, at 10,000 and 100,000 cameras (16,000 and 160,000
  buildings): 60 % fixed cameras with a random heading, 30 % domes, 10 % of unknown type
  and direction, a third of them on a facade (mounted on their building).

The reference, run in the same process on a random subset of the same cameras, is the
straightforward per-camera shapely loop kept in this file (:func:`reference_views`): for
each camera make its wedge (or disc) with the same arc vertices, query the buildings in
range, and for each building subtract its shadow (the union of one quadrilateral per edge,
reaching past the range). Its time per camera is extrapolated to the whole set. camatlas
computes views *and* their four DORI bands; the reference only views, so the ratio
understates the speed-up. The areas of both are compared on the cameras that are not
mounted on a wall (the reference has no wall rule).

Every measurement is the best of ``--repeat`` runs, as wall-clock and as CPU time of the
process (the CPU time is steadier on a shared machine). Results are printed as Markdown and
JSON and written to ``bench/out/sight.md``.

**The pipeline** (``pipeline`` case): ``camatlas.sight()`` on the Porto atlas with
``--porto-cameras`` synthetic cameras, as a user runs it: read the cameras and buildings,
compute the views, sum them up, write the two result layers. The share of its time spent
on the summary (:func:`camatlas.views.summarize`) is measured in the same call, with and
without the split of the area by DORI level (``area_by_level``). Then the wall time of
whole ``camatlas sight`` processes from their start (``--no-graph``, and storing the
walking street graph as it does by default), next to the start-up floor ``python -c
"import camatlas"``.

Usage: ``python bench/sight.py [--sizes 10000,100000] [--porto-cameras 2000]
[--reference 400] [--repeat 2] [--data DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
UTM = pyproj.CRS.from_epsg(32629)
ORIGIN = (500_000.0, 4_550_000.0)


# --- the reference: a straightforward per-camera loop ---------------------------------


def reference_wedge(
    x: float, y: float, range_m: float, width: float, full: bool, directions: str, step: float
) -> shapely.Geometry:
    """The camera's wedge(s) or disc, with arc vertices at most ``step`` degrees apart."""
    from camatlas.tags import directions_from_text

    sectors = []
    if full or not directions:
        sectors.append((0.0, 360.0))
    else:
        for d in directions_from_text(directions):
            end = d.start + d.sweep_deg if d.is_sweep else d.start
            sectors.append((90.0 - (end + width / 2.0), min(d.sweep_deg + width, 360.0)))
    shapes = []
    for start, span in sectors:
        n = max(math.ceil(span / step - 1e-9), 1)
        a0 = 0.0 if span >= 360.0 else math.radians(start) % (2 * math.pi)
        angles = [a0 + math.radians(span) * k / n for k in range(n + 1)]
        arc = [(x + range_m * math.cos(a), y + range_m * math.sin(a)) for a in angles]
        shapes.append(shapely.Polygon(arc[:-1] if span >= 360.0 else [(x, y), *arc]))
    return shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)


def reference_shadow(polygon: shapely.Polygon, x: float, y: float, range_m: float) -> Any:
    """Everything a building hides from (x, y): one quadrilateral per edge, past the range."""
    quads = []
    for ring in (polygon.exterior, *polygon.interiors):
        coords = list(ring.coords)
        for (ax, ay), (bx, by) in itertools.pairwise(coords):
            da, db = math.hypot(ax - x, ay - y), math.hypot(bx - x, by - y)
            if da == 0 or db == 0:
                continue
            far = 3.0 * range_m + 3.0 * max(da, db)
            aa, ab = math.atan2(ay - y, ax - x), math.atan2(by - y, bx - x)
            am = aa + ((ab - aa + math.pi) % (2 * math.pi) - math.pi) / 2
            quad = shapely.Polygon([
                (ax, ay), (bx, by), (x + far * math.cos(ab), y + far * math.sin(ab)),
                (x + far * math.cos(am), y + far * math.sin(am)),
                (x + far * math.cos(aa), y + far * math.sin(aa)),
            ])  # fmt: skip
            if quad.is_valid and quad.area > 0:
                quads.append(quad)
    return shapely.union_all(quads)


def reference_views(
    x: np.ndarray, y: np.ndarray, table: pd.DataFrame, directions: list[str],
    footprints: np.ndarray, step: float = 5.0,
) -> list[Any]:  # fmt: skip
    """Views of cameras at (x, y) metres, cut by ``footprints`` (metres), one at a time."""
    parts = shapely.get_parts(footprints)
    tree = shapely.STRtree(parts)
    out = []
    for i in range(len(x)):
        r = float(table["range_m"].iloc[i])
        view = reference_wedge(
            float(x[i]), float(y[i]), r, float(table["width_deg"].iloc[i]),
            bool(table["full_circle"].iloc[i]), directions[i], step,
        )  # fmt: skip
        for b in tree.query(shapely.Point(x[i], y[i]), predicate="dwithin", distance=r):
            view = view.difference(reference_shadow(parts[b], float(x[i]), float(y[i]), r))
        out.append(view)
    return out


# --- inputs ---------------------------------------------------------------------------


def grid_city(cameras: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A city of square blocks (4 x 4 attached 20 m buildings, 20 m streets), 10 cameras a block."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(cameras / 10))
    bx, by = np.meshgrid(np.arange(side), np.arange(side))
    i, j = np.meshgrid(np.arange(4), np.arange(4))
    x0 = (bx.ravel()[:, None] * 100 + 10 + i.ravel()[None] * 20).ravel() + ORIGIN[0]
    y0 = (by.ravel()[:, None] * 100 + 10 + j.ravel()[None] * 20).ravel() + ORIGIN[1]
    boxes = shapely.box(x0, y0, x0 + 20, y0 + 20)
    # Cameras in the streets (the lines x = 100 k or y = 100 k, 20 m wide); a third on a facade.
    along = rng.uniform(0, side * 100, cameras)
    street = rng.integers(0, side + 1, cameras) * 100.0
    across = rng.uniform(-9.5, 9.5, cameras)
    facade = rng.random(cameras) < 1 / 3
    across[facade] = np.sign(across[facade]) * rng.uniform(9.6, 10.4, int(facade.sum()))
    vertical = rng.random(cameras) < 0.5
    cx = np.where(vertical, street + across, along) + ORIGIN[0]
    cy = np.where(vertical, along, street + across) + ORIGIN[1]
    kind = rng.choice(["fixed", "dome", "unknown"], cameras, p=[0.6, 0.3, 0.1])
    heading = rng.integers(0, 360, cameras).astype(str)
    directions = np.where(kind == "fixed", heading, "")
    cams = gpd.GeoDataFrame(
        {"id": [f"synthetic:{k}" for k in range(cameras)], "kind": "camera",
         "camera_type": kind, "directions": directions},
        geometry=gpd.GeoSeries(shapely.points(cx, cy), crs=UTM).to_crs(4326),
    )  # fmt: skip
    blds = gpd.GeoDataFrame(
        {"id": np.arange(len(boxes))}, geometry=gpd.GeoSeries(boxes, crs=UTM).to_crs(4326)
    )
    return cams, blds


def porto_cameras(
    streets: gpd.GeoDataFrame, n: int, crs: pyproj.CRS, seed: int = 0
) -> gpd.GeoDataFrame:
    """``n`` synthetic cameras at random points of Porto's streets (types as in grid_city)."""
    rng = np.random.default_rng(seed)
    lines = streets.to_crs(crs).geometry.to_numpy()
    lengths = shapely.length(lines)
    pick = rng.choice(len(lines), n, p=lengths / lengths.sum())
    points = shapely.line_interpolate_point(lines[pick], rng.random(n), normalized=True)
    kind = rng.choice(["fixed", "dome", "unknown"], n, p=[0.6, 0.3, 0.1])
    directions = np.where(kind == "fixed", rng.integers(0, 360, n).astype(str), "")
    return gpd.GeoDataFrame(
        {"id": [f"synthetic:{k}" for k in range(n)], "kind": "camera", "camera_type": kind,
         "directions": directions},
        geometry=gpd.GeoSeries(points, crs=crs).to_crs(4326),
    )  # fmt: skip


# --- one case, in a child process -----------------------------------------------------


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_case(case: str, size: int, reference: int, data: Path, repeat: int) -> dict[str, Any]:
    import camatlas
    from camatlas.assumptions import SightParameters, camera_parameters
    from camatlas.geo import local_crs
    from camatlas.views import compute_views

    params = SightParameters()
    info: dict[str, Any] = {"case": case}
    if case == "porto":
        with (
            tempfile.TemporaryDirectory() as tmp,
            camatlas.open_atlas(Path(tmp) / "porto.gpkg") as atlas,
        ):
            atlas.import_file(data / "porto.osm.pbf", layers=("cameras", "streets", "buildings"))
            real = atlas.cameras()
            blds = atlas.buildings()
            streets = atlas.streets()
        crs = local_crs(real)
        cams = pd.concat([real, porto_cameras(streets, size, crs)], ignore_index=True)
        cams = gpd.GeoDataFrame(cams, geometry="geometry", crs=4326)
        info["real_cameras"] = len(real)
    else:
        cams, blds = grid_city(size)
        crs = UTM
    info.update(cameras=len(cams), buildings=len(blds))
    before = rss_mb()
    views, full = timed(lambda: compute_views(cams, blds, params, crs=crs), repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _, only = timed(lambda: compute_views(cams, blds, SightParameters(dori=False), crs=crs), repeat)
    whole = views[views["level"] == "view"]
    info.update(
        seconds=full[0], cpu_seconds=full[1], views_seconds=only[0], views_cpu_seconds=only[1],
        rss_before_mb=before, peak_rss_mb=peak,
        views=len(whole), band_rows=int((views["level"] != "view").sum()),
        on_wall=int(whole["on_wall"].sum()),
        valid=bool(shapely.is_valid(views.geometry.to_numpy()).all()),
    )  # fmt: skip

    # The reference on a random subset of the same cameras.
    rng = np.random.default_rng(1)
    subset = np.sort(rng.choice(len(cams), min(reference, len(cams)), replace=False))
    sub = cams.iloc[subset]
    table = camera_parameters(sub, params)
    pts = sub.geometry.to_crs(crs)
    footprints = blds.geometry.to_crs(crs).to_numpy()
    ref, (ref_wall, ref_cpu) = timed(
        lambda: reference_views(pts.x.to_numpy(), pts.y.to_numpy(), table,
                                sub["directions"].fillna("").tolist(), footprints),
        repeat,
    )  # fmt: skip
    scale = len(cams) / len(sub)
    by_camera = whole.set_index("camera_id")
    compare = [
        (by_camera.geometry[cid], r)
        for cid, r in zip(sub["id"], ref, strict=True)
        if not by_camera.loc[cid, "on_wall"]
    ]
    rel = [shapely.symmetric_difference(a, b).area / max(b.area, 1e-9) for a, b in compare]
    info.update(
        reference_cameras=len(sub),
        reference_ms_per_camera=ref_wall / len(sub) * 1e3,
        reference_cpu_ms_per_camera=ref_cpu / len(sub) * 1e3,
        reference_extrapolated_seconds=ref_wall * scale,
        reference_extrapolated_cpu_seconds=ref_cpu * scale,
        ratio=ref_wall * scale / only[0], cpu_ratio=ref_cpu * scale / only[1],
        ratio_with_dori=ref_wall * scale / full[0], cpu_ratio_with_dori=ref_cpu * scale / full[1],
        compared=len(compare), max_relative_difference=max(rel) if rel else None,
    )  # fmt: skip
    return info


def timed(work: Any, repeat: int) -> tuple[Any, tuple[float, float]]:
    """Result of ``work()`` and its best (wall, CPU) seconds over ``repeat`` runs."""
    best_wall = best_cpu = math.inf
    result = None
    for _ in range(repeat):
        result = None  # free the last result first, so the peak memory is one run's
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        best_wall = min(best_wall, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return result, (best_wall, best_cpu)


# --- driver ---------------------------------------------------------------------------


def pipeline_case(size: int, data: Path, repeat: int) -> dict[str, Any]:
    """sight() with its summary's share, and cold ``camatlas sight`` processes."""
    import compileall
    import shutil
    import statistics

    import camatlas
    import camatlas.pipelines.sight as sight_pipeline
    from camatlas.records import Camera, Direction, SourceData

    compileall.compile_dir(str(REPO / "src" / "camatlas"), quiet=1)  # as an installed package
    summary_s = [0.0]
    plain = sight_pipeline.summarize

    def timed_summary(views: gpd.GeoDataFrame, **options: Any) -> dict[str, Any]:
        t = time.perf_counter()
        try:
            return plain(views, **options)
        finally:
            summary_s[0] += time.perf_counter() - t

    sight_pipeline.summarize = timed_summary  # type: ignore[assignment]
    info: dict[str, Any] = {"case": "pipeline"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "porto.gpkg"
        with camatlas.open_atlas(path) as atlas:
            atlas.import_file(data / "porto.osm.pbf")
            synthetic = porto_cameras(atlas.streets(), size, UTM, seed=1)
            cams = [
                Camera(id=row.id, lon=row.geometry.x, lat=row.geometry.y, source="synthetic",
                       source_id=row.id, camera_type=None if row.camera_type == "unknown"
                       else row.camera_type,
                       directions=(Direction(float(row.directions)),) if row.directions else ())
                for row in synthetic.itertuples()
            ]  # fmt: skip
            atlas.import_data(SourceData(path="synthetic", format="csv", source="synthetic",
                                         cameras=cams), sha256="synthetic-sight")  # fmt: skip
            info["cameras"] = len(atlas.cameras())
            for by_level in (False, True):
                best = (math.inf, 0.0)
                for _ in range(repeat):
                    summary_s[0] = 0.0
                    t = time.perf_counter()
                    camatlas.sight(atlas, area_by_level=by_level)
                    took = time.perf_counter() - t
                    best = min(best, (took, summary_s[0]))
                key = "by_level" if by_level else "plain"
                info[f"sight_{key}_s"], info[f"summary_{key}_s"] = best
                info[f"summary_share_{key}"] = best[1] / best[0]
        exe = Path(sys.executable).parent / "camatlas"
        cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "camatlas"]

        def wall(command: list[str]) -> float:
            times = []
            for _ in range(max(repeat, 3)):
                copy = Path(tmp) / "copy.gpkg"
                shutil.copy(path, copy)
                t = time.perf_counter()
                subprocess.run([*command, "-a", str(copy)], check=True, capture_output=True)
                times.append(time.perf_counter() - t)
            return statistics.median(times)

        info["floor_s"] = statistics.median(
            _wall_once([sys.executable, "-c", "import camatlas"]) for _ in range(5)
        )
        info["cli_sight_s"] = wall([*cli, "sight", "--no-graph"])
        info["cli_sight_graph_s"] = wall([*cli, "sight"])
    sight_pipeline.summarize = plain  # type: ignore[assignment]
    return info


def _wall_once(command: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - t


def child(case: str, size: int, reference: int, data: Path, repeat: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", case, "--size", str(size),
         "--reference", str(reference), "--data", str(data), "--repeat", str(repeat)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"case {case} {size} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| case | cameras | buildings | views: s (CPU s) | views + DORI: s (CPU s) "
        "| CPU ms / camera: views, + DORI | peak RSS MiB | reference: CPU ms / camera "
        "(cameras run) | reference, extrapolated: s (CPU s) | speed-up, views: wall (CPU) "
        "| speed-up, views + DORI: wall (CPU) | max area difference |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        name = "Porto (17 real + synthetic)" if r["case"] == "porto" else "synthetic grid city"
        diff = r["max_relative_difference"]
        n = r["cameras"]
        lines.append(
            f"| {name} | {n:,} | {r['buildings']:,} "
            f"| {r['views_seconds']:.1f} ({r['views_cpu_seconds']:.1f}) "
            f"| {r['seconds']:.1f} ({r['cpu_seconds']:.1f}) "
            f"| {1e3 * r['views_cpu_seconds'] / n:.3f}, {1e3 * r['cpu_seconds'] / n:.3f} "
            f"| {r['peak_rss_mb']:,.0f} "
            f"| {r['reference_cpu_ms_per_camera']:.2f} ({r['reference_cameras']}) "
            f"| {r['reference_extrapolated_seconds']:,.0f} "
            f"({r['reference_extrapolated_cpu_seconds']:,.0f}) "
            f"| {r['ratio']:.0f}x ({r['cpu_ratio']:.0f}x) "
            f"| {r['ratio_with_dori']:.0f}x ({r['cpu_ratio_with_dori']:.0f}x) "
            f"| {'-' if diff is None else f'{diff:.1e}'} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="Cameras of the synthetic cities, comma-separated.")  # fmt: skip
    parser.add_argument("--porto-cameras", type=int, default=2000)
    parser.add_argument("--reference", type=int, default=400,
                        help="Cameras the reference runs on in each case.")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=2, help="Runs per measurement; best kept.")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "pipeline":
        print(json.dumps(pipeline_case(args.size, args.data, args.repeat)))
        return
    if args.child:
        print(json.dumps(run_case(args.child, args.size, args.reference, args.data, args.repeat)))
        return
    results = []
    if (args.data / "porto.osm.pbf").is_file():
        results.append(child("porto", args.porto_cameras, args.reference, args.data, args.repeat))
    else:
        print(f"skipping Porto: {args.data / 'porto.osm.pbf'} not found", file=sys.stderr)
    for size in (int(s) for s in args.sizes.split(",") if s):
        results.append(child("grid", size, args.reference, args.data, args.repeat))
    table = markdown(results)
    grids = [r for r in results if r["case"] == "grid"]
    lines = [table, ""]
    if len(grids) >= 2:
        a, b = grids[0], grids[-1]
        for key, cpu, what in (
            ("views_seconds", "views_cpu_seconds", "views"),
            ("seconds", "cpu_seconds", "views + DORI bands"),
        ):
            lines.append(
                f"- {what}: time per camera {1e3 * a[key] / a['cameras']:.3f} ms at "
                f"{a['cameras']:,} cameras, {1e3 * b[key] / b['cameras']:.3f} ms at "
                f"{b['cameras']:,}: time grew {b[key] / a[key]:.1f}x (CPU time "
                f"{b[cpu] / a[cpu]:.1f}x) for {b['cameras'] / a['cameras']:.0f}x the cameras."
            )
    for r in results:
        lines.append(
            f"- {r['case']} {r['cameras']:,}: {r['on_wall']:,} cameras on a wall; "
            f"{r['compared']} views compared with the reference; "
            f"all geometries valid: {r['valid']}; "
            f"RSS before the computation {r['rss_before_mb']:,.0f} MiB."
        )
    pipeline = None
    if (args.data / "porto.osm.pbf").is_file():
        pipeline = child("pipeline", args.porto_cameras, 0, args.data, args.repeat)
        p = pipeline
        lines += [
            "",
            f"The pipeline, Porto with {p['cameras']:,} cameras (best of {args.repeat}):",
            "",
            "| | sight() | of which the summary | share |",
            "|---|---:|---:|---:|",
            f"| area in view | {p['sight_plain_s']:.2f} s | {p['summary_plain_s']:.2f} s | "
            f"{100 * p['summary_share_plain']:.0f}% |",
            f"| area in view and by DORI level (`--area-by-level`) | {p['sight_by_level_s']:.2f} s "
            f"| {p['summary_by_level_s']:.2f} s | {100 * p['summary_share_by_level']:.0f}% |",
            "",
            f'Cold processes (wall time from process start, median): `python -c "import '
            f'camatlas"` {p["floor_s"]:.3f} s; `camatlas sight --no-graph` '
            f"{p['cli_sight_s']:.2f} s; `camatlas sight` (also storing the walking street "
            f"graph) {p['cli_sight_graph_s']:.2f} s.",
        ]
    text = "\n".join(lines)
    print(text)
    print(json.dumps([*results, pipeline], indent=1))
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "sight.md").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
