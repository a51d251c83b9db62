"""Benchmark: reading OSM files and importing them into an atlas.

References, measured in the same run on the same files:

* camera extraction (``read_osm(layers=("cameras",))``) against Debian's osmium-tool
  ``osmium tags-filter FILE n/man_made=surveillance`` (C++), as a ratio of throughputs;
* full import into a fresh GeoPackage atlas (cameras, streets, buildings, areas: reading,
  normalizing, writing, indexing, linking) against osmium-tool extracting the same layers
  (``osmium tags-filter FILE nwr/man_made=surveillance w/highway wr/building
  r/boundary=administrative``);
* the check of every PBF block's coordinates (``camatlas.sources.pbf.check_coordinates``),
  alone, which the reader runs before libosmium opens the file;
* peak memory (maximum resident set size of a fresh process) of the full import on the
  shared extracts and on a file of more than 5 million nodes made by adding untagged-for-us
  nodes to porto.osm.pbf: the same kept content in a file 60 times larger, so any growth of
  memory with file size shows directly.

Each measurement runs in its own process, best of ``--repeat`` runs. Results are printed as
a Markdown table and written to ``bench/out/import.md``.

Usage: ``python bench/import.py [--repeat 3] [--padding-nodes 5000000] [--data DIR]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
FILES = ("monaco.osm.pbf", "london.osm.pbf", "porto.osm.pbf")
CAMERA_FILTER = ["n/man_made=surveillance"]
LAYER_FILTER = [
    "nwr/man_made=surveillance",
    "w/highway",
    "wr/building",
    "r/boundary=administrative",
]

# Code run in a child process so that its peak RSS is its own.
CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
t_start = time.perf_counter()
import camatlas, camatlas.atlas  # the facade's modules load before the clock starts
from camatlas.sources.osm import read_osm
t0 = time.perf_counter()
if mode == "check":
    from camatlas.sources.pbf import check_coordinates
    check_coordinates(Path(path))
    counts = {}
elif mode == "extract":
    data = read_osm(path, layers=("cameras",))
    counts = {"cameras": len(data.cameras)}
else:
    with camatlas.open_atlas(out) as atlas:
        s = atlas.import_file(path)
    counts = {"cameras": s.cameras, "streets": s.streets, "buildings": s.buildings,
              "areas": s.areas}
seconds = time.perf_counter() - t0
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "startup_s": t0 - t_start, "rss_mb": rss_mb, **counts}))
"""

BASELINE = r"""
import resource, time
t0 = time.perf_counter()
import camatlas, camatlas.atlas, camatlas.sources.osm, geopandas
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def run_child(mode: str, path: Path, workdir: Path) -> dict[str, float]:
    out = workdir / f"atlas-{time.monotonic_ns()}.gpkg"
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    if out.exists():
        out.unlink()
    return dict(json.loads(proc.stdout))


def time_osmium(path: Path, filters: list[str], workdir: Path) -> float:
    out = workdir / "osmium-out.osm.pbf"
    t0 = time.perf_counter()
    subprocess.run(
        ["osmium", "tags-filter", "--overwrite", "-o", str(out), str(path), *filters],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - t0
    out.unlink()
    return seconds


def best(values: list[float]) -> float:
    return min(values)


def make_padded(source: Path, nodes: int, workdir: Path) -> Path:
    """``source`` plus ``nodes`` extra tagged nodes (natural=tree) that no layer keeps."""
    padding_opl = workdir / "padding.opl"
    padding = workdir / "padding.osm.pbf"
    out = workdir / f"{source.stem.split('.')[0]}-plus-{nodes // 1_000_000}M-nodes.osm.pbf"
    first_id = 10**11  # far above real OSM node ids, so ids never collide
    lon0, lat0 = -8.70, 41.10
    with padding_opl.open("w") as fh:
        side = int(nodes**0.5) + 1
        for i in range(nodes):
            x = lon0 + (i % side) * 0.2 / side
            y = lat0 + (i // side) * 0.1 / side
            fh.write(f"n{first_id + i} v1 x{x:.7f} y{y:.7f} Tnatural=tree\n")
    subprocess.run(
        ["osmium", "cat", "--overwrite", "-o", str(padding), str(padding_opl)],
        check=True,
        capture_output=True,
    )
    padding_opl.unlink()
    subprocess.run(
        ["osmium", "merge", "--overwrite", "-o", str(out), str(source), str(padding)],
        check=True,
        capture_output=True,
    )
    padding.unlink()
    return out


def count_nodes(path: Path) -> int:
    proc = subprocess.run(
        ["osmium", "fileinfo", "-e", "-j", str(path)], check=True, capture_output=True, text=True
    )
    return int(json.loads(proc.stdout)["data"]["count"]["nodes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--padding-nodes", type=int, default=5_000_000)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if shutil.which("osmium") is None:
        sys.exit("osmium-tool is needed as the reference: apt-get install osmium-tool")
    files = [args.data / name for name in FILES if (args.data / name).exists()]
    if not files:
        sys.exit(f"no input files found in {args.data} (see its SOURCES.md)")

    with tempfile.TemporaryDirectory(prefix="camatlas-bench-") as tmp:
        workdir = Path(tmp)
        print("building the padded file ...", file=sys.stderr)
        porto = args.data / "porto.osm.pbf"
        padded = make_padded(porto, args.padding_nodes, workdir) if porto.exists() else None
        inputs = files + ([padded] if padded else [])
        base_rss = float(
            subprocess.run(
                [sys.executable, "-c", BASELINE], capture_output=True, text=True, check=True
            ).stdout
        )
        rows = []
        for path in inputs:
            print(f"measuring {path.name} ...", file=sys.stderr)
            ext = [run_child("extract", path, workdir) for _ in range(args.repeat)]
            check = [run_child("check", path, workdir) for _ in range(args.repeat)]
            imp = [run_child("import", path, workdir) for _ in range(args.repeat)]
            osm_cam = best([time_osmium(path, CAMERA_FILTER, workdir) for _ in range(args.repeat)])
            osm_all = best([time_osmium(path, LAYER_FILTER, workdir) for _ in range(args.repeat)])
            ext_s = best([r["seconds"] for r in ext])
            imp_s = best([r["seconds"] for r in imp])
            startup = best([r["startup_s"] for r in ext + imp])
            rows.append(
                {
                    "startup_s": startup,
                    "file": path.name,
                    "nodes": count_nodes(path),
                    "mb": path.stat().st_size / 1e6,
                    "cameras": int(imp[0]["cameras"]),
                    "streets": int(imp[0]["streets"]),
                    "buildings": int(imp[0]["buildings"]),
                    "extract_s": ext_s,
                    "osmium_cameras_s": osm_cam,
                    "extract_ratio": ext_s / osm_cam,
                    "check_s": best([r["seconds"] for r in check]),
                    "import_s": imp_s,
                    "osmium_layers_s": osm_all,
                    "import_ratio": imp_s / osm_all,
                    "import_rss_mb": max(r["rss_mb"] for r in imp),
                }
            )

    header = (
        "| file | nodes | MB | cameras | streets | buildings | camera extraction s "
        "| osmium tags-filter s | ratio | block check alone s | full import s "
        "| osmium 3 layers s | ratio | ratio with start-up | peak RSS MB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for r in rows:
        lines.append(
            f"| {r['file']} | {r['nodes']:,} | {r['mb']:.1f} | {r['cameras']} | {r['streets']:,} "
            f"| {r['buildings']:,} | {r['extract_s']:.2f} | {r['osmium_cameras_s']:.2f} "
            f"| {r['extract_ratio']:.1f}x | {r['check_s']:.2f} | {r['import_s']:.2f} "
            f"| {r['osmium_layers_s']:.2f} "
            f"| {r['import_ratio']:.1f}x "
            f"| {(r['import_s'] + r['startup_s']) / r['osmium_layers_s']:.1f}x "
            f"| {r['import_rss_mb']:.0f} |"
        )
    lines.append("")
    lines.append(
        f"Peak RSS of a process that only imports camatlas and its libraries: {base_rss:.0f} MB; "
        f"that start-up (imports of camatlas, pyosmium, GEOS, PROJ, pandas) takes "
        f"{min(r['startup_s'] for r in rows):.2f} s and is excluded from the call times, "
        "included in 'ratio with start-up'. "
        f"Best of {args.repeat} runs; ratios are camatlas time / osmium-tool time "
        f"(osmium-tool {osmium_version()})."
    )
    report = "\n".join(lines)
    print(report)
    out_dir = REPO / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "import.md").write_text(report + "\n")
    (out_dir / "import.json").write_text(json.dumps(rows, indent=2))


def osmium_version() -> str:
    proc = subprocess.run(["osmium", "--version"], capture_output=True, text=True, check=True)
    return proc.stdout.split("\n")[0].split()[-1]


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
