"""What keeps the served atlas safe: the request guard, the content security policy, and an
access log that never holds where people go.

- :class:`RequestGuard` is the outermost layer of the app: it refuses requests naming
  a host the server does not serve (DNS rebinding) and writes from pages of other
  sites, request bodies above the limit, adds the safety headers to every answer (no sniffing, no
  referrer, a content security policy for pages, ``no-store`` for route answers) and
  turns any unexpected exception into a JSON 500 without a stack trace;
- :class:`PrivateAccessLog` removes client addresses from uvicorn's access log, and
  every query string (:func:`loggable_target`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from camatlas.web.settings import ServerSettings

__all__ = [
    "PRIVATE_PATHS",
    "PrivateAccessLog",
    "RequestGuard",
    "content_security_policy",
    "host_name",
    "loggable_target",
]

log = logging.getLogger("camatlas.web")

PRIVATE_PATHS = ("/api/route", "/api/exposure")
"""Paths whose query strings and bodies are never logged (they may hold where people go)."""


def content_security_policy(settings: ServerSettings) -> str:
    """The policy of the map page: only this server's scripts, and the base map's host."""
    extra = ""
    if settings.basemap:
        parts = urlsplit(settings.basemap.replace("{", "").replace("}", ""))
        extra = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; "
        f"img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; "
        "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'none'"
    )


ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]


class _BodyTooLarge(Exception):
    pass


class RequestGuard:
    """The outermost layer of the app: refuses request bodies above ``max_bytes`` (413, by
    header or while reading) and turns any unexpected exception into a JSON 500.

    The exception is logged here, with its traceback, except on
    :data:`PRIVATE_PATHS`, where only its type is logged (a message could name a
    place). Nothing reaches the server's own error log.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        csp: str,
        hosts: frozenset[str] | None = None,
        origins: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.csp = csp.encode()
        self.hosts = hosts
        self.origins = frozenset(o.rstrip("/").lower() for o in origins)

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name.lower(): value for name, value in scope.get("headers", [])}
        refused = self._refused(str(scope.get("method", "GET")), headers)
        if refused is not None:
            await self._answer(send, *refused)
            return
        value = headers.get(b"content-length", b"")
        if value.isdigit() and int(value) > self.max_bytes:
            await self._answer(send, 413, f"request body larger than {self.max_bytes} bytes")
            return
        seen = 0
        started = False

        async def limited_receive() -> MutableMapping[str, Any]:
            nonlocal seen
            message: MutableMapping[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        private = str(scope.get("path", "")).startswith(PRIVATE_PATHS)

        async def tracking_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = self._secure(list(message.get("headers", [])), private)
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._answer(send, 413, f"request body larger than {self.max_bytes} bytes")
        except Exception as exc:
            path = str(scope.get("path", ""))
            if path.startswith(PRIVATE_PATHS):
                log.error("%s on %s", type(exc).__name__, path)
            else:
                log.error("%s on %s", type(exc).__name__, path, exc_info=exc)
            if not started:
                await self._answer(send, 500, "internal error; the server log has the details")

    def _refused(self, method: str, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
        """Why a request is refused before it reaches the app, if it is: a Host this
        server does not serve (DNS rebinding), or a write from a page of another site."""
        host = headers.get(b"host", b"").decode("latin-1")
        name = host_name(host)
        if self.hosts is not None and host and name not in self.hosts:
            return (
                400,
                f"this server does not serve the host {name!r}; to serve it, start the "
                f"server with --allowed-host {name}",
            )
        origin = headers.get(b"origin", b"").decode("latin-1").rstrip("/").lower()
        if method not in ("GET", "HEAD", "OPTIONS") and origin and origin != "null":
            same = urlsplit(origin).netloc == host.lower()
            if not same and origin not in self.origins:
                return 403, f"requests from pages of {origin} may not write to this server"
        if method not in ("GET", "HEAD", "OPTIONS") and origin == "null":
            return 403, "requests from pages without an origin may not write to this server"
        return None

    def _secure(
        self, headers: list[tuple[bytes, bytes]], private: bool
    ) -> list[tuple[bytes, bytes]]:
        """Response headers plus the safety headers: no sniffing, no referrer, and for pages
        a content security policy that allows only this server's scripts."""
        names = {name.lower() for name, _ in headers}
        headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
        if content_type.startswith(b"text/html"):
            headers += [(b"content-security-policy", self.csp), (b"x-frame-options", b"DENY")]
        if private:
            headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        elif b"cache-control" not in names:
            headers.append((b"cache-control", b"no-cache"))
        return headers

    @staticmethod
    async def _answer(send: Any, status: int, message: str) -> None:
        body = json.dumps({"error": message, "status": status}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class PrivateAccessLog(logging.Filter):
    """Access-log filter: no client addresses, and no query strings, whatever the path.

    A query string may hold where someone goes, and not only on :data:`PRIVATE_PATHS`: a
    near miss such as ``//api/route?...``, ``/./api/route?...``, ``/api/route%3F...`` or an
    absolute-form target answered 404 carries the same coordinates. So the log keeps only
    a request's path, cut before the first ``?``, ``#`` or encoded ``%3F``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            _client, method, path, version, status = args
            record.args = ("-", method, loggable_target(str(path)), version, status)
        return True


def host_name(host: str) -> str:
    """The name in a Host header, without its port, lower case (``[::1]:8000`` -> ``::1``)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def loggable_target(target: str) -> str:
    """What of a request target an access log may keep: its path, without any query."""
    if _ABSOLUTE.match(target):
        target = urlsplit(target).path or "/"
    cut = _QUERY_START.search(target)
    return target[: cut.start()] if cut else target


_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_QUERY_START = re.compile(r"[?#]|%3f|%23", re.IGNORECASE)
