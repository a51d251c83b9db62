"""Options shared by several commands, with their help texts and documented defaults.

Each is a click decorator; :func:`reading_options` stacks those of the registry readers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

import camatlas
from camatlas.cli.render import fail
from camatlas.errors import InputError
from camatlas.vocab import DEFAULT_RESOLUTION_PX, FIELDS, FORMATS, LAYERS

if TYPE_CHECKING:
    from camatlas.sources.table import TableOptions

F = TypeVar("F", bound=Callable[..., Any])

PATH = click.Path(path_type=Path)
"""A file path argument or option, given to the command as a :class:`~pathlib.Path`."""


def files_argument(help: str) -> Callable[[F], F]:
    """The input files of a command (one or more), given to it as ``files``."""
    return click.argument("files", nargs=-1, required=True, type=PATH, help=help)


def stacked(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying ``decorators`` so that ``--help`` lists them in this order."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


atlas_option = click.option(
    "--atlas",
    "-a",
    required=True,
    envvar="CAMATLAS_ATLAS",
    show_envvar=True,
    help=(
        "The atlas: a GeoPackage file (created when missing), e.g. city.gpkg, or a "
        "PostgreSQL/PostGIS URL, e.g. postgresql://user@host/db?schema=camatlas."
    ),
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object instead of text."
)

# --- reading input files (import and validate) -----------------------------------------

_reading_decorators = stacked(
    click.option(
        "--format",
        "-f",
        "format",
        help=f"Input format ({', '.join(FORMATS)}); detected from the content when omitted. "
        "A given format wins over the content.",
    ),
    click.option(
        "--layers",
        default=",".join(LAYERS),
        show_default=True,
        help="Layers to read from OSM inputs, comma-separated.",
    ),
    click.option("--lat", help="Latitude column (registries)."),
    click.option("--lon", help="Longitude column (registries)."),
    click.option("--x", help="X / easting column (with --crs)."),
    click.option("--y", help="Y / northing column (with --crs)."),
    click.option("--wkt", help="WKT geometry column."),
    click.option("--crs", help="CRS of x/y or WKT columns, e.g. EPSG:27700 (default WGS 84)."),
    click.option("--id-column", help="Column holding a stable id."),
    click.option(
        "--column",
        multiple=True,
        help=(
            "Map a registry column onto a camera field, FIELD=COLUMN, repeatable. "
            f"Fields: {', '.join(FIELDS)}."
        ),
    ),
    click.option("--kind", help="Kind of every row of a registry without a kind column."),
    click.option("--source-name", help="Source name of a registry (default: its file name)."),
    click.option("--delimiter", help="CSV delimiter (sniffed when omitted)."),
    click.option(
        "--skip-bad-rows",
        is_flag=True,
        help="Import the good rows of a registry and write each rejected row to --rejected.",
    ),
    click.option(
        "--row-ids",
        is_flag=True,
        help="Number a registry's rows as their ids (when its ids are missing or repeated).",
    ),
)
"""The click options :func:`reading_options` adds."""


@dataclass(frozen=True, slots=True)
class Reading:
    """How to read the input files, as given on the command line (``--format``, ``--layers``
    and the registry options), checked when :meth:`table` and :meth:`layers` are called."""

    format: str | None
    layers_text: str
    lat: str | None
    lon: str | None
    x: str | None
    y: str | None
    wkt: str | None
    crs: str | None
    id_column: str | None
    column: tuple[str, ...]
    kind: str | None
    source_name: str | None
    delimiter: str | None
    skip_bad_rows: bool
    row_ids: bool

    def table(self) -> TableOptions:
        """The registry options."""
        columns: dict[str, str] = {}
        for item in self.column:
            name, sep, col = item.partition("=")
            if not sep or not col or name not in FIELDS:
                raise fail(
                    f"--column {item!r}: expected FIELD=COLUMN with FIELD one of "
                    f"{', '.join(FIELDS)}"
                )
            columns[name] = col
        return camatlas.TableOptions(
            lat=self.lat,
            lon=self.lon,
            x=self.x,
            y=self.y,
            wkt=self.wkt,
            crs=self.crs,
            id=self.id_column,
            columns=columns,
            kind=self.kind,
            source=self.source_name,
            skip_bad_rows=self.skip_bad_rows,
            delimiter=self.delimiter,
            row_ids=self.row_ids,
        )

    def layers(self) -> tuple[str, ...]:
        """``--layers`` as a tuple of layer names."""
        return layers(self.layers_text)


def reading_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options of the input readers to a command, which receives them as one
    :class:`Reading` argument named ``reading``."""

    @functools.wraps(function)
    def command(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _READING_NAMES}
        given["layers_text"] = given.pop("layers")
        return function(reading=Reading(**given), **kwargs)

    return _reading_decorators(command)


_READING_NAMES = (
    "format", "layers", "lat", "lon", "x", "y", "wkt", "crs", "id_column", "column", "kind",
    "source_name", "delimiter", "skip_bad_rows", "row_ids",
)  # fmt: skip


def comma_list(text: str | None) -> list[str] | None:
    """A comma-separated option (``--kind camera,alpr``) as its items; None when not given."""
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


def layers(text: str) -> tuple[str, ...]:
    """``--layers`` as a tuple of layer names."""
    chosen = tuple(comma_list(text) or ())
    if not chosen:
        raise fail(f"--layers {text!r}: choose among {', '.join(LAYERS)}")
    from camatlas.sources import check_layers  # loads the readers' stack: not for --help

    try:
        return check_layers(chosen)
    except InputError as exc:
        raise fail(f"--layers {text!r}: {exc}") from None


# --- views (sight and measure) ---------------------------------------------------------

view_options = stacked(
    click.option(
        "--range",
        "range_m",
        type=float,
        help="Range of every camera in metres (default: its tag, else the default for its "
        "type, zone and mount).",
    ),
    click.option(
        "--width",
        type=float,
        help="Width of view of every camera in degrees (its lens, for domes and panning cameras).",
    ),
    click.option("--no-occlusion", is_flag=True, help="Do not cut views by building footprints."),
    click.option(
        "--include-indoor",
        is_flag=True,
        help="Give surveillance=indoor cameras views too (they always count in densities).",
    ),
)
"""The options of :func:`sight_parameters`, for sight and measure."""


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


# --- vendors ------------------------------------------------------------------------------

registry_option = click.option(
    "--registry",
    "registries",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A vendor registry file of your own (JSON, the form of camatlas's shipped "
    "vendors.json): its vendors and risk lists add to the shipped ones, or replace those "
    "with the same id. Repeat for several.",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Count risk lists as of this day (default today): a list counts only from its date.",
)
