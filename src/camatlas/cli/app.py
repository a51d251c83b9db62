"""The click group every command registers with."""

from __future__ import annotations

import click

from camatlas import __version__
from camatlas.cli.render import out


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        out.print(f"camatlas {__version__}")
        ctx.exit()


class _InOrder(click.Group):
    """A group whose ``--help`` lists the commands in the order they were added."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


@click.group(
    cls=_InOrder,
    name="camatlas",
    no_args_is_help=True,
    context_settings={"show_default": True, "max_content_width": 100},
)
@click.option(
    "--version",
    is_flag=True,
    callback=_version,
    expose_value=False,
    is_eager=True,
    help="Show the version.",
)
def app() -> None:
    """An open atlas of surveillance cameras. Import cameras from OpenStreetMap (PBF, XML,
    Overpass) and public registries (CSV, GeoJSON) into one atlas (a GeoPackage file, or
    PostgreSQL/PostGIS for a shared one), compute what they see, measure how watched the
    streets are, find the least-watched routes, and serve the map. It maps infrastructure,
    never people."""
