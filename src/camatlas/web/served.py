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
from camatlas.errors import AtlasError, CamatlasError
from camatlas.web.settings import ServerSettings
from camatlas.web.tiles import CameraIndex, TileCache

__all__ = ["LANES", "REFRESH_SECONDS", "ClientLeft", "ServedAtlas", "served_atlas"]

log = logging.getLogger("camatlas.web")

T = TypeVar("T")

REFRESH_SECONDS = 2.0
"""How often the server looks whether the atlas changed (a new import or result)."""

DISCONNECT_POLL_SECONDS = 0.1
"""How often a waiting analysis looks whether its client is still there."""

LANES = ("route", "exposure")
"""The analysis lanes: each runs its work one at a time, beside the others."""


class ClientLeft(CamatlasError):
    """The client of an analysis went away; the work was dropped or stopped."""

    def __init__(self) -> None:
        super().__init__("the client left; the analysis was stopped")


class ServedAtlas:
    """The atlas behind the app: one read-only connection per worker thread, the camera
    index, the tile cache, and a watch for changes of the atlas.

    Tiles and data are read on ``read_threads`` threads. Analyses run one at a
    time in their lane, each lane a thread of its own: route queries (whose
    street graph is kept between requests) and track exposures (long work), so
    that a route never waits behind an exposure. An analysis whose client has
    left is dropped from the queue, or stopped at its next step.
    """

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.cache = TileCache(settings.tile_cache_bytes)
        self._local = threading.local()
        self._reads = ThreadPoolExecutor(settings.read_threads, thread_name_prefix="camatlas-read")
        self._lanes = {
            lane: ThreadPoolExecutor(1, thread_name_prefix=f"camatlas-{lane}") for lane in LANES
        }
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

    async def analyse(
        self,
        fn: Callable[[Atlas, Callable[[], None]], T],
        *,
        lane: str = "route",
        request: Request | None = None,
    ) -> T:
        """Run ``fn(atlas, check)`` in ``lane`` (one of :data:`LANES`), one at a time.

        With ``request``, the client is watched while the work waits and runs:
        once it has left, queued work never starts and running work stops at
        its next ``check()`` (which raises :class:`ClientLeft`); the answer is
        then a 503 nobody reads.
        """
        left = threading.Event()

        def check() -> None:
            if left.is_set():
                log.info("an analysis stopped part-way: its client left")
                raise ClientLeft()

        def run() -> T:
            return fn(self.atlas(), check)

        task = self._lanes[lane].submit(run)
        work = asyncio.wrap_future(task)
        if request is None:
            return await work
        while True:
            done, _ = await asyncio.wait({work}, timeout=DISCONNECT_POLL_SECONDS)
            if done:
                return work.result()
            if await request.is_disconnected():
                left.set()
                if task.cancel():
                    log.info("an analysis was dropped before it started: its client left")
                # Whatever the work ends with, nobody waits for it any more.
                work.add_done_callback(lambda f: f.cancelled() or f.exception())
                raise ClientLeft()

    def close(self) -> None:
        self._reads.shutdown(wait=False, cancel_futures=True)
        for lane in self._lanes.values():
            lane.shutdown(wait=False, cancel_futures=True)

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
