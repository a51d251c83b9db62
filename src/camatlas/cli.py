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
from typing import Annotated

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

app = typer.Typer(
    name="camatlas",
    help=(
        "An open atlas of surveillance cameras. Import cameras from OpenStreetMap "
        "(PBF, XML, Overpass) and public registries (CSV, GeoJSON) into one atlas "
        "(a GeoPackage file), then query, count and export them. "
        "It maps infrastructure, never people."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

AtlasOption = Annotated[
    str,
    typer.Option(
        "--atlas", "-a",
        help="The atlas: a GeoPackage file (created when missing), e.g. city.gpkg.",
        envvar="CAMATLAS_ATLAS",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


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
    typer.Option("--format", "-f", help=f"Input format ({', '.join(FORMATS)}); detected when omitted."),
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
SkipOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad-rows",
        help="Import the good rows of a registry and write each rejected row to --rejected.",
    ),
]


def _table_options(
    lat: str | None, lon: str | None, x: str | None, y: str | None, wkt: str | None,
    crs: str | None, id_column: str | None, column: list[str] | None, kind: str | None,
    source_name: str | None, delimiter: str | None, skip_bad_rows: bool,
) -> TableOptions:
    columns: dict[str, str] = {}
    for item in column or []:
        name, sep, col = item.partition("=")
        if not sep or not col or name not in FIELDS:
            raise _fail(f"--column {item!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}")
        columns[name] = col
    return TableOptions(
        lat=lat, lon=lon, x=x, y=y, wkt=wkt, crs=crs, id=id_column, columns=columns,
        kind=kind, source=source_name, skip_bad_rows=skip_bad_rows, delimiter=delimiter,
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
            self.task, description=f"{self.name}: {stage}", completed=done,
            total=total if total > 0 else None,
        )


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    )


def _read_all(
    files: list[Path], format: str | None, layers: tuple[str, ...], options: TableOptions
) -> list[SourceData]:
    """Read every file before writing any, so a bad file stops the run before it starts."""
    results = []
    with _progress() as progress:
        for path in files:
            results.append(
                read_file(path, format=format, layers=layers, table_options=options,
                          progress=_FileProgress(progress, path.name))
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
    files: Annotated[list[Path], typer.Argument(help="Input files: OSM PBF/XML, Overpass JSON, CSV, GeoJSON, JSON records.")],
    atlas: AtlasOption,
    format: FormatOption = None,
    layers: LayersOption = ",".join(LAYERS),
    lat: LatOption = None, lon: LonOption = None, x: XOption = None, y: YOption = None,
    wkt: WktOption = None, crs: CrsOption = None, id_column: IdOption = None,
    column: ColumnOption = None, kind: KindOption = None, source_name: SourceOption = None,
    delimiter: DelimiterOption = None, skip_bad_rows: SkipOption = False,
    rejected: Annotated[
        Path | None,
        typer.Option(help="Where --skip-bad-rows writes rejected rows (CSV). Default: beside the atlas."),
    ] = None,
    link_distance: Annotated[
        float,
        typer.Option(help="Link cameras of different sources within this distance as one (metres)."),
    ] = DEFAULT_LINK_DISTANCE_M,
    as_json: JsonOption = False,
) -> None:
    """Import files into an atlas. Each file is one transaction: it lands whole or not at all.

    Every file is read and checked before anything is written. Importing a file
    the atlas has already seen (same SHA-256) changes nothing.
    """
    with _errors():
        options = _table_options(lat, lon, x, y, wkt, crs, id_column, column, kind,
                                 source_name, delimiter, skip_bad_rows)
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
                summaries.append(at.import_data(data, sha256=shas[path], options=opts,
                                                link_distance_m=link_distance))
            rejected_rows = [(Path(s.path).name, r) for s in summaries for r in s.rejected]
            rejected_path = None
            if skip_bad_rows and rejected_rows:
                rejected_path = rejected or Path(atlas).with_name(Path(atlas).stem + "-rejected.csv")
                _write_rejected(rejected_path, rejected_rows)
            total = at.store.count("cameras")
    if as_json:
        out.print_json(data={
            "atlas": atlas, "imports": [s.as_dict() for s in summaries], "cameras": total,
            "rejected_file": str(rejected_path) if rejected_path else None,
        })
        return
    table = Table(title=f"Imported into {atlas}", title_justify="left")
    for name in ("file", "status", "cameras", "streets", "buildings", "areas", "tag problems",
                 "skipped", "links"):
        table.add_column(name, justify="left" if name in ("file", "status") else "right")
    for s in summaries:
        table.add_row(Text(Path(s.path).name), s.status, str(s.cameras), str(s.streets),
                      str(s.buildings), str(s.areas), str(s.problems), str(len(s.rejected)),
                      str(s.links))
    out.print(table)
    out.print(f"The atlas now holds {total} camera records.")
    if rejected_path:
        out.print(Text(f"Rejected rows with their reasons: {rejected_path}"))
    out.print(f"Next: camatlas stats --atlas {atlas}")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Input files to check.")],
    format: FormatOption = None,
    layers: LayersOption = ",".join(LAYERS),
    lat: LatOption = None, lon: LonOption = None, x: XOption = None, y: YOption = None,
    wkt: WktOption = None, crs: CrsOption = None, id_column: IdOption = None,
    column: ColumnOption = None, kind: KindOption = None, source_name: SourceOption = None,
    delimiter: DelimiterOption = None, skip_bad_rows: SkipOption = False,
    as_json: JsonOption = False,
) -> None:
    """Dry run: read files and say what would be imported and what could not be read."""
    with _errors():
        options = _table_options(lat, lon, x, y, wkt, crs, id_column, column, kind,
                                 source_name, delimiter, skip_bad_rows)
        datas = _read_all(files, format, _layers(layers), options)
    results = []
    for data in datas:
        report = report_rows(data.problems)
        results.append({
            "path": data.path, "format": data.format, "source": data.source, **data.counts(),
            "report": [{"key": r.key, "value": r.value, "reason": r.reason, "count": r.count,
                        "examples": json.loads(r.example_ids)} for r in report],
            "rejected_rows": [{"where": r.where, "value": r.value, "reason": r.reason}
                              for r in data.rejected],
        })
    if as_json:
        out.print_json(data={"files": results})
        return
    for res in results:
        out.print(Text(f"{res['path']} ({res['format']}): {res['cameras']} cameras, "
                       f"{res['streets']} streets, {res['buildings']} buildings would be imported"))
        if res["report"]:
            table = Table("key", "value", "count", "what camatlas did", "examples",
                          title="Tag values not interpreted", title_justify="left")
            for r in res["report"][:30]:
                table.add_row(Text(r["key"]), Text(r["value"]), str(r["count"]), Text(r["reason"]),
                              Text(", ".join(r["examples"][:3])))
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
    out.print(Text(
        f"{atlas}: {total} camera records ({result['physical_cameras']} physical cameras, "
        f"{result['linked_pairs']} linked pairs across sources), {result['streets']} streets, "
        f"{result['buildings']} buildings, {result['areas']} areas, "
        f"from {result['sources']} imports"
    ))
    for name in ("by_kind", "by_camera_type", "by_surveillance", "by_zone", "by_operator",
                 "by_source"):
        out.print(_breakdown_table(name.replace("by_", "by ").replace("_", " "), result[name], total))
    out.print(_breakdown_table("direction", result["direction"], total))
    out.print(f"Tag values not interpreted: {result['tag_problems']} (see the "
              "normalization_report table).")
    out.print(f"Known cameras only. OpenStreetMap data {OSM_ATTRIBUTION}.")


@app.command()
def export(
    atlas: AtlasOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write (replaced if present).")],
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
    out.print(Text(f"Wrote {', '.join(written)} to {output}. "
                   f"OpenStreetMap data {OSM_ATTRIBUTION}: keep this attribution."))


@app.command()
def fetch(
    atlas: AtlasOption,
    bbox: Annotated[
        str | None, typer.Option(help="WEST,SOUTH,EAST,NORTH in degrees (lon/lat).")
    ] = None,
    area: Annotated[str | None, typer.Option(help="Name of an OSM area, e.g. 'Porto'.")] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(help="Overpass API endpoint (default: $CAMATLAS_OVERPASS_URL or overpass-api.de)."),
    ] = None,
    cameras_only: Annotated[bool, typer.Option(help="Fetch cameras only, not streets and buildings.")] = False,
    save: Annotated[
        Path | None,
        typer.Option(help="Where to keep the raw response (default: beside the atlas, timestamped)."),
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
                raise _fail(f"--bbox {bbox!r}: expected four numbers WEST,SOUTH,EAST,NORTH") from None
            box = (w, s, e, n)
        layers = ("cameras",) if cameras_only else LAYERS
        query = build_query(bbox=box, area=area, layers=layers, timeout_s=timeout)
        url = endpoint or default_endpoint()
        err.print(Text(f"Querying {url} ..."))
        payload = overpass_fetch(query, endpoint=url, timeout_s=timeout + 30)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = save or Path(atlas).with_name(f"{Path(atlas).stem}-overpass-{stamp}.json")
        target.write_bytes(payload)
        with open_atlas(atlas) as at:
            summary = at.import_file(target, layers=layers)
    out.print(Text(f"Saved the response to {target}; {summary.status}: {summary.cameras} cameras, "
                   f"{summary.streets} streets, {summary.buildings} buildings."))


def main() -> None:
    """Entry point of the ``camatlas`` command."""
    try:
        app()
    except BrokenPipeError:  # e.g. `camatlas stats --json | head`
        sys.stderr.close()

