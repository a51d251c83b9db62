"""How ``camatlas serve`` runs: the settings of one server, with their safe defaults."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServerSettings"]


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
