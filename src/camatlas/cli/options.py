"""Options shared by several commands, with their help texts and documented defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

import camatlas
from camatlas.cli.render import fail
from camatlas.errors import InputError
from camatlas.vocab import DEFAULT_RESOLUTION_PX, FIELDS, FORMATS, LAYERS

if TYPE_CHECKING:
    from camatlas.sources.table import TableOptions

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

# --- reading input files (import and validate) -----------------------------------------

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        help=f"Input format ({', '.join(FORMATS)}); detected from the content when omitted. "
        "A given format wins over the content.",
    ),
]
LayersOption = Annotated[str, typer.Option(help="Layers to read from OSM inputs, comma-separated.")]
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


def table_options(
    *,
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
    """The registry options given on the command line."""
    columns: dict[str, str] = {}
    for item in column or []:
        name, sep, col = item.partition("=")
        if not sep or not col or name not in FIELDS:
            raise fail(
                f"--column {item!r}: expected FIELD=COLUMN with FIELD one of {', '.join(FIELDS)}"
            )
        columns[name] = col
    return camatlas.TableOptions(
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


def layers(text: str) -> tuple[str, ...]:
    """``--layers`` as a tuple of layer names."""
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    if not chosen:
        raise fail(f"--layers {text!r}: choose among {', '.join(LAYERS)}")
    from camatlas.sources import check_layers  # loads the readers' stack: not for --help

    try:
        return check_layers(chosen)
    except InputError as exc:
        raise fail(f"--layers {text!r}: {exc}") from None


# --- views (sight and measure) ---------------------------------------------------------

RangeOption = Annotated[
    float | None,
    typer.Option(
        "--range",
        help="Range of every camera in metres (default: its tag, else the default for its "
        "type, zone and mount).",
    ),
]
WidthOption = Annotated[
    float | None,
    typer.Option(
        "--width",
        help="Width of view of every camera in degrees (its lens, for domes and panning cameras).",
    ),
]
NoOcclusionOption = Annotated[
    bool, typer.Option("--no-occlusion", help="Do not cut views by building footprints.")
]


def sight_parameters(
    *,
    range_m: float | None,
    width: float | None,
    no_occlusion: bool,
    include_indoor: bool,
    resolution: int = DEFAULT_RESOLUTION_PX,
) -> camatlas.SightParameters:
    """The view parameters given on the command line (checked by SightParameters)."""
    return camatlas.SightParameters(
        range_m=range_m,
        width_deg=width,
        occlusion=not no_occlusion,
        include_indoor=include_indoor,
        resolution_px=resolution,
    )


IncludeIndoorOption = Annotated[
    bool,
    typer.Option(
        "--include-indoor",
        help="Give surveillance=indoor cameras views too (they always count in densities).",
    ),
]
