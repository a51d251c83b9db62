"""The atlas behind the web app: read-only connections, the camera index, caches, changes."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pandas as pd
from fastapi import Request

from camatlas.atlas import Atlas, open_atlas
from camatlas.errors import AtlasError
from camatlas.web.settings import ServerSettings
from camatlas.web.tiles import CameraIndex, TileCache

__all__ = ["REFRESH_SECONDS", "ServedAtlas", "served_atlas"]

log = logging.getLogger("camatlas.web")

T = TypeVar("T")

REFRESH_SECONDS = 2.0
"""How often the server looks whether the atlas changed (a new import or result)."""


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
            atlas = open_atlas(self.settings.atlas, create=False, read_only=True)
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

    def start(self) -> None:
        """Read the atlas's version and start building the camera index."""
        self._version = self._reads.submit(lambda: self.atlas().version()).result()
        self._index = self._reads.submit(self._build_index)

    def _build_index(self) -> CameraIndex:
        started = time.perf_counter()
        index = CameraIndex(self.atlas().cameras())
        log.info(
            "camera index of %d cameras built in %.1f s", len(index), time.perf_counter() - started
        )
        return index

    async def refresh(self) -> None:
        """Start over (new index, empty caches) when the atlas changed since the last look."""
        version = await self.read(Atlas.version)
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

    async def results(self) -> pd.DataFrame:
        """The atlas's result layers (:meth:`camatlas.atlas.Atlas.results`), once per version."""
        results: pd.DataFrame = await self.memo("results", lambda a: a.results())
        return results

    async def result_names(self) -> list[str]:
        return [str(n) for n in (await self.results())["name"]]

    @property
    def index_ready(self) -> bool:
        """Whether the camera index is built."""
        return self._index is not None and self._index.done()


def served_atlas(request: Request) -> ServedAtlas:
    """The :class:`ServedAtlas` of the app handling ``request`` (a FastAPI dependency)."""
    served: ServedAtlas = request.app.state.served
    return served
