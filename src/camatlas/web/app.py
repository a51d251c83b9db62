"""The web map and HTTP API of an atlas: a FastAPI app served by uvicorn.

>>> from camatlas.web.app import ServerSettings, serve
>>> serve(ServerSettings(atlas="city.gpkg"))          # doctest: +SKIP

Safe by default: it listens on 127.0.0.1 only, opens the atlas read-only and
has no endpoint that writes; cross-origin requests are refused unless origins
are named; request bodies are limited to :attr:`ServerSettings.max_body_bytes`;
the access log never holds the query string of a route or exposure request nor
any client address (route queries and tracks are never logged or stored);
errors come back as JSON ``{"error": message, "status": code}`` and never as a
stack trace. Everything the page needs (MapLibre GL JS, Swagger UI) is served
from the package, so the map and ``/docs`` work offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import inspect
import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import shapely
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from camatlas import __version__
from camatlas.atlas import OSM_ATTRIBUTION, Atlas, open_atlas
from camatlas.errors import AtlasError, CamatlasError, InputError
from camatlas.store import BBox
from camatlas.web.tiles import (
    BASE_LAYERS,
    CLUSTER_BELOW_ZOOM,
    MVT_MEDIA_TYPE,
    RESULT_LAYERS,
    CameraIndex,
    Tile,
    TileCache,
    camera_tile,
    check_tile,
    geojson_features,
    layer_tile,
)

log = logging.getLogger("camatlas.web")

PRIVATE_PATHS = ("/api/route", "/api/exposure")
"""Paths whose query strings and bodies are never logged (they may hold where people go)."""

REFRESH_SECONDS = 2.0
"""How often the server looks whether the atlas changed (a new import or result)."""

TILE_MAX_AGE_S = 60
"""``Cache-Control: max-age`` of tiles, seconds: short, since the atlas may be re-imported."""

MAX_GEOJSON_FEATURES = 10_000
"""Largest number of features one GeoJSON response holds."""

MAX_TRACK_POINTS = 20_000
"""Largest number of points of a track sent for exposure."""

T = TypeVar("T")


# --- settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSettings:
    """How ``camatlas serve`` runs.

    Parameters
    ----------
    atlas
        The atlas: a GeoPackage path or ``postgresql://`` URL. Opened read-only.
    host
        Address to listen on; ``127.0.0.1`` (this machine only) unless told otherwise.
    port
        TCP port; 0 picks a free one.
    basemap
        Optional raster tile URL template (``https://.../{z}/{x}/{y}.png``) drawn
        under the atlas's layers. Without it the atlas's own streets and buildings
        are the base map, so the map works offline.
    basemap_attribution
        Attribution text of the raster base map.
    cors_origins
        Origins allowed to call the API from other sites; none by default.
    max_body_bytes
        Largest request body accepted, bytes.
    tile_cache_bytes
        Memory for cached tiles, bytes.
    read_threads
        Threads reading the atlas for tiles and data.
    """

    atlas: str
    host: str = "127.0.0.1"
    port: int = 8000
    basemap: str | None = None
    basemap_attribution: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    tile_cache_bytes: int = 256 * 1024 * 1024
    read_threads: int = 4


def open_read_only(url: str | Path) -> Atlas:
    """Open an existing atlas so that nothing can be written through it.

    A GeoPackage connection is switched to SQLite's ``query_only`` mode; a
    PostgreSQL connection to read-only transactions.
    """
    atlas = open_atlas(url, create=False)
    conn = getattr(atlas.store, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        conn.execute("PRAGMA query_only = ON")
    elif conn is not None and type(conn).__module__.startswith("psycopg"):
        # Session-wide, so it holds for autocommit statements too.
        conn.execute("SET default_transaction_read_only = on")
    return atlas


# --- the served atlas ------------------------------------------------------------------


class ServedAtlas:
    """The atlas behind the app: one read-only connection per worker thread, the camera
    index, the tile cache, and a watch for changes of the atlas.

    Tiles and data are read on ``read_threads`` threads; route and exposure
    requests run one at a time on a thread of their own, so that the street
    graph they build is kept between requests.
    """

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.cache = TileCache(settings.tile_cache_bytes)
        self._local = threading.local()
        self._reads = ThreadPoolExecutor(settings.read_threads, thread_name_prefix="camatlas-read")
        self._analysis = ThreadPoolExecutor(1, thread_name_prefix="camatlas-analysis")
        self._lock = threading.Lock()
        self.generation = 0
        self._version: tuple[Any, ...] | None = None
        self._index: Future[CameraIndex] | None = None
        self._memo: dict[tuple[str, int], Any] = {}

    # threads

    def atlas(self) -> Atlas:
        """This thread's read-only atlas."""
        atlas: Atlas | None = getattr(self._local, "atlas", None)
        if atlas is None:
            atlas = open_read_only(self.settings.atlas)
            self._local.atlas = atlas
        return atlas

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(atlas, *args)`` on a read thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._reads, lambda: fn(self.atlas(), *args))

    async def analyse(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(atlas, *args)`` on the analysis thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._analysis, lambda: fn(self.atlas(), *args))

    def close(self) -> None:
        self._reads.shutdown(wait=False, cancel_futures=True)
        self._analysis.shutdown(wait=False, cancel_futures=True)

    # changes

    @staticmethod
    def version_of(atlas: Atlas) -> tuple[Any, ...]:
        """What changes when the atlas is written: counts and the result layers' times."""
        results = atlas.store.results()
        return (
            atlas.store.count("cameras"),
            atlas.store.count("sources"),
            atlas.store.count("streets"),
            atlas.store.count("buildings"),
            tuple(zip(results["name"], results["created_at"], strict=True)),
        )

    def start(self) -> None:
        """Read the atlas's version and start building the camera index."""
        self._version = self._reads.submit(lambda: self.version_of(self.atlas())).result()
        self._index = self._reads.submit(self._build_index)

    def _build_index(self) -> CameraIndex:
        started = time.perf_counter()
        index = CameraIndex(self.atlas().store.read_layer("cameras"))
        log.info(
            "camera index of %d cameras built in %.1f s", len(index), time.perf_counter() - started
        )
        return index

    async def refresh(self) -> None:
        """Start over (new index, empty caches) when the atlas changed since the last look."""
        version = await self.read(self.version_of)
        if version == self._version:
            return
        with self._lock:
            self._version = version
            self.generation += 1
            self.cache.clear()
            self._memo.clear()
            self._index = self._reads.submit(self._build_index)
        log.info("the atlas changed; tiles and statistics are made anew")

    async def watch(self) -> None:
        """Look for changes every :data:`REFRESH_SECONDS` until cancelled."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
            except Exception as exc:  # the atlas may be mid-write; look again later
                log.warning("could not check the atlas for changes: %s", type(exc).__name__)

    async def index(self) -> CameraIndex:
        """The camera index (waits while it is being built)."""
        if self._index is None:
            raise AtlasError("the server has not started")
        return await asyncio.wrap_future(self._index)

    async def memo(self, name: str, make: Callable[[Atlas], T]) -> T:
        """``make(atlas)`` computed once per version of the atlas."""
        key = (name, self.generation)
        if key not in self._memo:
            self._memo[key] = await self.read(make)
        value: T = self._memo[key]
        return value

    async def result_names(self) -> list[str]:
        results = await self.memo("results", lambda a: a.store.results())
        return [str(n) for n in results["name"]]


# --- request and response models ---------------------------------------------------------

LatLon = Annotated[
    tuple[float, float],
    Field(description="(latitude, longitude) in degrees, WGS 84"),
]


class RouteRequest(BaseModel):
    """Where from and where to; never logged or stored."""

    origin: LatLon
    destination: LatLon
    profile: Literal["walk", "bike", "car"] = "walk"
    max_detour: float | None = Field(
        None,
        ge=0,
        description="Largest detour of an alternative, as a share of the shortest "
        "route's length (0.5 = 50 % longer); none by default",
    )


class ErrorBody(BaseModel):
    error: str
    status: int


class RouteAnswer(BaseModel):
    options: list[dict[str, Any]] = Field(
        description="Alternatives from the shortest (first) to the least watched (last): "
        "length_m, detour_m, detour_ratio, watched_m, cameras, geometry (GeoJSON, lon/lat)",
    )
    note: str


# --- helpers ---------------------------------------------------------------------------


def _parse_bbox(text: str | None) -> BBox | None:
    if text is None:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError("bbox must be four numbers WEST,SOUTH,EAST,NORTH", value=text) from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InputError(
            "bbox must be WEST,SOUTH,EAST,NORTH in degrees, west <= east, south <= north",
            value=text,
        )
    return (west, south, east, north)


def _check_latlon(point: tuple[float, float], what: str) -> tuple[float, float]:
    lat, lon = point
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"{what} must be (latitude, longitude) in degrees")
    return (lat, lon)


def _camera_record(atlas: Atlas, camera_id: str, where: tuple[float, float]) -> dict[str, Any]:
    lon, lat = where
    eps = 1e-6
    frame = atlas.store.read_layer("cameras", (lon - eps, lat - eps, lon + eps, lat + eps))
    frame = frame[frame["id"] == camera_id]
    if frame.empty:
        raise StarletteHTTPException(404, f"no camera {camera_id!r} in this atlas")
    feature = geojson_features(frame)["features"][0]
    record: dict[str, Any] = feature["properties"]
    record["lon"], record["lat"] = lon, lat
    return record


def _route_module() -> Any:
    """camatlas.route when it and the sight module it needs are installed, else None."""
    try:
        from camatlas import route
    except ImportError:
        return None
    if importlib.util.find_spec("camatlas.sight") is None:
        return None
    return route if hasattr(route, "least_watched") else None


def _atlas_label(url: str) -> str:
    """The atlas as shown to visitors: a file name, or a URL without its password."""
    from camatlas.store.pgurl import is_postgres_url, redact_url

    return redact_url(url) if is_postgres_url(url) else Path(url).name


def _csp(settings: ServerSettings) -> str:
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


# --- middleware --------------------------------------------------------------------------

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

    def __init__(self, app: ASGIApp, max_bytes: int, csp: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.csp = csp.encode()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
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
    """Access-log filter: no client addresses, and no query strings on :data:`PRIVATE_PATHS`."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            _client, method, path, version, status = args
            text = str(path)
            if text.split("?", 1)[0].startswith(PRIVATE_PATHS):
                text = text.split("?", 1)[0]
            record.args = ("-", method, text, version, status)
        return True


# --- the app ----------------------------------------------------------------------------


def _static_dir() -> Path:
    return Path(str(resources.files("camatlas.web") / "static"))


def _template_dir() -> Path:
    return Path(str(resources.files("camatlas.web") / "templates"))


def create_app(settings: ServerSettings) -> FastAPI:
    """The FastAPI app serving ``settings.atlas``; see the module docstring for its guarantees.

    Raises :class:`~camatlas.errors.AtlasError` when the atlas cannot be opened.
    """
    open_read_only(settings.atlas).close()  # fail here, with the store's message
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
            "Read-only HTTP API of one camatlas atlas. Known cameras only. "
            f"OpenStreetMap data {OSM_ATTRIBUTION}. Route and exposure requests are "
            "never logged or stored."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        **extra,
    )
    app.state.served = served
    templates = Jinja2Templates(directory=str(_template_dir()))
    csp = _csp(settings)

    # The last middleware added is the outermost: the guard sees every request first.
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
        )

    app.add_middleware(RequestGuard, max_bytes=settings.max_body_bytes, csp=csp)

    # errors: always JSON, never a stack trace

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message, "status": status}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for problem in exc.errors()[:5]:
            where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
            parts.append(
                f"{where}: {problem.get('msg', 'invalid')}"
                if where
                else str(problem.get("msg", "invalid"))
            )
        return error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(CamatlasError)
    async def camatlas_error(request: Request, exc: CamatlasError) -> JSONResponse:
        return error(400, str(exc))

    # pages

    static = _static_dir()
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        return templates.TemplateResponse(request, "index.html", {"version": __version__})

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> Response:
        return templates.TemplateResponse(request, "docs.html", {"version": __version__})

    # JSON API

    @app.get("/api/health", tags=["atlas"])
    async def health() -> dict[str, Any]:
        """Whether the server is up and its camera index is ready."""
        ready = served._index is not None and served._index.done()
        return {"status": "ok", "index_ready": ready}

    @app.get("/api/config", tags=["atlas"])
    async def config() -> dict[str, Any]:
        """What the map needs: tiled layers and their zooms, bounds, attribution, base map."""
        index = await served.index()
        names = await served.result_names()
        layers = {
            name: {"minzoom": spec.minzoom, "result": False} for name, spec in BASE_LAYERS.items()
        }
        layers.update(
            {
                name: {"minzoom": spec.minzoom, "result": True}
                for name, spec in RESULT_LAYERS.items()
                if name in names
            }
        )
        bounds = index.bounds()
        if bounds is None:
            streets = await served.read(lambda a: a.store.read_layer("streets"))
            if len(streets):
                w, s, e, n = (float(v) for v in streets.total_bounds)
                bounds = (w, s, e, n)
        return {
            "version": __version__,
            "cameras": len(index),
            "bounds": bounds,
            "layers": layers,
            "results": names,
            "cluster_below_zoom": CLUSTER_BELOW_ZOOM,
            "attribution": f"OpenStreetMap data {OSM_ATTRIBUTION}",
            "basemap": settings.basemap,
            "basemap_attribution": settings.basemap_attribution,
            "route": _route_module() is not None,
        }

    @app.get("/api/stats", tags=["atlas"])
    async def stats() -> dict[str, Any]:
        """Totals and breakdowns of the atlas's cameras (as ``camatlas stats --json``)."""
        result: dict[str, Any] = await served.memo("stats", lambda a: a.stats())
        return {
            **result,
            "atlas": _atlas_label(settings.atlas),
            "note": f"Known cameras only. OpenStreetMap data {OSM_ATTRIBUTION}.",
        }

    @app.get(
        "/api/cameras/{camera_id:path}", tags=["cameras"], responses={404: {"model": ErrorBody}}
    )
    async def camera(camera_id: str) -> dict[str, Any]:
        """One camera record: every column, its tags as an object, lon and lat."""
        index = await served.index()
        where = index.locate(camera_id)
        if where is None:
            raise StarletteHTTPException(404, f"no camera {camera_id!r} in this atlas")
        return await served.read(_camera_record, camera_id, where)

    @app.get("/api/cameras", tags=["cameras"])
    async def cameras(
        bbox: Annotated[str, Query(description="WEST,SOUTH,EAST,NORTH in degrees")],
        limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON_FEATURES)] = 1000,
    ) -> Response:
        """Cameras in a bounding box as GeoJSON (at most ``limit``; see ``truncated``)."""
        return await _geojson("cameras", bbox, limit)

    @app.get("/api/layers/{layer}.geojson", tags=["layers"])
    async def layer_geojson(
        layer: Annotated[str, PathParam(description="streets, buildings, areas or a result layer")],
        bbox: Annotated[str | None, Query(description="WEST,SOUTH,EAST,NORTH in degrees")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON_FEATURES)] = 1000,
    ) -> Response:
        """A small layer, or part of one, as GeoJSON (at most ``limit`` features)."""
        return await _geojson(layer, bbox, limit)

    async def _geojson(layer: str, bbox_text: str | None, limit: int) -> Response:
        bbox = _parse_bbox(bbox_text)
        if layer == "cameras" and bbox is None:
            raise InputError("give a bbox WEST,SOUTH,EAST,NORTH for cameras (or use the tiles)")
        if layer in BASE_LAYERS:
            frame = await served.read(lambda a: a.store.read_layer(layer, bbox))
        elif layer in await served.result_names():
            frame = await served.read(lambda a: a.store.read_result(layer, bbox))
            if not hasattr(frame, "geometry"):
                raise InputError(f"result {layer!r} is a table; read it from /api/results/{layer}")
        else:
            raise StarletteHTTPException(404, f"no layer {layer!r} in this atlas")
        total = len(frame)
        collection = geojson_features(frame.iloc[:limit])
        collection["total"] = total
        collection["truncated"] = total > limit
        collection["attribution"] = f"OpenStreetMap data {OSM_ATTRIBUTION}"
        return Response(json.dumps(collection), media_type="application/geo+json")

    @app.get("/api/results", tags=["analyses"])
    async def results() -> list[dict[str, Any]]:
        """Result layers held in the atlas, with the parameters that made them."""
        frame = await served.memo("results", lambda a: a.store.results())
        return [
            {
                **{str(k): v for k, v in row.items()},
                "parameters": json.loads(row["parameters"] or "{}"),
            }
            for row in frame.to_dict(orient="records")
        ]

    @app.get("/api/results/{name}", tags=["analyses"])
    async def result_table(
        name: str, limit: Annotated[int, Query(ge=1, le=MAX_GEOJSON_FEATURES)] = 1000
    ) -> dict[str, Any]:
        """The attribute rows of a result layer (no geometry), at most ``limit``."""
        if name not in await served.result_names():
            raise StarletteHTTPException(404, f"no result layer {name!r} in this atlas")
        frame = await served.read(lambda a: a.store.read_result(name))
        table = frame.drop(columns=[frame.geometry.name]) if hasattr(frame, "geometry") else frame
        rows = json.loads(table.iloc[:limit].to_json(orient="records"))
        return {"name": name, "rows": rows, "total": len(table), "truncated": len(table) > limit}

    @app.get("/api/measure", tags=["analyses"])
    async def measure() -> dict[str, Any]:
        """Stored measurements: ``summary`` (the totals of the last ``camatlas measure``:
        street length, watched length and share, cameras per km² and per street km, ...;
        null when not measured) and every result layer with its parameters. The atlas is
        read-only here: run ``camatlas sight`` / ``camatlas measure`` to compute them."""
        frame = await served.memo("results", lambda a: a.store.results())
        stored = {
            row["name"]: {
                "rows": row["rows"],
                "created_at": row["created_at"],
                "parameters": json.loads(row["parameters"] or "{}"),
            }
            for row in frame.to_dict(orient="records")
        }
        measured = stored.get("street_coverage", {}).get("parameters", {})
        return {
            "summary": measured.get("summary"),
            "results": stored,
            "note": f"Known cameras only. OpenStreetMap data {OSM_ATTRIBUTION}.",
        }

    async def _route(request: RouteRequest) -> dict[str, Any]:
        module = _route_module()
        if module is None:
            raise StarletteHTTPException(
                503, "route planning is not available in this installation of camatlas"
            )
        origin = _check_latlon(request.origin, "origin")
        destination = _check_latlon(request.destination, "destination")

        def plan(atlas: Atlas) -> list[dict[str, Any]]:
            options = module.least_watched(
                atlas, origin, destination, profile=request.profile, max_detour=request.max_detour
            )
            return [option.as_dict() for option in options]

        options = await served.analyse(plan)
        return {
            "options": options,
            "note": "Known cameras only: a route is at least as watched as shown. "
            f"OpenStreetMap data {OSM_ATTRIBUTION}. This request was not logged or stored.",
        }

    @app.post(
        "/api/route",
        tags=["routes"],
        response_model=RouteAnswer,
        responses={400: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    )
    async def route_post(request: RouteRequest) -> dict[str, Any]:
        """Least-watched routes between two points: alternatives from the shortest to the
        least watched, each with length, detour and metres in view of known cameras.
        Coordinates in the body are never logged or stored."""
        return await _route(request)

    @app.get(
        "/api/route",
        tags=["routes"],
        response_model=RouteAnswer,
        responses={400: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    )
    async def route_get(
        origin: Annotated[str, Query(description="LAT,LON of the start")],
        destination: Annotated[str, Query(description="LAT,LON of the end")],
        profile: Literal["walk", "bike", "car"] = "walk",
        max_detour: Annotated[float | None, Query(ge=0)] = None,
    ) -> dict[str, Any]:
        """As ``POST /api/route``, with the points in the query (kept out of the access log)."""

        def point(text: str, what: str) -> tuple[float, float]:
            try:
                lat, lon = (float(v) for v in text.split(","))
            except ValueError:
                raise InputError(f"{what} must be LAT,LON in degrees") from None
            return (lat, lon)

        return await _route(
            RouteRequest(
                origin=point(origin, "origin"),
                destination=point(destination, "destination"),
                profile=profile,
                max_detour=max_detour,
            )
        )

    @app.post(
        "/api/exposure",
        tags=["routes"],
        responses={400: {"model": ErrorBody}, 503: {"model": ErrorBody}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/geo+json": {
                        "schema": {"type": "object"},
                        "example": {
                            "type": "LineString",
                            "coordinates": [[-8.61, 41.15], [-8.60, 41.15]],
                        },
                    },
                    "application/json": {"schema": {"type": "object"}},
                    "application/gpx+xml": {"schema": {"type": "string"}},
                },
            }
        },
    )
    async def exposure(
        request: Request,
        speed_kmh: Annotated[float, Query(gt=0, le=300, description="Speed along the track")] = 5.0,
    ) -> dict[str, Any]:
        """Exposure of a track (GeoJSON line or GPX in the body): distinct cameras, metres and
        seconds in view, by operator, surveillance and DORI level. Never logged or stored."""
        module = _route_module()
        if module is None or not hasattr(module, "exposure"):
            raise StarletteHTTPException(
                503, "exposure is not available in this installation of camatlas"
            )
        body = await request.body()
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            raise InputError("a GPX track with a DOCTYPE or entities is not accepted")
        track = module.parse_track(body, name="the track sent")
        points = int(shapely.get_num_coordinates(track))
        if points > MAX_TRACK_POINTS:
            raise InputError(f"a track may have at most {MAX_TRACK_POINTS} points", value=points)
        result: dict[str, Any] = await served.analyse(
            lambda atlas: module.exposure(atlas, track, speed_kmh=speed_kmh)
        )
        result["note"] = (
            "Known cameras only: a track is at least as watched as shown. "
            "This request was not logged or stored."
        )
        return result

    # tiles

    tiled = {**BASE_LAYERS, **RESULT_LAYERS}

    @app.head("/tiles/{layer}/{z}/{x}/{y}.pbf", include_in_schema=False)
    @app.get(
        "/tiles/{layer}/{z}/{x}/{y}.pbf",
        tags=["tiles"],
        responses={200: {"content": {MVT_MEDIA_TYPE: {}}, "description": "A vector tile"}},
        response_class=Response,
    )
    async def tile(layer: str, z: int, x: int, y: int, request: Request) -> Response:
        """Vector tile ``z/x/y`` (XYZ, Web Mercator) of a layer: cameras (clustered below
        zoom 14), streets, buildings, areas, or a result layer the atlas holds."""
        check_tile(z, x, y)
        spec = tiled.get(layer)
        if spec is None or (spec.result and layer not in await served.result_names()):
            raise StarletteHTTPException(404, f"no tiled layer {layer!r} in this atlas")
        key = (served.generation, layer, z, x, y)
        cached = served.cache.get(key)
        if cached is None:
            if layer == "cameras":
                index = await served.index()
                made = await served.read(lambda a: camera_tile(a, index, z, x, y))
            else:
                made = await served.read(lambda a: layer_tile(a, spec, z, x, y))
            cached = Tile.from_bytes(made)
            served.cache.put(key, cached)
        headers = {
            "Cache-Control": f"public, max-age={TILE_MAX_AGE_S}",
            "ETag": cached.etag,
            "Vary": "Accept-Encoding",
        }
        if request.headers.get("if-none-match") == cached.etag:
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", "") and cached.size:
            headers["Content-Encoding"] = "gzip"
            return Response(cached.gzipped, media_type=MVT_MEDIA_TYPE, headers=headers)
        return Response(cached.plain(), media_type=MVT_MEDIA_TYPE, headers=headers)

    return app


# --- running -------------------------------------------------------------------------------


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
    import uvicorn
    import uvicorn.logging

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
