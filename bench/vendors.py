"""Benchmark: reading the vendor of 1 million cameras from their tags (:mod:`camatlas.vendors`).

Reference, in the same run on the same cameras: a plain dict lookup of the lower-cased
``manufacturer`` tag in a table of lower-cased vendor names (the floor: what a script
that only knows exact names does, missing every brand, alias, legal name, Wikidata id,
model and conflict).

Cases (SYNTHETIC tags, as mappers write them: the registry's names in upper, lower and
mixed case, with legal forms and extra blanks, under ``manufacturer``, ``brand``, their
``surveillance:`` forms, ``manufacturer:wikidata``, ``camera_model`` with the vendor first;
unknown vendors; brand and manufacturer naming different vendors):

* ``repeated``: 1 million cameras drawn from 5,000 distinct tag sets (an atlas of a
  country: the same few vendors written a few ways);
* ``distinct``: 1 million cameras, each with a model of its own (no two tag sets alike:
  the worst case, where matching cannot be shared).

Each case is timed twice: on the tags as mappings, and on the tags as the atlas stores
them, JSON text (both the floor and camatlas parse it; camatlas reads a text it has seen
once without parsing it again). Both must give the same vendors; the script checks it.

Usage: ``python bench/vendors.py [--cameras 1000000]``. Prints Markdown and writes
``bench/out/vendors.md`` and ``bench/out/vendors.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from camatlas.vendors import Registry, load_registry, vendor_frame

REPO = Path(__file__).resolve().parent.parent


def written(name: str, rng: np.random.Generator) -> str:
    """``name`` as a mapper might write it."""
    form = int(rng.integers(0, 5))
    if form == 0:
        return name.upper()
    if form == 1:
        return name.lower()
    if form == 2:
        return f" {name}  Co., Ltd."
    if form == 3:
        return name.replace(" ", "  ")
    return name


def tag_sets(registry: Registry, count: int, seed: int, *, distinct: bool) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    vendors = list(registry.vendors.values())
    out = []
    for k in range(count):
        vendor = vendors[int(rng.integers(0, len(vendors)))]
        names = vendor.names()
        name = written(names[int(rng.integers(0, len(names)))], rng)
        shape = int(rng.integers(0, 8))
        if shape == 0:
            tags = {"manufacturer": name}
        elif shape == 1:
            tags = {"brand": name}
        elif shape == 2:
            tags = {"surveillance:manufacturer": name}
        elif shape == 3 and vendor.wikidata:
            tags = {"manufacturer:wikidata": vendor.wikidata[0][0]}
        elif shape == 4:
            tags = {"camera_model": f"{name} X-{k if distinct else k % 50}"}
        elif shape == 5:
            tags = {"manufacturer": f"Unknown Maker {k % 300}"}
        elif shape == 6:
            other = vendors[int(rng.integers(0, len(vendors)))]
            tags = {"manufacturer": name, "brand": other.name}
        else:
            tags = {"manufacturer": name, "model": f"M{k if distinct else k % 40}"}
        out.append(tags)
    return out


def unwarmed(registry: Registry) -> Registry:
    """The same registry with no match remembered."""
    return Registry(registry.vendors.values(), registry.lists.values())


def floor(cameras: list[dict[str, str]], table: dict[str, str]) -> list[str | None]:
    return [table.get(tags.get("manufacturer", "").lower()) for tags in cameras]


def floor_json(cameras: list[str], table: dict[str, str]) -> list[str | None]:
    return [table.get(json.loads(text).get("manufacturer", "").lower()) for text in cameras]


def run_case(name: str, registry: Registry, count: int, distinct: bool) -> dict[str, Any]:
    pool = tag_sets(registry, count if distinct else 5_000, seed=1, distinct=distinct)
    rng = np.random.default_rng(2)
    cameras = pool if distinct else [pool[i] for i in rng.integers(0, len(pool), count)]
    table = {n.lower(): v.id for v in registry.vendors.values() for n in v.names()}
    t = time.perf_counter()
    simple = floor(cameras, table)
    floor_s = time.perf_counter() - t
    fresh = unwarmed(registry)  # no matches remembered from an earlier case
    t = time.perf_counter()
    frame = vendor_frame(cameras, fresh, as_of="2025-01-01")
    ours_s = time.perf_counter() - t
    # The tags as the atlas stores them (JSON text), read by both.
    texts = [json.dumps(c, ensure_ascii=False) for c in cameras]
    t = time.perf_counter()
    floor_json(texts, table)
    floor_json_s = time.perf_counter() - t
    t = time.perf_counter()
    again = vendor_frame(texts, unwarmed(registry), as_of="2025-01-01")
    ours_json_s = time.perf_counter() - t
    if not again.fillna("").equals(frame.fillna("")):
        raise AssertionError(f"{name}: the JSON text and the mappings give other vendors")
    matched = int((frame["vendor_status"] == "matched").sum())
    return {
        "case": name,
        "cameras": count,
        "distinct_tag_sets": len({json.dumps(c, sort_keys=True) for c in pool}),
        "floor_s": floor_s,
        "ours_s": ours_s,
        "ratio": ours_s / floor_s,
        "floor_json_s": floor_json_s,
        "ours_json_s": ours_json_s,
        "json_ratio": ours_json_s / floor_json_s,
        "per_camera_us": ours_s / count * 1e6,
        "floor_matched": sum(v is not None for v in simple),
        "matched": matched,
        "conflicts": int((frame["vendor_status"] == "conflict").sum()),
        "unmatched": int((frame["vendor_status"] == "unmatched").sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    args = parser.parse_args()
    registry = load_registry()
    results = [
        run_case("repeated", registry, args.cameras, distinct=False),
        run_case("distinct", registry, args.cameras, distinct=True),
    ]
    lines = [
        "| case | cameras | distinct tag sets | tags as mappings: dict lookup (floor) | "
        "camatlas.vendors | vs the floor | tags as JSON text (the atlas's): floor | "
        "camatlas.vendors | vs the floor | matched: floor / camatlas | conflicts | unmatched |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['cameras']:,} | {r['distinct_tag_sets']:,} | "
            f"{r['floor_s']:.2f} s | {r['ours_s']:.2f} s | {r['ratio']:.1f}x | "
            f"{r['floor_json_s']:.2f} s | {r['ours_json_s']:.2f} s | {r['json_ratio']:.1f}x | "
            f"{r['floor_matched']:,} / {r['matched']:,} | {r['conflicts']:,} | "
            f"{r['unmatched']:,} |"
        )
    report = "\n".join(lines)
    print(report)
    out = REPO / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "vendors.md").write_text(report + "\n", encoding="utf-8")
    (out / "vendors.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
