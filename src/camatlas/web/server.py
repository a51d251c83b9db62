"""Running the app: a listening socket, uvicorn, and an access log that keeps no secrets.

>>> from camatlas.web.server import serve
>>> from camatlas.web.settings import ServerSettings
>>> serve(ServerSettings(atlas="city.gpkg"))          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
import uvicorn.logging

from camatlas.errors import InputError
from camatlas.web.app import create_app
from camatlas.web.security import PrivateAccessLog
from camatlas.web.settings import ServerSettings

__all__ = ["RunningServer", "bind", "serve", "url_of"]

log = logging.getLogger("camatlas.web")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on host {host!r}: {exc.strerror}") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    """The http URL a browser uses for a socket made by :func:`bind`."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@dataclass
class RunningServer:
    """What :func:`serve` reports once it listens."""

    url: str
    extra: dict[str, Any] = field(default_factory=dict)


def serve(
    settings: ServerSettings,
    *,
    on_listen: Callable[[RunningServer], None] | None = None,
    log_level: str = "info",
) -> None:
    """Serve the map and API of ``settings.atlas`` until interrupted.

    Parameters
    ----------
    on_listen
        Called with the URL once the socket listens, before requests are served.
    log_level
        uvicorn's log level (the access log is logged at ``info``).
    """
    app = create_app(settings)
    sock = bind(settings.host, settings.port)
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=True,
        server_header=False,
        proxy_headers=False,
        limit_concurrency=200,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=3,
    )
    logging.getLogger("uvicorn.access").addFilter(PrivateAccessLog())
    # The app's own messages (index built, atlas changed, errors) beside uvicorn's.
    handler = logging.StreamHandler()
    handler.setFormatter(uvicorn.logging.DefaultFormatter("%(levelprefix)s %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(log_level.upper())
    log.propagate = False
    if on_listen is not None:
        on_listen(RunningServer(url_of(sock)))
    uvicorn.Server(config).run(sockets=[sock])
