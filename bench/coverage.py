"""Benchmark: street coverage by camera views (:func:`camatlas.coverage.coverage_of_lines`).

Reference, measured in the same run on the same inputs: the straightforward per-segment
Shapely loop in ``bench/coverage_reference.py`` (for each segment: intersect with each
view, union, length; for the whole view and for each growing set of DORI levels). Two
variants of it: every view for every segment (the literal loop), and only the views whose
bounding box meets the segment (STRtree candidates).

Cases:

* ``porto``: the 4,656 highway ways of porto.osm.pbf with synthetic cameras placed along
  the streets, their views cut by Porto's real buildings;
* ``city``: a synthetic grid city (50 m blocks) of 100k street segments with 10k cameras
  and of 1M segments with 100k cameras, to show how time and memory grow.

Synthetic cameras stand 2-8 m beside a street, look in a random direction, reach 20-60 m,
are 50-110 degrees wide or (one in five) full circles, and carry the four DORI bands
(identification to 0.1 of the reach, recognition 0.2, observation 0.4, detection 1.0: the
ratios of IEC EN 62676-4's 250/125/62.5/25 px per metre). Five view rows per camera, as
:func:`camatlas.views.compute_views` returns them.

Each case runs in its own process so that its peak resident memory is its own. Where the
reference is too slow for the whole input, it runs on a random subset of segments and its
time is extrapolated per segment; the output says so. Results are printed as Markdown and
written to ``bench/out/coverage.md``.

Usage: ``python bench/coverage.py [--repeat 3] [--quick] [--data DIR]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
UTM_PORTO = "EPSG:32629"
BANDS = (("identification", 0.0, 0.1), ("recognition", 0.1, 0.2),
         ("observation", 0.2, 0.4), ("detection", 0.4, 1.0))  # fmt: skip
ARC_STEPS = 16


# --- inputs ------------------------------------------------------------------------


def grid_streets(segments: int, block_m: float = 50.0, crs: str = UTM_PORTO) -> gpd.GeoSeries:
    """A square grid city of about ``segments`` one-block street segments."""
    n = int(np.ceil(np.sqrt(segments / 2))) + 1  # nodes per side: 2 n (n - 1) segments
    i, j = np.meshgrid(np.arange(n - 1), np.arange(n), indexing="ij")
    i, j = i.ravel(), j.ravel()
    east = np.stack([np.column_stack([i, j]), np.column_stack([i + 1, j])], axis=1)
    north = np.stack([np.column_stack([j, i]), np.column_stack([j, i + 1])], axis=1)
    coords = np.concatenate([east, north])[:segments] * block_m
    return gpd.GeoSeries(shapely.linestrings(coords), crs=crs)


def _rings(
    x: np.ndarray,
    y: np.ndarray,
    bearing: np.ndarray,
    width: np.ndarray,
    inner: np.ndarray,
    outer: np.ndarray,
) -> np.ndarray:
    """Sector rings (inner arc reversed, then outer arc), bearings clockwise from north."""
    t = np.arange(ARC_STEPS + 1) / ARC_STEPS
    angle = np.radians(bearing[:, None] - width[:, None] / 2 + width[:, None] * t[None, :])
    sin, cos = np.sin(angle), np.cos(angle)
    arc_in = np.stack([x[:, None] + inner[:, None] * sin, y[:, None] + inner[:, None] * cos], -1)
    arc_out = np.stack([x[:, None] + outer[:, None] * sin, y[:, None] + outer[:, None] * cos], -1)
    return np.concatenate([arc_in[:, ::-1], arc_out], axis=1)


def synthetic_views(
    lines: gpd.GeoSeries, cameras: int, seed: int = 0, buildings: np.ndarray | None = None
) -> gpd.GeoDataFrame:
    """Views (a "view" row and four DORI bands per camera) of cameras along ``lines``."""
    rng = np.random.default_rng(seed)
    geoms = np.asarray(lines.array, dtype=object)
    pick = rng.integers(0, len(geoms), cameras)
    at = shapely.line_interpolate_point(geoms[pick], rng.random(cameras), normalized=True)
    side = rng.uniform(2, 8, cameras) * rng.choice([-1.0, 1.0], cameras)
    angle = rng.uniform(0, 2 * np.pi, cameras)
    x = shapely.get_x(at) + side * np.cos(angle)
    y = shapely.get_y(at) + side * np.sin(angle)
    bearing = rng.uniform(0, 360, cameras)
    width = np.where(rng.random(cameras) < 0.2, 359.0, rng.uniform(50, 110, cameras))
    reach = rng.uniform(20, 60, cameras)
    frames = []
    ids = np.array([f"cam{k}" for k in range(cameras)], dtype=object)
    for level, lo, hi in (("view", 0.0, 1.0), *BANDS):
        polygons = shapely.polygons(_rings(x, y, bearing, width, reach * lo, reach * hi))
        frames.append(pd.DataFrame({"camera_id": ids, "physical_id": ids, "level": level,
                                    "geometry": polygons}))  # fmt: skip
    views = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=lines.crs)
    if buildings is not None and len(buildings):
        tree = shapely.STRtree(buildings)
        v_idx, b_idx = tree.query(views.geometry.to_numpy(), predicate="intersects")
        if len(v_idx):
            cut = views.geometry.to_numpy().copy()
            groups = pd.Series(b_idx).groupby(v_idx)
            for v, members in groups:
                cut[v] = shapely.difference(
                    cut[v], shapely.union_all(buildings[members.to_numpy()])
                )
            views = views.set_geometry(cut)
    return views


def porto_inputs(data: Path, cameras: int) -> tuple[gpd.GeoSeries, gpd.GeoDataFrame, np.ndarray]:
    from camatlas.sources import read_file

    source = read_file(data / "porto.osm.pbf", layers=("streets", "buildings"))
    lines = gpd.GeoSeries([s.geometry for s in source.streets], crs=4326).to_crs(UTM_PORTO)
    buildings = gpd.GeoSeries([b.geometry for b in source.buildings], crs=4326).to_crs(UTM_PORTO)
    views = synthetic_views(lines, cameras, seed=1, buildings=buildings.to_numpy())
    return lines, views, buildings.to_numpy()


# --- one case in a child process -----------------------------------------------------


def run_case(case: str, args: argparse.Namespace) -> dict[str, Any]:
    from camatlas.coverage import coverage_of_lines
    from coverage_reference import reference_coverage

    t0 = time.perf_counter()
    if case == "porto":
        lines, views, walls = porto_inputs(Path(args.data), args.cameras)
    else:
        lines = grid_streets(args.segments)
        views = synthetic_views(lines, args.cameras, seed=1)
        walls = np.empty(0, dtype=object)
    prepared_s = time.perf_counter() - t0
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = np.inf
    cov = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        cov = coverage_of_lines(lines, views)
        best = min(best, time.perf_counter() - t)
    assert cov is not None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rng = np.random.default_rng(7)
    out: dict[str, Any] = {
        "case": case, "lines": len(lines), "cameras": args.cameras, "views": len(views),
        "seconds": best, "prepare_s": prepared_s, "rss_mb": rss, "rss_inputs_mb": rss_inputs,
        "watched_share": float(cov["watched_m"].sum() / cov["length_m"].sum()),
    }  # fmt: skip
    for name, every, subset in (
        ("tree", False, args.ref_subset),
        ("every", True, args.every_subset),
    ):
        if subset <= 0:
            continue
        chosen = np.sort(rng.choice(len(lines), min(subset, len(lines)), replace=False))
        part = lines.iloc[chosen]
        t = time.perf_counter()
        ref = reference_coverage(part, views, every_view=every)
        seconds = time.perf_counter() - t
        ours = cov.iloc[chosen]
        out[f"ref_{name}_lines"] = len(part)
        out[f"ref_{name}_seconds"] = seconds
        out[f"ref_{name}_extrapolated_s"] = seconds * len(lines) / len(part)
        diff = np.abs(ref["watched_m"].to_numpy() - ours["watched_m"].to_numpy())
        out[f"ref_{name}_max_diff_m"] = float(np.max(diff))
        out[f"ref_{name}_total_diff"] = float(diff.sum() / max(ref["watched_m"].sum(), 1e-9))
        out[f"ref_{name}_segments_over_1mm"] = int(np.count_nonzero(diff > 1e-3))
        out[f"ref_{name}_along_walls"] = _along_walls(part, walls, diff)
        levels = [c for c in ref.columns if c.startswith("watched_m_")]
        out[f"ref_{name}_max_level_diff_m"] = float(
            np.max(np.abs(ref[levels].to_numpy() - ours[levels].to_numpy()))
        )
        out[f"ref_{name}_cameras_equal"] = bool(
            (ref["camera_count"].to_numpy() == ours["camera_count"].to_numpy()).all()
        )
    return out


def _along_walls(lines: gpd.GeoSeries, walls: np.ndarray, diff: np.ndarray) -> int:
    """How many lines differing by > 1 mm differ by no more than their length drawn along
    building outlines (within 10 micrometres).

    Buildings cut the views, so such a stretch lies on a view's edge: coverage_of_lines
    counts it as in view (a polygon's boundary belongs to it), while GEOS's intersection of
    nearly collinear lines keeps or drops it depending on rounding.
    """
    if len(walls) == 0:
        return 0
    tree = shapely.STRtree(walls)
    explained = 0
    for line, d in zip(lines, diff, strict=True):
        if d <= 1e-3:
            continue
        near = walls[tree.query(line)]
        outline = shapely.union_all(shapely.boundary(near)) if len(near) else None
        along = line.intersection(shapely.buffer(outline, 1e-5)).length if outline else 0.0
        explained += int(d <= along + 1e-3)
    return explained


def child(case: str, **options: Any) -> dict[str, Any]:
    argv = [sys.executable, __file__, "--child", case]
    for key, value in options.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --- report ------------------------------------------------------------------------


def _row(r: dict[str, Any], ref: str) -> str:
    total = r[f"ref_{ref}_extrapolated_s"]
    subset = r[f"ref_{ref}_lines"]
    how = "measured" if subset == r["lines"] else f"{subset:,} lines, extrapolated"
    return (
        f"| {r['case']} | {r['lines']:,} | {r['cameras']:,} | {r['seconds']:.2f} s | "
        f"{r['rss_mb']:,.0f} MB | {total:,.1f} s ({how}) | **{total / r['seconds']:,.0f}x** | "
        f"{100 * r[f'ref_{ref}_total_diff']:.3f}% / {r[f'ref_{ref}_segments_over_1mm']} of "
        f"{subset:,} ({r[f'ref_{ref}_along_walls']} along building walls) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    parser.add_argument("--data", default=str(DATA))
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--ref-subset", type=int, default=2000)
    parser.add_argument("--every-subset", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(Path(__file__).parent))
        print(json.dumps(run_case(args.child, args)))
        return

    results = []
    if (Path(args.data) / "porto.osm.pbf").is_file():
        results.append(child("porto", cameras=300 if args.quick else 2000, repeat=args.repeat,
                             ref_subset=100_000, every_subset=20 if args.quick else 100,
                             data=args.data))  # fmt: skip
    else:
        print(f"porto.osm.pbf not found in {args.data}: skipping the Porto case")
    scales = [(1_000, 10_000)] if args.quick else [(10_000, 100_000), (100_000, 1_000_000)]
    for cameras, segments in scales:
        results.append(child("city", cameras=cameras, segments=segments, repeat=args.repeat,
                             ref_subset=2000, every_subset=20))  # fmt: skip

    lines = [
        "Against the per-segment loop over STRtree candidates (bench/coverage_reference.py):",
        "",
        "| case | street lines | cameras | coverage_of_lines | peak RSS | reference | "
        "speed-up | watched metres differing / lines differing by > 1 mm |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(r, "tree") for r in results),
        "",
        "Against the literal loop (every view for every segment):",
        "",
        "| case | street lines | cameras | coverage_of_lines | peak RSS | reference | "
        "speed-up | watched metres differing / lines differing by > 1 mm |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(_row(r, "every") for r in results if "ref_every_seconds" in r),
    ]
    city = [r for r in results if r["case"] == "city"]
    if len(city) == 2:
        small, large = city
        lines += [
            "",
            f"Growth from {small['cameras']:,} cameras / {small['lines']:,} segments to "
            f"{large['cameras']:,} / {large['lines']:,} (10x input): time x"
            f"{large['seconds'] / small['seconds']:.1f}, peak RSS x"
            f"{large['rss_mb'] / small['rss_mb']:.1f} (inputs alone: "
            f"{small['rss_inputs_mb']:,.0f} MB and {large['rss_inputs_mb']:,.0f} MB).",
        ]
    report = "\n".join(lines)
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "coverage.md").write_text(report + "\n", encoding="utf-8")
    (out / "coverage.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
