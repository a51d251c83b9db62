"""How ``camatlas serve`` runs: the settings of one server, with their safe defaults."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LOCAL_HOSTS", "ServerSettings", "served_hosts"]


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
    allowed_hosts
        Host names (or addresses) the server answers to besides this machine's own
        (``127.0.0.1``, ``localhost``, ``::1``) and the address it listens on; ``*``
        answers to any. A request naming another host is refused, so a web page on
        another site cannot read the API through DNS rebinding.
    max_body_bytes
        Largest request body accepted, bytes.
    tile_cache_bytes
        Memory for cached tiles, bytes.
    read_threads
        Threads reading the atlas for tiles and data.
    max_exposure_pairs
        Most (track segment, camera view) pairs one exposure request may
        measure (:func:`camatlas.coverage.candidate_pairs`): the bound on its
        work. The default, two million, is about eight seconds of one core; a
        20,000-point track winding through a group of 34 cameras meets 290,000.
    """

    atlas: str
    host: str = "127.0.0.1"
    port: int = 8000
    basemap: str | None = None
    basemap_attribution: str | None = None
    cors_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    tile_cache_bytes: int = 256 * 1024 * 1024
    read_threads: int = 4
    max_exposure_pairs: int = 2_000_000


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The names of this machine, always served."""


def served_hosts(settings: ServerSettings) -> frozenset[str] | None:
    """The host names a server with ``settings`` answers to (lower case), None for any."""
    if "*" in settings.allowed_hosts:
        return None
    names = {*LOCAL_HOSTS, *(h.lower().strip("[]") for h in settings.allowed_hosts)}
    if settings.host not in ("0.0.0.0", "::", ""):
        names.add(settings.host.lower().strip("[]"))
    return frozenset(names)
