"""The command that serves an atlas: the web map and the HTTP API."""

from __future__ import annotations

import sys

import click

from camatlas.cli import options as opt
from camatlas.cli.render import err, errors, fail, out, shown, text
from camatlas.web.settings import ServerSettings

_DEFAULTS = ServerSettings(atlas="")


@click.command("serve")
@opt.atlas_option
@click.option(
    "--host",
    default=_DEFAULTS.host,
    help="Address to listen on; 127.0.0.1 serves this machine only.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=_DEFAULTS.port,
    help="TCP port; 0 picks a free one.",
)
@click.option(
    "--basemap",
    help="Raster tile URL template, e.g. https://tile.example.org/{z}/{x}/{y}"
    ".png, drawn under the atlas. Default: the atlas's own streets and "
    "buildings (works offline).",
)
@click.option("--basemap-attribution", help="Attribution text of the --basemap tiles.")
@click.option(
    "--cors-origin",
    multiple=True,
    help="Allow the API to be called from pages of this origin "
    "(e.g. https://example.org); repeatable. Default: no cross-origin calls.",
)
@click.option(
    "--allowed-host",
    multiple=True,
    help="Also answer requests for this host name or address (e.g. atlas.example.org "
    "for a public server); repeatable; * answers to any. Default: this machine's "
    "names and the --host address only, so pages of other sites cannot read the API "
    "through DNS rebinding.",
)
@click.option(
    "--max-exposure-pairs",
    type=click.IntRange(min=1),
    default=_DEFAULTS.max_exposure_pairs,
    help="Refuse an exposure request whose track meets camera views more often than "
    "this (track segment by view): the bound on one request's work, about 8 s of "
    "one core at the default.",
)
def serve(
    atlas: str,
    host: str,
    port: int,
    basemap: str | None,
    basemap_attribution: str | None,
    cors_origin: tuple[str, ...],
    allowed_host: tuple[str, ...],
    max_exposure_pairs: int,
) -> None:
    """Serve the web map and the HTTP API of an atlas (read-only) until Ctrl+C.

    The map shows cameras, fields of view, watched streets, density and a route
    planner; the API (vector tiles, GeoJSON, JSON) is documented at /docs.
    Route requests are never logged or stored.
    """
    from camatlas.web.server import RunningServer  # the web stack
    from camatlas.web.server import serve as run_server

    if basemap is not None and not basemap.startswith(("https://", "http://")):
        raise fail(f"--basemap {basemap!r}: expected an http(s) URL with {{z}}/{{x}}/{{y}}")
    settings = ServerSettings(
        atlas=atlas,
        host=host,
        port=port,
        basemap=basemap,
        basemap_attribution=basemap_attribution,
        cors_origins=tuple(cors_origin or ()),
        allowed_hosts=tuple(allowed_host or ()),
        max_exposure_pairs=max_exposure_pairs,
    )

    def listening(server: RunningServer) -> None:
        out.print(
            text(
                f"Serving the map of {shown(atlas)} at {server.url}/ "
                f"(API docs: {server.url}/docs). Press Ctrl+C to stop."
            ),
            soft_wrap=True,
        )
        if host not in ("127.0.0.1", "localhost", "::1"):
            err.print(
                text(
                    f"warning: listening on {host}: anyone who can reach this machine "
                    "can read the atlas (requests are answered for the host names "
                    "--allowed-host gives, and this machine's own)."
                ),
                soft_wrap=True,
            )
        sys.stdout.flush()

    with errors():
        run_server(settings, on_listen=listening)
