"""Mapbox vector tiles made from an atlas, for the web map.

Tiles follow the XYZ scheme of web maps (Web Mercator, EPSG:3857; tile ``0/0/0``
covers the world, ``y`` grows southwards) and the Mapbox Vector Tile 2.1
specification: one layer per tile, named after the atlas layer, in a grid of
:data:`TILE_EXTENT` units per tile side.

Cameras are aggregated on the server below :data:`CLUSTER_BELOW_ZOOM`: the
cameras of a tile are counted in square cells of :data:`CLUSTER_CELL` tile
units, and every cell holding more than one camera becomes one ``cluster``
point (at the mean position of its cameras) with a ``count``. This keeps a
tile small whatever the number of cameras in the atlas (at most
``(TILE_EXTENT / CLUSTER_CELL) ** 2`` = 256 points). The aggregation works on a
:class:`CameraIndex` kept in memory (positions and a few codes, about 60 bytes
per camera); at and above :data:`CLUSTER_BELOW_ZOOM` cameras come straight from
the atlas's bounding-box query with their attributes.

Streets, buildings, areas and the analysis result layers come from the atlas's
bounding-box queries (:meth:`~camatlas.atlas.Atlas.layer`,
:meth:`~camatlas.atlas.Atlas.result`); lines and polygons are clipped to the tile
plus a buffer and simplified to about one tile unit below the layer's detail zoom.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from camatlas.errors import InputError, NotFoundError
from camatlas.geo import densest_bbox
from camatlas.records import BBox
from camatlas.vocab import DRAWN_AT_LOW_ZOOM, SURVEILLANCE_SCOPES

if TYPE_CHECKING:
    from camatlas.atlas import Atlas

TILE_EXTENT = 4096
"""Units per tile side in the encoded tiles (the MVT default)."""

TILE_BUFFER = 64
"""Lines and polygons are clipped this many tile units beyond the tile's edge."""

MAX_ZOOM = 22
"""Highest zoom level served."""

CLUSTER_BELOW_ZOOM = 14
"""Below this zoom level cameras are aggregated into clusters on the server."""

CLUSTER_CELL = 256
"""Side of a cluster cell in tile units (32 screen pixels on a 512-pixel tile)."""

MAX_CAMERAS_PER_TILE = 8000
"""At and above :data:`CLUSTER_BELOW_ZOOM`, a tile holding more cameras than this is
aggregated in cells of :data:`DENSE_CELL` units instead of listing every camera."""

DENSE_CELL = 32
"""Cell side (tile units) used for tiles above :data:`MAX_CAMERAS_PER_TILE` cameras."""

MAX_LATITUDE = 85.0511287798066
"""Latitude limit of Web Mercator, degrees."""

MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
"""Media type of a vector tile response."""

STREET_DETAIL_ZOOM = 14
"""From this zoom level every street is drawn; below it only
:data:`~camatlas.vocab.DRAWN_AT_LOW_ZOOM`."""

MAX_TEXT = 200
"""Longest text value (characters) put into a tile; longer values are cut."""


@dataclass(frozen=True, slots=True)
class TileLayer:
    """How one layer of the atlas becomes tiles.

    Parameters
    ----------
    name
        Atlas layer (``cameras``, ``streets``, ...) or result layer name.
    minzoom
        Below this zoom the layer's tiles are empty.
    result
        Whether the layer is an analysis result (read with :meth:`camatlas.atlas.Atlas.result`).
    columns
        Attribute columns put into the tile; ``None`` for every column of a
        plain type (text, number, boolean) except ``tags``, ``nodes``, ``parameters``.
    detail_zoom
        From this zoom geometries are not simplified.
    """

    name: str
    minzoom: int
    result: bool = False
    columns: tuple[str, ...] | None = None
    detail_zoom: int = 16


BASE_LAYERS: dict[str, TileLayer] = {
    "cameras": TileLayer("cameras", 0),
    "streets": TileLayer("streets", 11, columns=("id", "highway", "name")),
    "buildings": TileLayer("buildings", 14, columns=("building",)),
    "areas": TileLayer("areas", 0, columns=("id", "name", "admin_level", "population")),
}
"""Tiled layers of every atlas."""

RESULT_LAYERS: dict[str, TileLayer] = {
    "views": TileLayer("views", 12, result=True),
    "view_zones": TileLayer("view_zones", 13, result=True),
    "street_coverage": TileLayer("street_coverage", 11, result=True),
    "measure_by_area": TileLayer("measure_by_area", 0, result=True),
    "blind_spots": TileLayer("blind_spots", 11, result=True),
}
"""Result layers drawn on the map when the atlas holds them."""

_SKIPPED_COLUMNS = frozenset({"tags", "nodes", "parameters", "geometry"})
_CAMERA_TILE_COLUMNS = (
    "id",
    "kind",
    "camera_type",
    "surveillance",
    "operator",
    "name",
    "direction_known",
    "directions",
)


# --- tile coordinates -------------------------------------------------------------


def check_tile(z: int, x: int, y: int) -> None:
    """Raise unless ``z/x/y`` is a tile of the XYZ grid: :class:`~camatlas.errors.InputError`
    for a zoom out of range, :class:`~camatlas.errors.NotFoundError` for a tile beyond the
    grid of its zoom (no such tile, as a tile server answers)."""
    if not 0 <= z <= MAX_ZOOM:
        raise InputError(f"tile zoom must be between 0 and {MAX_ZOOM}", value=z)
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise NotFoundError(f"tile {z}/{x}/{y} is outside the grid of zoom {z} (0..{n - 1})")


def tile_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> BBox:
    """(west, south, east, north) in degrees of tile ``z/x/y``.

    Parameters
    ----------
    buffer
        Margin added on each side, as a fraction of the tile's side.
    """
    n = float(1 << z)

    def lon(tx: float) -> float:
        return tx / n * 360.0 - 180.0

    def lat(ty: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * ty / n))))

    return (
        lon(x - buffer),
        max(lat(y + 1 + buffer), -MAX_LATITUDE),
        lon(x + 1 + buffer),
        min(lat(y - buffer), MAX_LATITUDE),
    )


def world_xy(
    lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Web Mercator position in world units (0..1 both ways, ``y`` down) of lon/lat degrees."""
    lam = np.asarray(lon, dtype=np.float64)
    phi = np.radians(np.clip(np.asarray(lat, dtype=np.float64), -MAX_LATITUDE, MAX_LATITUDE))
    wx = (lam + 180.0) / 360.0
    wy = 0.5 - np.log(np.tan(np.pi / 4.0 + phi / 2.0)) / (2.0 * np.pi)
    return wx, wy


def _to_tile_units(geometries: npt.NDArray[Any], z: int, x: int, y: int) -> npt.NDArray[Any]:
    """Geometries in lon/lat -> the same geometries in units of tile ``z/x/y``."""
    n = float(1 << z)

    def project(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        wx, wy = world_xy(coords[:, 0], coords[:, 1])
        return np.column_stack(((wx * n - x) * TILE_EXTENT, (wy * n - y) * TILE_EXTENT))

    return np.asarray(shapely.transform(geometries, project), dtype=object)


# --- encoding ---------------------------------------------------------------------


def _plain(value: Any) -> str | int | float | bool | None:
    """A value as a type that vector tiles hold, or None to leave it out."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return None


def _properties(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    values = [frame[c].tolist() for c in columns]
    rows: list[dict[str, Any]] = []
    for i in range(len(frame)):
        row = {}
        for name, column in zip(columns, values, strict=True):
            v = _plain(column[i])
            if v is not None:
                row[name] = v
        rows.append(row)
    return rows


def encode_tile(
    name: str, geometries: Sequence[Any], properties: Sequence[dict[str, Any]]
) -> bytes:
    """One-layer vector tile from geometries already in tile units (``y`` down)."""
    features = [
        {"geometry": g, "properties": p}
        for g, p in zip(geometries, properties, strict=True)
        if g is not None
    ]
    if not features:
        return b""
    return bytes(
        mapbox_vector_tile.encode(
            [{"name": name, "features": features}],
            default_options={"y_coord_down": True, "extents": TILE_EXTENT},
        )
    )


def frame_tile(frame: gpd.GeoDataFrame, layer: TileLayer, z: int, x: int, y: int) -> bytes:
    """Encode the features of ``frame`` (lon/lat) that fall on tile ``z/x/y``.

    Lines and polygons are clipped to the tile plus :data:`TILE_BUFFER` and,
    below ``layer.detail_zoom``, simplified to about one tile unit; polygons
    smaller than one square unit are left out.
    """
    if frame.empty:
        return b""
    geoms = _to_tile_units(frame.geometry.to_numpy(), z, x, y)
    lo, hi = -TILE_BUFFER, TILE_EXTENT + TILE_BUFFER
    kinds = shapely.get_type_id(geoms)
    is_point = (kinds == 0) | (kinds == 4)
    clipped = geoms.copy()
    others = ~is_point & ~shapely.is_missing(geoms)
    if others.any():
        part = shapely.clip_by_rect(geoms[others], lo, lo, hi, hi)
        if z < layer.detail_zoom:
            part = shapely.simplify(part, 1.0, preserve_topology=True)
        clipped[others] = part
    keep = ~shapely.is_missing(clipped) & ~shapely.is_empty(clipped)
    single = (kinds == 0) & keep
    if single.any():  # points belong to the one tile they fall on (no buffer)
        px, py = shapely.get_x(clipped[single]), shapely.get_y(clipped[single])
        keep[single] = (px >= 0) & (px < TILE_EXTENT) & (py >= 0) & (py < TILE_EXTENT)
    final_kind = shapely.get_type_id(clipped)
    polygonal = (final_kind == 3) | (final_kind == 6)
    keep &= ~(polygonal & (shapely.area(clipped) < 1.0))
    # Lines and polygons that clipping turned into points or collections are dropped.
    keep &= (final_kind != 7) & (is_point | ~np.isin(final_kind, (0, 4)))
    if not keep.any():
        return b""
    chosen = frame.loc[keep]
    columns = _tile_columns(chosen, layer)
    return encode_tile(layer.name, list(clipped[keep]), _properties(chosen, columns))


def _tile_columns(frame: gpd.GeoDataFrame, layer: TileLayer) -> list[str]:
    """The attribute columns a layer's tiles carry (values of other types are left out
    feature by feature, see ``_plain``)."""
    if layer.columns is not None:
        return [c for c in layer.columns if c in frame.columns]
    geometry = frame.geometry.name
    return [str(c) for c in frame.columns if c not in _SKIPPED_COLUMNS and c != geometry]


# --- cameras ------------------------------------------------------------------------


def first_bearing(directions: str | None) -> float | None:
    """Bearing in degrees of a camera's first direction (``"90;190-100"`` -> 90, a range
    -> its middle, clockwise), or None when the text holds none."""
    if not directions:
        return None
    first = directions.split(";")[0].strip()
    match = re.fullmatch(r"(-?\d+(?:\.\d+)?)(?:-(-?\d+(?:\.\d+)?))?", first)
    if match is None:
        return None
    start = float(match.group(1))
    if match.group(2) is None:
        return start % 360.0
    end = float(match.group(2))
    width = (end - start) % 360.0
    return (start + width / 2.0) % 360.0


class CameraIndex:
    """The cameras of an atlas in memory, for clustering and for lookups by id.

    Holds Web Mercator positions sorted west to east, and the camera id, kind,
    type and surveillance of each camera (as codes).

    Parameters
    ----------
    cameras
        The cameras layer (lon/lat) with at least ``id``, ``kind``,
        ``camera_type`` and ``surveillance``.
    """

    def __init__(self, cameras: gpd.GeoDataFrame) -> None:
        lon = shapely.get_x(cameras.geometry.to_numpy()) if len(cameras) else np.empty(0)
        lat = shapely.get_y(cameras.geometry.to_numpy()) if len(cameras) else np.empty(0)
        wx, wy = world_xy(lon, lat)
        order = np.argsort(wx, kind="stable")
        self.wx = wx[order]
        self.wy = wy[order]
        self.lon = np.asarray(lon, dtype=np.float64)[order]
        self.lat = np.asarray(lat, dtype=np.float64)[order]
        self.ids = np.asarray(cameras["id"].to_numpy(dtype=object)[order], dtype=object)
        self.codes: dict[str, tuple[npt.NDArray[np.int16], list[str | None]]] = {}
        for column in ("kind", "camera_type", "surveillance"):
            codes, labels = pd.factorize(cameras[column].to_numpy(dtype=object)[order])
            self.codes[column] = (codes.astype(np.int16), [str(v) for v in labels])
        self._by_id = np.argsort(self.ids, kind="stable")
        self._sorted_ids = self.ids[self._by_id]
        surveillance, labels = self.codes["surveillance"]
        lookup = np.array(
            [SURVEILLANCE_SCOPES.index(v) if v in SURVEILLANCE_SCOPES else 3 for v in labels] + [3],
            dtype=np.int16,
        )
        # factorize gives -1 for missing values, which indexes the trailing "unknown".
        self._surveillance4 = lookup[surveillance]

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, camera_id: str) -> tuple[float, float] | None:
        """(lon, lat) of the camera ``camera_id``, or None when the atlas has none."""
        if not len(self.ids):
            return None
        pos = int(np.searchsorted(self._sorted_ids, camera_id))
        if pos >= len(self._sorted_ids) or self._sorted_ids[pos] != camera_id:
            return None
        i = self._by_id[pos]
        return float(self.lon[i]), float(self.lat[i])

    def bounds(self) -> BBox | None:
        """(west, south, east, north) of every camera, or None without cameras."""
        if not len(self.ids):
            return None
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    def focus(self) -> BBox | None:
        """(west, south, east, north) of the densest cluster of cameras (see
        :func:`camatlas.geo.densest_bbox`), where the map opens; None without cameras."""
        return densest_bbox(self.lon, self.lat)

    def on_tile(self, z: int, x: int, y: int) -> npt.NDArray[np.intp]:
        """Positions (in this index) of the cameras on tile ``z/x/y``."""
        n = float(1 << z)
        lo, hi = np.searchsorted(self.wx, [x / n, (x + 1) / n], side="left")
        wy = self.wy[lo:hi]
        inside = (wy >= y / n) & (wy < (y + 1) / n)
        found: npt.NDArray[np.intp] = np.flatnonzero(inside) + lo
        return found

    def cluster_tile(self, z: int, x: int, y: int, cell: int = CLUSTER_CELL) -> bytes:
        """Tile ``z/x/y`` of the cameras aggregated in cells of ``cell`` tile units.

        A cell holding one camera gives that camera (``id``, ``kind``,
        ``camera_type``, ``surveillance``); a cell holding more gives one point
        with ``cluster`` true, ``count`` and the counts ``public``, ``outdoor``,
        ``indoor`` and ``unknown`` of its cameras by surveillance.
        """
        chosen = self.on_tile(z, x, y)
        if not chosen.size:
            return b""
        n = float(1 << z)
        px = (self.wx[chosen] * n - x) * TILE_EXTENT
        py = (self.wy[chosen] * n - y) * TILE_EXTENT
        per_row = -(-TILE_EXTENT // cell)
        cells = (
            np.clip(py // cell, 0, per_row - 1) * per_row + np.clip(px // cell, 0, per_row - 1)
        ).astype(np.int64)
        unique, inverse, counts = np.unique(cells, return_inverse=True, return_counts=True)
        mean_x = np.bincount(inverse, weights=px) / counts
        mean_y = np.bincount(inverse, weights=py) / counts
        by_scope = np.bincount(
            inverse * 4 + self._surveillance4[chosen], minlength=len(unique) * 4
        ).reshape(-1, 4)
        first = np.full(len(unique), -1, dtype=np.int64)
        first[inverse[::-1]] = chosen[::-1]  # any member; only read for single cameras
        geoms = np.asarray(shapely.points(np.round(mean_x), np.round(mean_y)), dtype=object)
        props: list[dict[str, Any]] = []
        for k in range(len(unique)):
            if counts[k] == 1:
                props.append(self._camera_properties(int(first[k])))
            else:
                scope = by_scope[k].tolist()
                props.append(
                    {
                        "cluster": True,
                        "count": int(counts[k]),
                        "public": scope[0],
                        "outdoor": scope[1],
                        "indoor": scope[2],
                        "unknown": scope[3],
                    }
                )
        return encode_tile("cameras", list(geoms), props)

    def _camera_properties(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": str(self.ids[i])}
        for column, (codes, labels) in self.codes.items():
            code = int(codes[i])
            if code >= 0:
                out[column] = labels[code]
        return out


def camera_tile(atlas: Atlas, index: CameraIndex, z: int, x: int, y: int) -> bytes:
    """The cameras tile ``z/x/y``: clusters below :data:`CLUSTER_BELOW_ZOOM` (or when the
    tile holds more than :data:`MAX_CAMERAS_PER_TILE` cameras), single cameras with their
    attributes otherwise, read with the atlas's bounding-box query."""
    if z < CLUSTER_BELOW_ZOOM:
        return index.cluster_tile(z, x, y)
    if len(index.on_tile(z, x, y)) > MAX_CAMERAS_PER_TILE:
        return index.cluster_tile(z, x, y, cell=DENSE_CELL)
    frame = atlas.cameras(tile_bounds(z, x, y))
    if frame.empty:
        return b""
    frame = frame[[*_CAMERA_TILE_COLUMNS, frame.geometry.name]].copy()
    bearing = [
        first_bearing(d) if known else None
        for d, known in zip(frame["directions"], frame["direction_known"], strict=True)
    ]
    frame["bearing"] = pd.array(bearing, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
    layer = TileLayer("cameras", 0, columns=(*_CAMERA_TILE_COLUMNS, "bearing"))
    return frame_tile(frame, layer, z, x, y)


def layer_tile(atlas: Atlas, layer: TileLayer, z: int, x: int, y: int) -> bytes:
    """Tile ``z/x/y`` of a street, building, area or result layer."""
    if z < layer.minzoom:
        return b""
    bbox = tile_bounds(z, x, y, buffer=TILE_BUFFER / TILE_EXTENT)
    if layer.result:
        read = atlas.result(layer.name, bbox)
        if not isinstance(read, gpd.GeoDataFrame):
            return b""
        frame = read
    else:
        frame = atlas.layer(layer.name, bbox)
    if layer.name == "streets" and z < STREET_DETAIL_ZOOM and not frame.empty:
        frame = frame[frame["highway"].isin(DRAWN_AT_LOW_ZOOM)]
    return frame_tile(frame, layer, z, x, y)


# --- cache ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tile:
    """An encoded tile kept gzip-compressed, with its entity tag."""

    gzipped: bytes
    etag: str
    size: int

    @classmethod
    def from_bytes(cls, data: bytes) -> Tile:
        digest = hashlib.blake2b(data, digest_size=12).hexdigest()
        return cls(gzip.compress(data, compresslevel=6, mtime=0), f'"{digest}"', len(data))

    def plain(self) -> bytes:
        """The tile uncompressed."""
        return gzip.decompress(self.gzipped)


class TileCache:
    """Least-recently-used cache of tiles, bounded in bytes (thread-safe).

    Parameters
    ----------
    max_bytes
        Largest total size of the cached (compressed) tiles.
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Tile | None:
        with self._lock:
            tile = self._items.get(key)
            if tile is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return tile

    def put(self, key: Hashable, tile: Tile) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.gzipped)
            self._items[key] = tile
            self._bytes += len(tile.gzipped)
            while self._bytes > self.max_bytes and self._items:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= len(dropped.gzipped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def get_or_make(self, key: Hashable, make: Callable[[], bytes]) -> Tile:
        """The cached tile for ``key``, made with ``make()`` and cached when missing."""
        tile = self.get(key)
        if tile is None:
            tile = Tile.from_bytes(make())
            self.put(key, tile)
        return tile


def decode_tile(data: bytes) -> dict[str, Any]:
    """Decoded layers of a vector tile (for tests and checks): ``{layer: {"features": ...}}``."""
    if not data:
        return {}
    decoded: dict[str, Any] = mapbox_vector_tile.decode(
        data, default_options={"y_coord_down": True}
    )
    return decoded


def geojson_features(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (RFC 7946) of ``frame``, with ``tags`` as an object."""
    table = frame.copy()
    if "tags" in table.columns:
        table["tags"] = [json.loads(t) if isinstance(t, str) and t else {} for t in table["tags"]]
    result: dict[str, Any] = json.loads(table.to_json(na="null", drop_id=True))
    return result
