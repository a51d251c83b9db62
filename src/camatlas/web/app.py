"""The web map and HTTP API of an atlas: the FastAPI app.

>>> from camatlas.web.app import create_app
>>> from camatlas.web.settings import ServerSettings
>>> app = create_app(ServerSettings(atlas=city_path))
>>> sorted(path for path in app.openapi()["paths"] if path.startswith("/api/r"))
['/api/results', '/api/results/{name}', '/api/route']

Safe by default: the atlas is opened read-only and no endpoint writes;
cross-origin requests are refused unless origins are named; request bodies are
limited to :attr:`~camatlas.web.settings.ServerSettings.max_body_bytes`; route and
exposure requests are never logged or stored (:mod:`camatlas.web.security`);
errors come back as JSON ``{"error": message, "status": code}`` and never as a
stack trace. Everything the page needs (MapLibre GL JS, Swagger UI) is served
from the package, so the map and ``/docs`` work offline. The endpoints are split
by resource in :mod:`camatlas.web.routers`; :mod:`camatlas.web.server` runs the
app under uvicorn.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from camatlas import __version__
from camatlas.atlas import open_atlas
from camatlas.errors import AtlasError, CamatlasError, NotFoundError
from camatlas.vocab import PROVENANCE
from camatlas.web.routers import atlas, cameras, layers, pages, places, routes, tiles
from camatlas.web.security import RequestGuard, content_security_policy
from camatlas.web.served import ClientLeft, ServedAtlas
from camatlas.web.settings import ServerSettings, served_hosts

__all__ = ["create_app"]


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _methods_of(request: Request) -> list[str]:
    """The methods the routes of the request's path answer (sorted)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def create_app(settings: ServerSettings) -> FastAPI:
    """The FastAPI app serving ``settings.atlas``; see the module docstring for its guarantees.

    Raises :class:`~camatlas.errors.AtlasError` when the atlas cannot be opened.
    """
    open_atlas(settings.atlas, create=False, read_only=True).close()  # fail here, clearly
    served = ServedAtlas(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        served.start()
        watcher = asyncio.create_task(served.watch())
        try:
            yield
        finally:
            watcher.cancel()
            served.close()

    extra: dict[str, Any] = {}
    if "telemetry" in inspect.signature(FastAPI).parameters:
        # No request traces, metrics or logs leave the app, whatever the environment says.
        extra["telemetry"] = {
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        }
    app = FastAPI(
        title="camatlas",
        version=__version__,
        summary="An open atlas of surveillance cameras: map, vector tiles and analyses.",
        description=(
            f"Read-only HTTP API of one camatlas atlas. {PROVENANCE} Route and exposure "
            "requests are never logged or stored."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        **extra,
    )
    app.state.served = served

    # The last middleware added is the outermost: the guard sees every request first.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )
    app.add_middleware(
        RequestGuard,
        max_bytes=settings.max_body_bytes,
        csp=content_security_policy(settings),
        hosts=served_hosts(settings),
        origins=settings.cors_origins,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:
            # Allow names every method of the path (RFC 9110), not only those of the
            # first route that matched it: GET and POST /api/route are two routes.
            headers = {"Allow": ", ".join(_methods_of(request))}
        return _error(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for problem in exc.errors()[:5]:
            where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
            message = str(problem.get("msg", "invalid"))
            parts.append(f"{where}: {message}" if where else message)
        return _error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(CamatlasError)
    async def camatlas_error(request: Request, exc: CamatlasError) -> JSONResponse:
        # Not found: 404; the atlas itself unusable (not started, broken): 503; bad input: 400.
        if isinstance(exc, NotFoundError):
            return _error(404, str(exc))
        unavailable = isinstance(exc, AtlasError | ClientLeft)
        return _error(503 if unavailable else 400, str(exc))

    static = Path(str(resources.files("camatlas.web") / "static"))
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for module in (pages, atlas, cameras, layers, places, routes, tiles):
        app.include_router(module.router)
    return app
