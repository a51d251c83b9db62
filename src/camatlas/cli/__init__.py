"""The ``camatlas`` command line: parse arguments, call the Python API, print.

Run ``camatlas --help`` for the commands and ``camatlas COMMAND --help`` for
their options. Each command is a function that parses its options, calls the
public API (:mod:`camatlas`) and prints through :mod:`camatlas.cli.render`; a
command loads the analysis libraries only when it runs, so ``--help`` is quick.

- :mod:`~camatlas.cli.data`: ``import``, ``validate``, ``fetch``, ``stats``, ``export``, ``copy``;
- :mod:`~camatlas.cli.analyses`: ``sight``, ``measure``;
- :mod:`~camatlas.cli.routes`: ``route``, ``graph``, ``exposure``;
- :mod:`~camatlas.cli.vendors`: ``vendors``, ``todo``;
- :mod:`~camatlas.cli.server`: ``serve``.
"""

from __future__ import annotations

import sys

import click

from camatlas.cli import analyses, data, routes, server, vendors
from camatlas.cli.app import app

__all__ = ["COMMANDS", "app", "main"]

COMMANDS: dict[str, click.Command] = {
    "import": data.import_,
    "validate": data.validate,
    "fetch": data.fetch,
    "stats": data.stats,
    "export": data.export,
    "vendors": vendors.vendors,
    "todo": vendors.todo,
    "copy": data.copy_,
    "sight": analyses.sight,
    "measure": analyses.measure,
    "route": routes.route_,
    "graph": routes.graph,
    "exposure": routes.exposure_,
    "serve": server.serve,
}
"""Every command, in the order ``camatlas --help`` lists them."""

for _name, _command in COMMANDS.items():
    app.add_command(_command, _name)


def main() -> None:
    """Entry point of the ``camatlas`` command."""
    try:
        app()
    except BrokenPipeError:  # e.g. `camatlas stats --json | head`
        sys.stderr.close()
