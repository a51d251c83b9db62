"""The ``camatlas`` command line: parse arguments, call the Python API, print.

Run ``camatlas --help`` for the commands and ``camatlas COMMAND --help`` for
their options.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from camatlas import __version__
from camatlas.atlas import (
    EXPORT_FORMATS,
    OSM_ATTRIBUTION,
    ImportSummary,
    file_sha256,
    open_atlas,
    read_file,
    report_rows,
)
from camatlas.camera import FIELDS
from camatlas.errors import CamatlasError
from camatlas.merge import DEFAULT_LINK_DISTANCE_M
from camatlas.sources import FORMATS, Rejected, SourceData
from camatlas.sources.table import TableOptions
from camatlas.store import LAYERS
from camatlas.store.pgurl import is_postgres_url, parse_postgres_url, redact_url

app = typer.Typer(
    name="camatlas",
    help=(
        "An open atlas of surveillance cameras. Import cameras from OpenStreetMap "
        "(PBF, XML, Overpass) and public registries (CSV, GeoJSON) into one atlas "
        "(a GeoPackage file, or PostgreSQL/PostGIS for a shared one), then query, count "
        "and export them. "
        "It maps infrastructure, never people."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (CI logs, files) gets wide tables rather than 80 truncated columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)

AtlasOption = Annotated[
    str,
    typer.Option(
        "--atlas",
        "-a",
        help=(
            "The atlas: a GeoPackage file (created when missing), e.g. city.gpkg, or a "
            "PostgreSQL/PostGIS URL, e.g. postgresql://user@host/db?schema=camatlas."
        ),
        envvar="CAMATLAS_ATLAS",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


def _shown(atlas: str) -> str:
    """The atlas as printed: a PostgreSQL URL without its password."""
    return redact_url(atlas)


def _beside_atlas(atlas: str, suffix: str) -> Path:
    """A file named after the atlas: beside a GeoPackage, in the current folder for a URL."""
    if is_postgres_url(atlas):
        parsed = parse_postgres_url(atlas)
        return Path(f"{parsed.database or 'postgres'}-{parsed.schema}{suffix}")
    return Path(atlas).with_name(Path(atlas).stem + suffix)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn camatlas errors into a message and a non-zero exit, never a traceback."""
    try:
        yield
    except CamatlasError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        raise _fail("interrupted; the atlas is unchanged by the unfinished import", 130) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"camatlas {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """An open atlas of surveillance cameras."""


# --- options shared by import and validate ---------------------------------------

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format", "-f", help=f"Input format ({', '.join(FORMATS)}); detected when omitted."
    ),
]
LayersOption = Annotated[
    str,
    typer.Option(help="Layers to read from OSM inputs, comma-separated."),
]
LatOption = Annotated[str | None, typer.Option("--lat", help="Latitude column (registries).")]
LonOption = Annotated[str | None, typer.Option("--lon", help="Longitude column (registries).")]
XOption = Annotated[str | None, typer.Option("--x", help="X / easting column (with --crs).")]
YOption = Annotated[str | None, typer.Option("--y", help="Y / northing column (with --crs).")]
WktOption = Annotated[str | None, typer.Option("--wkt", help="WKT geometry column.")]
CrsOption = Annotated[
    str | None,
    typer.Option("--crs", help="CRS of x/y or WKT columns, e.g. EPSG:27700 (default WGS 84)."),
]
IdOption = Annotated[str | None, typer.Option("--id-column", help="Column holding a stable id.")]
ColumnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        help=(
            "Map a registry column onto a camera field, FIELD=COLUMN, repeatable. "
            f"Fields: {', '.join(FIELDS)}."
        ),
    ),
]
KindOption = Annotated[
    str | None,
    typer.Option("--kind", help="Kind of every row of a registry without a kind column."),
]
SourceOption = Annotated[
    str | None,
    typer.Option("--source-name", help="Source name of a registry (default: its file name)."),
]
DelimiterOption = Annotated[
    str | None, typer.Option("--delimiter", help="CSV delimiter (sniffed when omitted).")
]
RowIdsOption = Annotated[
    bool,
    typer.Option(
        "--row-ids",
        help="Number a registry's rows as their ids (when its ids are missing or repeated).",
    ),
]
SkipOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad-rows",
        help="Import the good rows of a registry and write each rejected row to --rejected.",
    ),
]


def _table_options(
    lat: str | None,
    lon: str | None,
    x: str | None,
    y: str | None,
    wkt: str | None,
    crs: str | None,
    id_column: str | None,
    column: list[str] | None,
    kind: str | None,
    source_name: str | None,
    delimiter: str | None,
    skip_bad_rows: bool,
    row_ids: bool,
) -> TableOptions:
    columns: dict[str, str] = {}
    for item in column or []:
        name, sep, col = item.partition("=")
        if not sep or not col or name not in FIELDS:
            raise _fail(
                f"--column {item!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"
            )
        columns[name] = col
    return TableOptions(
        lat=lat,
        lon=lon,
        x=x,
        y=y,
        wkt=wkt,
        crs=crs,
        id=id_column,
        columns=columns,
        kind=kind,
        source=source_name,
        skip_bad_rows=skip_bad_rows,
        delimiter=delimiter,
        row_ids=row_ids,
    )


def _layers(text: str) -> tuple[str, ...]:
    layers = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [layer for layer in layers if layer not in LAYERS]
    if bad or not layers:
        raise _fail(f"--layers {text!r}: choose among {', '.join(LAYERS)}")
    return layers


class _FileProgress:
    """A rich progress bar fed by the readers' (stage, done, total) callbacks."""

    def __init__(self, progress: Progress, name: str) -> None:
        self.progress = progress
        self.name = name
        self.task: TaskID = progress.add_task(name, total=None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.progress.update(
            self.task,
            description=f"{self.name}: {stage}",
            completed=done,
            total=total if total > 0 else None,
        )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def _read_all(
    files: list[Path], format: str | None, layers: tuple[str, ...], options: TableOptions
) -> list[SourceData]:
    """Read every file before writing any, so a bad file stops the run before it starts."""
    results = []
    with _progress() as progress:
        for path in files:
            results.append(
                read_file(
                    path,
                    format=format,
                    layers=layers,
                    table_options=options,
                    progress=_FileProgress(progress, path.name),
                )
            )
    return results


def _write_rejected(path: Path, rows: list[tuple[str, Rejected]]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "where", "value", "reason"])
        for name, r in rows:
            writer.writerow([name, r.where, r.value, r.reason])


# --- commands ---------------------------------------------------------------------


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(help="Input files: OSM PBF/XML, Overpass JSON, CSV, GeoJSON, JSON records."),
    ],
    atlas: AtlasOption,
    format: FormatOption = None,
    layers: LayersOption = ",".join(LAYERS),
    lat: LatOption = None,
    lon: LonOption = None,
    x: XOption = None,
    y: YOption = None,
    wkt: WktOption = None,
    crs: CrsOption = None,
    id_column: IdOption = None,
    column: ColumnOption = None,
    kind: KindOption = None,
    source_name: SourceOption = None,
    delimiter: DelimiterOption = None,
    skip_bad_rows: SkipOption = False,
    row_ids: RowIdsOption = False,
    rejected: Annotated[
        Path | None,
        typer.Option(
            help="Where --skip-bad-rows writes rejected rows (CSV). Default: beside the atlas."
        ),
    ] = None,
    link_distance: Annotated[
        float,
        typer.Option(
            help="Link cameras of different sources within this distance as one (metres)."
        ),
    ] = DEFAULT_LINK_DISTANCE_M,
    as_json: JsonOption = False,
) -> None:
    """Import files into an atlas. Each file is one transaction: it lands whole or not at all.

    Every file is read and checked before anything is written. Importing a file
    the atlas has already seen (same SHA-256) changes nothing.
    """
    with _errors():
        options = _table_options(
            lat, lon, x, y, wkt, crs, id_column, column, kind, source_name, delimiter,
            skip_bad_rows, row_ids,
        )  # fmt: skip
        chosen = _layers(layers)
        with open_atlas(atlas) as at:
            todo: list[Path] = []
            summaries: list[ImportSummary] = []
            shas: dict[Path, str] = {}
            for path in files:
                shas[path] = file_sha256(path) if path.is_file() else ""
                if shas[path] and at.store.has_source(shas[path]):
                    summaries.append(ImportSummary(str(path), "", "", "unchanged"))
                else:
                    todo.append(path)
            datas = _read_all(todo, format, chosen, options)
            for path, data in zip(todo, datas, strict=True):
                opts = {"layers": sorted(chosen), "link_distance_m": link_distance}
                summaries.append(
                    at.import_data(
                        data, sha256=shas[path], options=opts, link_distance_m=link_distance
                    )
                )
            rejected_rows = [(Path(s.path).name, r) for s in summaries for r in s.rejected]
            rejected_path = None
            if skip_bad_rows and rejected_rows:
                rejected_path = rejected or _beside_atlas(atlas, "-rejected.csv")
                _write_rejected(rejected_path, rejected_rows)
            total = at.store.count("cameras")
    if as_json:
        out.print_json(
            data={
                "atlas": _shown(atlas),
                "imports": [s.as_dict() for s in summaries],
                "cameras": total,
                "rejected_file": str(rejected_path) if rejected_path else None,
            }
        )
        return
    table = Table(title=f"Imported into {_shown(atlas)}", title_justify="left")
    for name in (
        "file",
        "status",
        "cameras",
        "streets",
        "buildings",
        "areas",
        "tag problems",
        "skipped",
        "links",
    ):
        table.add_column(name, justify="left" if name in ("file", "status") else "right")
    for s in summaries:
        table.add_row(
            Text(Path(s.path).name),
            s.status,
            str(s.cameras),
            str(s.streets),
            str(s.buildings),
            str(s.areas),
            str(s.problems),
            str(len(s.rejected)),
            str(s.links),
        )
    out.print(table)
    out.print(f"The atlas now holds {total} camera records.")
    if rejected_path:
        out.print(Text(f"Rejected rows with their reasons: {rejected_path}"))
    out.print(Text(f"Next: camatlas stats --atlas {_shown(atlas)}"))


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Input files to check.")],
    format: FormatOption = None,
    layers: LayersOption = ",".join(LAYERS),
    lat: LatOption = None,
    lon: LonOption = None,
    x: XOption = None,
    y: YOption = None,
    wkt: WktOption = None,
    crs: CrsOption = None,
    id_column: IdOption = None,
    column: ColumnOption = None,
    kind: KindOption = None,
    source_name: SourceOption = None,
    delimiter: DelimiterOption = None,
    skip_bad_rows: SkipOption = False,
    row_ids: RowIdsOption = False,
    as_json: JsonOption = False,
) -> None:
    """Dry run: read files and say what would be imported and what could not be read."""
    with _errors():
        options = _table_options(
            lat, lon, x, y, wkt, crs, id_column, column, kind, source_name, delimiter,
            skip_bad_rows, row_ids,
        )  # fmt: skip
        datas = _read_all(files, format, _layers(layers), options)
    results: list[dict[str, Any]] = []
    for data in datas:
        report = report_rows(data.problems)
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
                    for r in report
                ],
                "rejected_rows": [
                    {"where": r.where, "value": r.value, "reason": r.reason} for r in data.rejected
                ],
            }
        )
    if as_json:
        out.print_json(data={"files": results})
        return
    for res in results:
        out.print(
            Text(
                f"{res['path']} ({res['format']}): {res['cameras']} cameras, "
                f"{res['streets']} streets, {res['buildings']} buildings would be imported"
            )
        )
        if res["report"]:
            table = Table(
                "key",
                "value",
                "count",
                "what camatlas did",
                "examples",
                title="Tag values not interpreted",
                title_justify="left",
            )
            for r in res["report"][:30]:
                table.add_row(
                    Text(r["key"]),
                    Text(r["value"]),
                    str(r["count"]),
                    Text(r["reason"]),
                    Text(", ".join(r["examples"][:3])),
                )
            out.print(table)
        if res["rejected_rows"]:
            out.print(f"{len(res['rejected_rows'])} rows/elements skipped, e.g.:")
            for r in res["rejected_rows"][:10]:
                out.print(Text(f"  {r['where']}: {r['reason']} ({r['value']!r})"))


def _breakdown_table(title: str, counts: dict[str, int], total: int) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None)
    table.add_column("value")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for key, n in counts.items():
        table.add_row(Text(key), str(n), f"{100 * n / total:.0f}%" if total else "-")
    return table


@app.command()
def stats(atlas: AtlasOption, as_json: JsonOption = False) -> None:
    """Totals and breakdowns: by kind, type, surveillance, zone, operator, direction."""
    with _errors(), open_atlas(atlas, create=False) as at:
        result = at.stats()
    if as_json:
        out.print_json(data=result)
        return
    total = result["cameras"]
    out.print(
        Text(
            f"{_shown(atlas)}: {total} camera records "
            f"({result['physical_cameras']} physical cameras, "
            f"{result['linked_pairs']} linked pairs across sources), {result['streets']} streets, "
            f"{result['buildings']} buildings, {result['areas']} areas, "
            f"from {result['sources']} imports"
        )
    )
    for name in (
        "by_kind",
        "by_camera_type",
        "by_surveillance",
        "by_zone",
        "by_operator",
        "by_source",
    ):
        out.print(
            _breakdown_table(name.replace("by_", "by ").replace("_", " "), result[name], total)
        )
    out.print(_breakdown_table("direction", result["direction"], total))
    out.print(
        f"Tag values not interpreted, or defaults assumed: {result['tag_problems']} "
        "(see the normalization_report table, or `camatlas validate FILE`)."
    )
    out.print(f"Known cameras only. OpenStreetMap data {OSM_ATTRIBUTION}.")


@app.command()
def export(
    atlas: AtlasOption,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write (replaced if present).")
    ],
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"One of {', '.join(EXPORT_FORMATS)}.")
    ] = "geojson",
    layer: Annotated[
        str, typer.Option(help="Layer for single-layer formats: cameras, streets or buildings.")
    ] = "cameras",
) -> None:
    """Export the atlas: GeoJSON, CSV or FlatGeobuf (one layer), or GeoPackage (all layers)."""
    with _errors(), open_atlas(atlas, create=False) as at:
        written = at.export(output, format, layer=layer)
    out.print(
        Text(
            f"Wrote {', '.join(written)} to {output}. "
            f"OpenStreetMap data {OSM_ATTRIBUTION}: keep this attribution."
        )
    )


@app.command()
def fetch(
    atlas: AtlasOption,
    bbox: Annotated[
        str | None, typer.Option(help="WEST,SOUTH,EAST,NORTH in degrees (lon/lat).")
    ] = None,
    area: Annotated[str | None, typer.Option(help="Name of an OSM area, e.g. 'Porto'.")] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="Overpass API endpoint (default: $CAMATLAS_OVERPASS_URL or overpass-api.de)."
        ),
    ] = None,
    cameras_only: Annotated[
        bool, typer.Option(help="Fetch cameras only, not streets and buildings.")
    ] = False,
    save: Annotated[
        Path | None,
        typer.Option(
            help="Where to keep the raw response (default: beside the atlas, timestamped)."
        ),
    ] = None,
    timeout: Annotated[int, typer.Option(help="Server-side query timeout in seconds.")] = 180,
) -> None:
    """Query the Overpass API for an area and import the answer into the atlas.

    The raw response is kept on disk so that the import is reproducible.
    """
    from camatlas.sources.overpass import build_query, default_endpoint
    from camatlas.sources.overpass import fetch as overpass_fetch

    with _errors():
        if (bbox is None) == (area is None):
            raise _fail("give exactly one of --bbox WEST,SOUTH,EAST,NORTH or --area NAME")
        box = None
        if bbox is not None:
            try:
                w, s, e, n = (float(v) for v in bbox.split(","))
            except ValueError:
                raise _fail(
                    f"--bbox {bbox!r}: expected four numbers WEST,SOUTH,EAST,NORTH"
                ) from None
            box = (w, s, e, n)
        layers = ("cameras",) if cameras_only else LAYERS
        query = build_query(bbox=box, area=area, layers=layers, timeout_s=timeout)
        url = endpoint or default_endpoint()
        err.print(Text(f"Querying {url} ..."))
        payload = overpass_fetch(query, endpoint=url, timeout_s=timeout + 30)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = save or _beside_atlas(atlas, f"-overpass-{stamp}.json")
        target.write_bytes(payload)
        with open_atlas(atlas) as at:
            summary = at.import_file(target, layers=layers)
    out.print(
        Text(
            f"Saved the response to {target}; {summary.status}: {summary.cameras} cameras, "
            f"{summary.streets} streets, {summary.buildings} buildings."
        )
    )


@app.command("copy")
def copy_(
    source: Annotated[
        str, typer.Argument(help="The atlas to copy: a GeoPackage file or a postgresql:// URL.")
    ],
    destination: Annotated[
        str,
        typer.Argument(help="Where to copy it: a GeoPackage file or a postgresql:// URL."),
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Overwrite an atlas that already holds data at DESTINATION."
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Copy a whole atlas between a GeoPackage file and PostgreSQL/PostGIS, either way.

    Every layer, the import history, the normalization report, the camera links
    and every result layer are copied with their ids. The destination is
    written in one transaction: a failed copy leaves it as it was.
    """
    from camatlas.copy import copy_atlas

    with _errors():
        summary = copy_atlas(source, destination, replace=replace)
    if as_json:
        out.print_json(data=summary.as_dict())
        return
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in summary.rows.items())
    out.print(Text(f"Copied {summary.source} to {summary.destination}: {counts}."))


@app.command()
def sight(
    atlas: AtlasOption,
    range_m: Annotated[
        float | None,
        typer.Option(
            "--range",
            help="Range of every camera in metres (default: its tag, else "
            "the default for its type, zone and mount).",
        ),
    ] = None,
    width: Annotated[
        float | None,
        typer.Option(
            "--width",
            help="Width of view of every camera in degrees (its lens, for "
            "domes and panning cameras).",
        ),
    ] = None,
    no_occlusion: Annotated[
        bool, typer.Option("--no-occlusion", help="Do not cut views by building footprints.")
    ] = False,
    include_indoor: Annotated[
        bool,
        typer.Option("--include-indoor", help="Give views to surveillance=indoor cameras too."),
    ] = False,
    resolution: Annotated[
        int | None,
        typer.Option(
            "--resolution",
            help="Assumed horizontal resolution in pixels, for the DORI zones (default 1920).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Compute every camera's field of view, cut by buildings and split into DORI zones.

    Writes the layers views (one polygon per camera) and view_zones (identification,
    recognition, observation and detection bands, IEC EN 62676-4) into the atlas, with
    the parameters used. Missing widths and ranges get documented defaults.
    """
    from camatlas.sight import DEFAULT_RESOLUTION_PX, SightParameters, summarize
    from camatlas.sight import sight as compute_sight

    with _errors():
        params = SightParameters(
            range_m=range_m,
            width_deg=width,
            occlusion=not no_occlusion,
            include_indoor=include_indoor,
            resolution_px=DEFAULT_RESOLUTION_PX if resolution is None else resolution,
        )
        with open_atlas(atlas, create=False) as at, _progress() as progress:
            views = compute_sight(at, params, progress=_FileProgress(progress, "sight"))
            total = at.store.count("cameras")
            stored = json.loads(
                str(at.store.results().set_index("name").loc["views", "parameters"])
            )
        result = {
            "atlas": _shown(atlas),
            "camera_records": total,
            **summarize(views),
            "crs": stored["crs"],
            "layers": ["views", "view_zones"],
            "parameters": params.as_dict(),
        }
    if as_json:
        out.print_json(data=result)
        return
    out.print(
        Text(
            f"{_shown(atlas)}: views of {result['cameras_with_views']} of {total} camera records "
            f"({result['full_circle']} full discs, {result['on_wall']} on a building's wall); "
            f"{result['assumed']} used a default width or range."
        )
    )
    out.print("Area in view (overlaps counted once):")
    table = Table(show_header=False, box=None)
    table.add_column("level")
    table.add_column("km²", justify="right")
    table.add_row("any level", f"{result['area_km2']:.4f} km²")
    for level, km2 in result["area_by_level_km2"].items():
        table.add_row(f"  best {level}", f"{km2:.4f} km²")
    out.print(table)
    out.print(
        Text(
            f"Stored as layers views and view_zones (computed in metres of {result['crs']}, "
            "each camera in its UTM zone; WGS 84 in the atlas). Defaults and their sources: "
            "docs/method.md."
        )
    )
    out.print(f"Known cameras only. OpenStreetMap data {OSM_ATTRIBUTION}.")


@app.command()
def measure(
    atlas: AtlasOption,
    by: Annotated[
        str | None,
        typer.Option(
            help="Aggregate by admin boundaries (admin, admin:LEVEL), user polygons "
            "(geojson:FILE.geojson with a name property) or H3 cells (h3:9)."
        ),
    ] = None,
    admin_level: Annotated[
        int | None, typer.Option(help="admin_level for --by admin (default: the most detailed).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(
            help="Surveillance kinds counted, comma-separated, e.g. camera,alpr (default: all)."
        ),
    ] = None,
    samples: Annotated[
        int,
        typer.Option(
            help="Draws of the unknown view parameters for an uncertainty range (0: none)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the draws.")] = 0,
    completeness: Annotated[
        float,
        typer.Option(
            help="Share of real cameras that are mapped, e.g. 0.63; density estimates "
            "= counted / completeness."
        ),
    ] = 1.0,
    range_m: Annotated[
        float | None, typer.Option("--range", help="Range of every camera's view, metres.")
    ] = None,
    width: Annotated[
        float | None, typer.Option("--width", help="Width of every camera's view, degrees.")
    ] = None,
    no_occlusion: Annotated[
        bool, typer.Option("--no-occlusion", help="Do not cut views by buildings.")
    ] = False,
    include_indoor: Annotated[
        bool,
        typer.Option(
            "--include-indoor",
            help="Give indoor cameras views too (they always count in densities).",
        ),
    ] = False,
    population: Annotated[
        Path | None,
        typer.Option(help="CSV of population per user polygon (columns KEY and population)."),
    ] = None,
    population_key: Annotated[
        str | None, typer.Option(help="Column of --population matching a polygon property.")
    ] = None,
    rank_by: Annotated[
        str,
        typer.Option(
            help="Rank areas by cameras_per_km2, watched_share, "
            "cameras_per_street_km, cameras_per_1000_residents, "
            "watched_m_per_street_km or cameras."
        ),
    ] = "cameras_per_km2",
    min_blind: Annotated[
        float, typer.Option(help="Shortest unwatched stretch reported as a blind spot, metres.")
    ] = 100.0,
    top: Annotated[int, typer.Option(help="Areas shown in the ranking (text output).")] = 15,
    as_json: JsonOption = False,
) -> None:
    """Measure how much of the streets known cameras watch, and how dense they are.

    Street coverage (metres and share of street length in view, by DORI level),
    cameras per km², per km of street and per 1,000 residents, by area, blind
    spots, and an uncertainty range over unknown view parameters. Results are
    written into the atlas as layers street_coverage, measure_by_area and
    blind_spots.
    """
    from camatlas.measure import measure as run_measure
    from camatlas.sight import SightParameters

    with _errors():
        params = SightParameters(
            range_m=range_m,
            width_deg=width,
            occlusion=not no_occlusion,
            include_indoor=include_indoor,
        )
        kinds = None if kind is None else [k.strip() for k in kind.split(",") if k.strip()]
        with open_atlas(atlas, create=False) as at, _progress() as progress:
            result = run_measure(
                at,
                by=by,
                params=params,
                samples=samples,
                seed=seed,
                completeness=completeness,
                kinds=kinds,
                admin_level=admin_level,
                population=population,
                population_key=population_key,
                rank_by=rank_by,
                min_blind_m=min_blind,
                progress=_FileProgress(progress, "measure"),
            )
    if as_json:
        out.print_json(data=result.as_dict())
        return
    s = result.summary
    share = s["watched_share"]
    out.print(
        Text(
            f"{_shown(atlas)}: known cameras only. {s['cameras_total']} physical cameras counted "
            f"({s['camera_records']} records; records of different sources linked as one camera "
            f"count once; kinds: {', '.join(s['kinds']) or 'none'})."
        )
    )
    out.print(
        Text(
            f"Streets: {s['streets']} ways, {s['street_length_m'] / 1000:.1f} km; watched "
            f"{s['watched_length_m'] / 1000:.2f} km"
            + (
                f" = {100 * share:.1f}% ({s['watched_m_per_street_km']:.0f} m per km of street)"
                if share is not None and share == share
                else ""
            )
            + f", by {s['cameras_watching_streets']} cameras."
        )
    )
    out.print(
        Text(
            "Best level in view: "
            + ", ".join(
                f"{level} {s[f'watched_m_{level}'] / 1000:.2f} km"
                for level in ("identification", "recognition", "observation", "detection")
            )
        )
    )

    def _num(value: object, digits: int = 2) -> str:
        return "-" if value is None or value != value else f"{value:.{digits}f}"

    out.print(
        Text(
            f"Street land {s['area_km2']:.2f} km² holds {s['cameras']} cameras: "
            f"{_num(s['cameras_per_km2'])} per km², {_num(s['cameras_per_street_km'], 3)} per km "
            f"of street"
            + (
                f", {_num(s['cameras_per_1000_residents'])} per 1,000 residents"
                if s["cameras_per_1000_residents"] is not None
                else ""
            )
            + "."
        )
    )
    c = s["completeness"]
    if c["factor"] < 1:
        out.print(
            Text(
                f"Estimated with completeness {c['factor']:g} (counted / {c['factor']:g}): "
                f"{c['estimated_cameras']:.0f} cameras, "
                f"{_num(c['estimated_cameras_per_km2'])} per km², "
                f"{_num(c['estimated_cameras_per_street_km'], 3)} per km of street."
            )
        )
    if (
        result.uncertainty
        and result.uncertainty["watched_share"]["median"]
        == (
            result.uncertainty["watched_share"]["median"]  # NaN when there is no street
        )
    ):
        u = result.uncertainty["watched_share"]
        out.print(
            Text(
                f"Uncertainty over {result.uncertainty['samples']} draws "
                "of unknown view parameters "
                f"(seed {result.uncertainty['seed']}): watched share median "
                f"{_num(100 * u['median'], 1)}%, 5-95% range {_num(100 * u['p5'], 1)}-"
                f"{_num(100 * u['p95'], 1)}%."
            )
        )
    if result.parameters.get("by"):
        table = Table(
            title=f"Areas ({result.parameters['areas']}), ranked by {rank_by}", title_justify="left"
        )
        for name in (
            "rank",
            "area",
            "km²",
            "cameras",
            "per km²",
            "per street km",
            "per 1,000 res.",
            "watched",
        ):
            table.add_column(name, justify="left" if name == "area" else "right")
        for row in result.by_area.head(top).itertuples():
            table.add_row(
                str(row.rank),
                Text(str(row.name)),
                f"{row.area_km2:.2f}",
                str(row.cameras),
                _num(row.cameras_per_km2),
                _num(row.cameras_per_street_km, 3),
                _num(row.cameras_per_1000_residents),
                "-"
                if row.watched_share != row.watched_share
                else f"{100 * row.watched_share:.1f}%",
            )
        out.print(table)
    b = s["blind_spots"]
    out.print(
        Text(
            f"Blind spots: {b['count']} unwatched stretches of at least "
            f"{b['min_length_m']:g} m, {b['length_m'] / 1000:.1f} km in all."
        )
    )
    a = s["assumptions"]
    out.print(
        Text(
            f"Assumptions: range from defaults for {a['range_from_default']} of "
            f"{a['cameras_with_views']} "
            f"cameras, width for {a['width_from_default']}; "
            f"{a['full_circle']} seen as full circles "
            f"(dome/panning or direction unknown); occlusion by buildings "
            f"{'on' if a['occlusion_by_buildings'] else 'off'}; indoor cameras counted, "
            f"{'with' if a['indoor_cameras_included'] else 'without'} views. Street length counts "
            "streets people use (see docs/method.md); the area is the street land."
        )
    )
    out.print(
        Text(f"Written to {_shown(atlas)}: layers street_coverage, measure_by_area, blind_spots.")
    )
    out.print(f"Known cameras only. OpenStreetMap data {OSM_ATTRIBUTION}.")


@app.command("route")
def route_(
    atlas: AtlasOption,
    origin: Annotated[
        str, typer.Option("--from", help="Start as LAT,LON in degrees, e.g. 51.5138,-0.0984.")
    ],
    destination: Annotated[str, typer.Option("--to", help="End as LAT,LON in degrees.")],
    profile: Annotated[
        str, typer.Option(help="walk (one-way streets both ways), bike or car.")
    ] = "walk",
    max_detour: Annotated[
        float | None,
        typer.Option(
            help="Leave out routes longer than the shortest by more than this share "
            "(0.5 = at most 50% longer). Default: no limit."
        ),
    ] = None,
    max_snap: Annotated[
        float, typer.Option(help="Refuse a point farther than this from a usable street, metres.")
    ] = 250.0,
    as_json: JsonOption = False,
) -> None:
    """Least-watched routes between two points, from the shortest to the least watched.

    Each alternative is Pareto-optimal: no other route is as short and less
    watched. "In view" is the length inside at least one known camera's view
    (stored views from `camatlas sight`, else views with default parameters).
    Privacy: the points you give and the routes found are never logged or
    stored; nothing is written to the atlas or anywhere else.
    """
    from camatlas.route import build_graph, parse_lat_lon

    with _errors():
        start = parse_lat_lon(origin, "--from")
        end = parse_lat_lon(destination, "--to")
        with open_atlas(atlas, create=False) as at:
            graph = build_graph(at, profile)
            options = graph.least_watched(start, end, max_detour=max_detour, max_snap_m=max_snap)
    if as_json:
        out.print_json(
            data={
                "profile": profile,
                "routes": [o.as_dict() for o in options],
                "origin_snap_m": round(options[0].origin_snap_m, 2),
                "destination_snap_m": round(options[0].destination_snap_m, 2),
                "max_detour": max_detour,
                "views": graph.views_source,
                "note": "known cameras only",
                "attribution": f"OpenStreetMap data {OSM_ATTRIBUTION}",
            }
        )
        return
    table = Table(
        title=f"{len(options)} {profile} route(s), shortest first, least watched last",
        title_justify="left",
    )
    for name in ("#", "length", "detour", "in view", "share in view", "cameras"):
        table.add_column(name, justify="right")
    for i, o in enumerate(options, 1):
        table.add_row(
            str(i),
            f"{o.length_m:,.0f} m",
            f"+{o.detour_m:,.0f} m ({100 * o.detour_ratio:.0f}%)",
            f"{o.watched_m:,.0f} m",
            f"{100 * o.watched_share:.0f}%",
            str(len(o.cameras)),
        )
    out.print(table)
    out.print(
        Text(
            f"Start and end moved {options[0].origin_snap_m:,.0f} m and "
            f"{options[0].destination_snap_m:,.0f} m onto the nearest streets. "
            "Use --json for the route geometries."
        )
    )
    out.print(
        Text(
            f"Known cameras only; views: {graph.views_source}. "
            f"OpenStreetMap data {OSM_ATTRIBUTION}."
        )
    )


@app.command("exposure")
def exposure_(
    track: Annotated[Path, typer.Argument(help="The track: a GPX file or a GeoJSON LineString.")],
    atlas: AtlasOption,
    speed: Annotated[
        float, typer.Option(help="Speed in km/h that turns metres into seconds (5: walking).")
    ] = 5.0,
    as_json: JsonOption = False,
) -> None:
    """How watched a route or GPS track is: cameras passed, metres and seconds in view.

    Split by operator, by public/outdoor and by the best DORI level in view;
    --json adds the watched stretches as GeoJSON. Privacy: the track is read,
    never logged or stored; nothing is written to the atlas or anywhere else.
    """
    from camatlas.route import exposure as track_exposure

    with _errors(), open_atlas(atlas, create=False) as at:
        result = track_exposure(at, track, speed_kmh=speed)
    if as_json:
        out.print_json(
            data={
                **result,
                "note": "known cameras only",
                "attribution": f"OpenStreetMap data {OSM_ATTRIBUTION}",
            }
        )
        return
    out.print(
        Text(
            f"{result['length_m']:,.0f} m, {result['seconds'] / 60:.1f} min at {speed:g} km/h: "
            f"{result['watched_m']:,.0f} m in view ({100 * result['watched_share']:.0f}%), "
            f"{result['seconds_in_view'] / 60:.1f} min, by {result['cameras']} distinct cameras; "
            f"{len(result['stretches']['features'])} watched stretches."
        )
    )
    for key, title in (
        ("by_operator", "by operator"),
        ("by_surveillance", "by surveillance"),
        ("by_level", "by best DORI level"),
    ):
        table = Table(title=title, title_justify="left")
        table.add_column("")
        if key != "by_level":
            table.add_column("cameras", justify="right")
        table.add_column("in view", justify="right")
        table.add_column("seconds", justify="right")
        for name, row in result[key].items():
            cells = [str(row["cameras"])] if key != "by_level" else []
            table.add_row(
                Text(name), *cells, f"{row['watched_m']:,.0f} m", f"{row['seconds_in_view']:,.0f}"
            )
        out.print(table)
    out.print(
        Text(f"Known cameras only; views: {result['views']}. OpenStreetMap data {OSM_ATTRIBUTION}.")
    )


@app.command()
def serve(
    atlas: AtlasOption,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 serves this machine only.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="TCP port; 0 picks a free one.", min=0, max=65535)
    ] = 8000,
    basemap: Annotated[
        str | None,
        typer.Option(
            help="Raster tile URL template, e.g. https://tile.example.org/{z}/{x}/{y}"
            ".png, drawn under the atlas. Default: the atlas's own streets and "
            "buildings (works offline)."
        ),
    ] = None,
    basemap_attribution: Annotated[
        str | None, typer.Option(help="Attribution text of the --basemap tiles.")
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="Allow the API to be called from pages of this origin "
            "(e.g. https://example.org); repeatable. Default: no cross-origin calls."
        ),
    ] = None,
) -> None:
    """Serve the web map and the HTTP API of an atlas (read-only) until Ctrl+C.

    The map shows cameras, fields of view, watched streets, density and a route
    planner; the API (vector tiles, GeoJSON, JSON) is documented at /docs.
    Route requests are never logged or stored.
    """
    from camatlas.web.app import RunningServer, ServerSettings
    from camatlas.web.app import serve as run_server

    if basemap is not None and not basemap.startswith(("https://", "http://")):
        raise _fail(f"--basemap {basemap!r}: expected an http(s) URL with {{z}}/{{x}}/{{y}}")
    settings = ServerSettings(
        atlas=atlas,
        host=host,
        port=port,
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        cors_origins=tuple(cors_origin or ()),
    )

    def listening(server: RunningServer) -> None:
        out.print(
            Text(
                f"Serving the map of {_shown(atlas)} at {server.url}/ "
                f"(API docs: {server.url}/docs). Press Ctrl+C to stop."
            ),
            soft_wrap=True,
        )
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(
                Text(
                    f"warning: listening on {host}: anyone who can reach this machine "
                    "can read the atlas."
                ),
                soft_wrap=True,
            )
        sys.stdout.flush()

    with _errors():
        run_server(settings, on_listen=listening)


def main() -> None:
    """Entry point of the ``camatlas`` command."""
    try:
        app()
    except BrokenPipeError:  # e.g. `camatlas stats --json | head`
        sys.stderr.close()
