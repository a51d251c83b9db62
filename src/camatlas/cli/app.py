"""The typer application every command registers with."""

from __future__ import annotations

from typing import Annotated

import typer

from camatlas import __version__
from camatlas.cli.render import out

app = typer.Typer(
    name="camatlas",
    help=(
        "An open atlas of surveillance cameras. Import cameras from OpenStreetMap "
        "(PBF, XML, Overpass) and public registries (CSV, GeoJSON) into one atlas "
        "(a GeoPackage file, or PostgreSQL/PostGIS for a shared one), compute what they "
        "see, measure how watched the streets are, find the least-watched routes, and "
        "serve the map. It maps infrastructure, never people."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
