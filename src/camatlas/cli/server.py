"""The command that serves an atlas: the web map and the HTTP API."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from camatlas.cli import options as opt
from camatlas.cli.render import err, errors, fail, out, shown, text
from camatlas.web.settings import ServerSettings

_DEFAULTS = ServerSettings(atlas="")


def serve(
    atlas: opt.AtlasOption,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 127.0.0.1 serves this machine only.")
    ] = _DEFAULTS.host,
    port: Annotated[
        int, typer.Option(help="TCP port; 0 picks a free one.", min=0, max=65535)
    ] = _DEFAULTS.port,
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
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Also answer requests for this host name or address (e.g. atlas.example.org "
            "for a public server); repeatable; * answers to any. Default: this machine's "
            "names and the --host address only, so pages of other sites cannot read the API "
            "through DNS rebinding."
        ),
    ] = None,
    max_exposure_pairs: Annotated[
        int,
        typer.Option(
            min=1,
            help="Refuse an exposure request whose track meets camera views more often than "
            "this (track segment by view): the bound on one request's work, about 8 s of "
            "one core at the default.",
        ),
    ] = _DEFAULTS.max_exposure_pairs,
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
