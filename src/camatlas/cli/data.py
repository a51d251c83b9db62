"""Commands that bring data in and out: import, validate, fetch, stats, export, copy."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

import camatlas
from camatlas.cli import options as opt
from camatlas.cli.render import (
    breakdown,
    err,
    errors,
    fail,
    footer,
    new_table,
    out,
    print_json,
    progress,
    say,
    shown,
    text,
)
from camatlas.coords import parse_bbox
from camatlas.paths import check_output
from camatlas.store.pgurl import is_postgres_url, parse_postgres_url
from camatlas.vocab import DATA_ATTRIBUTION, DEFAULT_LINK_DISTANCE_M, EXPORT_FORMATS, LAYERS


def beside_atlas(atlas: str, suffix: str) -> Path:
    """A file named after the atlas: beside a GeoPackage, in the current folder for a URL."""
    if is_postgres_url(atlas):
        parsed = parse_postgres_url(atlas)
        return Path(f"{parsed.database or 'postgres'}-{parsed.schema}{suffix}")
    return Path(atlas).with_name(Path(atlas).stem + suffix)


def _write_rejected(path: Path, rows: list[tuple[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "where", "value", "reason"])
        for name, r in rows:
            writer.writerow([name, r.where, r.value, r.reason])


@click.command("import")
@opt.files_argument("Input files: OSM PBF/XML, Overpass JSON, CSV, GeoJSON, JSON records.")
@opt.atlas_option
@opt.reading_options
@click.option(
    "--rejected",
    type=opt.PATH,
    help="Where --skip-bad-rows writes rejected rows (CSV). Default: beside the atlas.",
)
@click.option(
    "--link-distance",
    type=float,
    default=DEFAULT_LINK_DISTANCE_M,
    help="Link cameras of different sources within this distance as one (metres).",
)
@opt.json_option
def import_(
    files: tuple[Path, ...],
    atlas: str,
    reading: opt.Reading,
    rejected: Path | None,
    link_distance: float,
    as_json: bool,
) -> None:
    """Import files into an atlas. Each file is one transaction: it lands whole or not at all.

    Every file is read and checked before anything is written. Importing a file
    the atlas has already seen (same SHA-256) changes nothing.
    """
    with errors():
        table = reading.table()
        chosen = reading.layers()
        if rejected is not None and not rejected.parent.is_dir():
            raise fail(f"{rejected.parent}: no such folder for the rejected rows (--rejected)")
        rejected_default = beside_atlas(atlas, "-rejected.csv")
        check_output(rejected or rejected_default, [*files, atlas], "--rejected")
        with progress() as bar:
            # The atlas is created (when missing) only once every file has been read.
            summaries = camatlas.import_files(
                atlas,
                files,
                format=reading.format,
                layers=chosen,
                table_options=table,
                link_distance_m=link_distance,
                progress=bar,
            )
        with camatlas.open_atlas(atlas, create=False, read_only=True) as at:
            total = at.count("cameras")
        rejected_rows = [(Path(s.path).name, r) for s in summaries for r in s.rejected]
        rejected_path = None
        if reading.skip_bad_rows and rejected_rows:
            rejected_path = rejected or rejected_default
            _write_rejected(rejected_path, rejected_rows)
    if as_json:
        print_json(
            {
                "atlas": shown(atlas),
                "imports": [s.to_dict() for s in summaries],
                "cameras": total,
                "rejected_file": str(rejected_path) if rejected_path else None,
            }
        )
        return
    table_out = new_table(title=f"Imported into {shown(atlas)}", title_justify="left")
    for name in ("file", "status", "cameras", "streets", "buildings", "areas", "tag problems",
                 "skipped", "links"):  # fmt: skip
        table_out.add_column(name, justify="left" if name in ("file", "status") else "right")
    for s in summaries:
        table_out.add_row(
            text(Path(s.path).name), s.status, str(s.cameras), str(s.streets), str(s.buildings),
            str(s.areas), str(s.problems), str(len(s.rejected)), str(s.links),
        )  # fmt: skip
    out.print(table_out)
    say(f"The atlas now holds {total} camera records.")
    if rejected_path:
        say(f"Rejected rows with their reasons: {rejected_path}")
    say(f"Next: camatlas stats --atlas {shown(atlas)}")


@click.command("validate")
@opt.files_argument("Input files to check: OSM PBF/XML, Overpass JSON, CSV, GeoJSON, JSON records.")
@opt.reading_options
@opt.json_option
def validate(files: tuple[Path, ...], reading: opt.Reading, as_json: bool) -> None:
    """Dry run: read files and say what would be imported and what could not be read."""
    with errors():
        table = reading.table()
        chosen = reading.layers()
        datas = []
        with progress() as bar:
            for path in files:
                bar.name = path.name
                datas.append(
                    camatlas.read_file(
                        path,
                        format=reading.format,
                        layers=chosen,
                        table_options=table,
                        progress=bar,
                    )
                )
    results: list[dict[str, Any]] = []
    for data in datas:
        results.append(
            {
                "path": data.path,
                "format": data.format,
                "source": data.source,
                **data.counts(),
                "report": [
                    {
                        "key": r.key,
                        "value": r.value,
                        "reason": r.reason,
                        "count": r.count,
                        "examples": json.loads(r.example_ids),
                    }
                    for r in data.report()
                ],
                "rejected_rows": [
                    {"where": r.where, "value": r.value, "reason": r.reason} for r in data.rejected
                ],
            }
        )
    if as_json:
        print_json({"files": results})
        return
    for res in results:
        say(
            f"{res['path']} ({res['format']}): {res['cameras']} cameras, "
            f"{res['streets']} streets, {res['buildings']} buildings, {res['areas']} areas "
            "would be imported"
        )
        if res["report"]:
            report = new_table("key", "value", "count", "what camatlas did", "examples",
                           title="Tag values not interpreted", title_justify="left")  # fmt: skip
            for r in res["report"][:30]:
                report.add_row(
                    text(r["key"]),
                    text(r["value"]),
                    str(r["count"]),
                    text(r["reason"]),
                    text(", ".join(r["examples"][:3])),
                )
            out.print(report)
        if res["rejected_rows"]:
            say(f"{len(res['rejected_rows'])} rows/elements skipped, e.g.:")
            for r in res["rejected_rows"][:10]:
                say(f"  {r['where']}: {r['reason']} ({r['value']!r})")


@click.command("stats")
@opt.atlas_option
@opt.registry_option
@opt.as_of_option
@opt.json_option
def stats(atlas: str, registries: tuple[Path, ...], as_of: str | None, as_json: bool) -> None:
    """Totals and breakdowns: by kind, type, surveillance, zone, mount, operator, source,
    vendor, and the risk lists naming the vendors (see `camatlas vendors`)."""
    with errors(), camatlas.open_atlas(atlas, create=False, read_only=True) as at:
        registry = camatlas.load_registry(registries)
        result = at.stats(registry=registry, as_of=as_of).to_dict()
    result["atlas"] = shown(atlas)
    if as_json:
        print_json(result)
        return
    total = result["cameras"]
    say(
        f"{result['atlas']}: {total} camera records "
        f"({result['physical_cameras']} physical cameras, "
        f"{result['linked_pairs']} linked pairs across sources), {result['streets']} streets, "
        f"{result['buildings']} buildings, {result['areas']} areas, "
        f"from {result['sources']} imports"
    )
    for name in ("by_kind", "by_camera_type", "by_surveillance", "by_zone", "by_mount",
                 "by_operator", "by_source", "by_vendor", "by_vendor_status",
                 "by_check_age"):  # fmt: skip
        title = name.replace("by_", "by ").replace("_", " ")
        out.print(breakdown(title, result[name], total, "camera records"))
    lists = {item["id"]: item for item in result["lists"]}
    flagged = {
        (f"{lists[key]['name']} ({lists[key]['date']})" if key in lists else key): n
        for key, n in result["by_flag"].items()
    }
    out.print(breakdown(f"by flag: risk lists naming the vendor, as of {result['as_of']}",
                        flagged, total, "camera records"))  # fmt: skip
    out.print(breakdown("direction", result["direction"], total, "camera records"))
    say(
        f"Tag values not interpreted, or defaults assumed: {result['tag_problems']} "
        "(see the normalization_report table, or `camatlas validate FILE`)."
    )
    footer()


@click.command("export")
@opt.atlas_option
@click.option(
    "--output", "-o", required=True, type=opt.PATH, help="File to write (replaced if present)."
)
@click.option(
    "--format", "-f", "format", default="geojson", help=f"One of {', '.join(EXPORT_FORMATS)}."
)
@click.option(
    "--layer",
    default="cameras",
    help=f"Layer for single-layer formats: {', '.join(LAYERS)}, or a result layer "
    "(views, street_coverage, ...).",
)
def export(atlas: str, output: Path, format: str, layer: str) -> None:
    """Export a layer or result layer (GeoJSON, CSV, FlatGeobuf), or everything (GeoPackage).

    GeoJSON, CSV and FlatGeobuf hold one layer (--layer); a GeoPackage holds every
    layer and result layer. The file is replaced when present.
    """
    with errors(), camatlas.open_atlas(atlas, create=False, read_only=True) as at:
        written = at.export(output, format, layer=layer)
    say(f"Wrote {', '.join(written)} to {output}. {DATA_ATTRIBUTION}: keep this attribution.")


@click.command("fetch")
@opt.atlas_option
@click.option("--bbox", help="WEST,SOUTH,EAST,NORTH in degrees (lon/lat).")
@click.option("--area", help="Name of an OSM area, e.g. 'Porto'.")
@click.option(
    "--endpoint",
    help="Overpass API endpoint (default: $CAMATLAS_OVERPASS_URL or overpass-api.de).",
)
@click.option("--cameras-only", is_flag=True, help="Fetch cameras only, not streets and buildings.")
@click.option(
    "--save",
    type=opt.PATH,
    help="Where to keep the raw response (default: beside the atlas, timestamped).",
)
@click.option("--timeout", type=int, default=180, help="Server-side query timeout in seconds.")
def fetch(
    atlas: str,
    bbox: str | None,
    area: str | None,
    endpoint: str | None,
    cameras_only: bool,
    save: Path | None,
    timeout: int,
) -> None:
    """Query the Overpass API for an area and import the answer into the atlas.

    The raw response is kept on disk so that the import is reproducible.
    """
    with errors():
        if (bbox is None) == (area is None):
            raise fail("give exactly one of --bbox WEST,SOUTH,EAST,NORTH or --area NAME")
        box = None if bbox is None else parse_bbox(bbox, "--bbox")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = save or beside_atlas(atlas, f"-overpass-{stamp}.json")
        err.print(text(f"Querying {endpoint or 'the Overpass API'} ..."))
        # The answer first: a failed query leaves no atlas behind.
        chosen = camatlas.fetch_overpass(
            target,
            bbox=box,
            area=area,
            layers=("cameras",) if cameras_only else LAYERS,
            endpoint=endpoint,
            timeout_s=timeout,
        )
        with camatlas.open_atlas(atlas) as at:
            summary = at.import_file(target, layers=chosen)
    say(
        f"Saved the response to {target}; {summary.status}: {summary.cameras} cameras, "
        f"{summary.streets} streets, {summary.buildings} buildings."
    )


@click.command("copy")
@click.argument("source", help="The atlas to copy: a GeoPackage file or a postgresql:// URL.")
@click.argument("destination", help="Where to copy it: a GeoPackage file or a postgresql:// URL.")
@click.option(
    "--replace", is_flag=True, help="Overwrite an atlas that already holds data at DESTINATION."
)
@opt.json_option
def copy_(source: str, destination: str, replace: bool, as_json: bool) -> None:
    """Copy a whole atlas between a GeoPackage file and PostgreSQL/PostGIS, either way.

    Every layer, the import history, the normalization report, the camera links,
    every result layer and the stored street graphs are copied with their ids. The
    destination is written in one transaction: a failed copy leaves it as it was.
    """
    with errors():
        summary = camatlas.copy_atlas(source, destination, replace=replace)
    if as_json:
        print_json(summary.to_dict())
        return
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in summary.rows.items())
    say(f"Copied {summary.source} to {summary.destination}: {counts}.")
