"""Geometry shared by every part of camatlas: distances, zones, boxes, intervals, polygons.

One helper for each job, so that a metre, a zone or a repaired footprint is the
same wherever it is computed:

- distances in metres on the ground: :func:`great_circle_m`, and boxes grown by
  metres (:func:`expand_bbox`), distances to them (:func:`bbox_distance_m`) and the box of
  the densest cluster of points (:func:`densest_bbox`);
- the metric CRS each place is measured in: :func:`utm_epsg`, :func:`local_crs`
  and :class:`Zoning`, the one rule by which sight, measure, route and exposure
  choose the UTM zone of a camera, a street or a track; :class:`MetricCRS`
  projects to and from one (UTM zones without importing pyproj);
- intervals along lines (metres from a line's start): :func:`merge_intervals`,
  :func:`overlap_lengths`, :func:`interval_gaps`, :func:`covered_length`;
- polygons: :func:`repair_polygons` (the one repair of invalid footprints and
  areas), :func:`as_multipolygons`, :func:`geodesic_area_km2`; :func:`geodesic_length_m`.

Coordinates are WGS 84 longitude/latitude degrees unless a function says
metres; intervals and lengths are metres.

>>> from camatlas import geo
>>> int(geo.utm_epsg(-8.61, 41.15))
32629
>>> round(float(geo.great_circle_m(-8.61, 41.15, -8.61, 41.16)))
1112
>>> geo.merge_intervals([0, 0, 1], [0.0, 5.0, 2.0], [10.0, 12.0, 3.0])
(array([0, 1]), array([0., 2.]), array([12.,  3.]))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from camatlas.errors import InputError
from camatlas.lazy import pyproj
from camatlas.records import BBox

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres, for great-circle distances."""

MIN_M_PER_DEG_LAT = 110_574.0
"""Metres in one degree of latitude at the equator, the fewest anywhere (WGS 84)."""

M_PER_DEG_LON_EQUATOR = 111_319.49
"""Metres in one degree of longitude at the equator (WGS 84); times cos(latitude) elsewhere,
which slightly underestimates it away from the equator."""

ZONE_WIDTH_DEG = 6.0
"""Width of a UTM zone, degrees of longitude: the widest place :class:`Zoning` measures in
one zone when asked to split wider ones (its ends then lie within 3 degrees of the zone's
central meridian, where the scale error is about 0.1 % at most)."""

PLACE_CELL_DEG = 0.02
"""Side of the grid cells (degrees) by which :class:`Zoning` finds places: features in the
same or touching cells belong to one place (about 2 km north-south)."""

WGS84 = "EPSG:4326"


# --- distances -------------------------------------------------------------------------


def great_circle_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> FloatArray:
    """Haversine distance in metres between lon/lat points (degrees; scalars or arrays)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distance: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distance


def approx_xy_m(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Metres east and north of (0, 0) in a local equirectangular frame of each point.

    Distances between points a few hundred metres apart come out within about 1 % of
    the true ones: good enough to find candidate pairs before measuring them exactly
    with :func:`great_circle_m`.
    """
    lat = np.asarray(lat, dtype=np.float64)
    x = np.asarray(lon, dtype=np.float64) * M_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat))
    return x, lat * M_PER_DEG_LON_EQUATOR


def expand_bbox(bbox: Sequence[float], metres: float) -> BBox:
    """``bbox`` (west, south, east, north) grown by at least ``metres`` on every side.

    The degrees are computed for the latitude within the grown box farthest from the
    equator, where a degree of longitude is shortest, so the box is never too small.
    """
    west, south, east, north = (float(v) for v in bbox)
    dlat = metres / MIN_M_PER_DEG_LAT
    lat = min(max(abs(south), abs(north)) + dlat, 89.9)
    dlon = metres / (M_PER_DEG_LON_EQUATOR * max(math.cos(math.radians(lat)), 1e-3))
    return (
        max(west - dlon, -180.0),
        max(south - dlat, -90.0),
        min(east + dlon, 180.0),
        min(north + dlat, 90.0),
    )


def densest_bbox(
    lon: FloatArray, lat: FloatArray, cell_deg: float = 0.02, reach: int = 2
) -> BBox | None:
    """The box of the densest cluster of points: the points within ``reach`` cells of the
    fullest cell of a ``cell_deg`` grid (by default a 10 x 10 km block around the fullest
    2 km cell). None without points.

    >>> densest_bbox(np.array([0.0, 0.001, 0.002, 50.0]), np.array([0.0, 0.001, 0.0, 50.0]))
    (0.0, 0.0, 0.002, 0.001)
    """
    x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if len(x) == 0:
        return None
    cells = np.column_stack((np.floor(x / cell_deg), np.floor(y / cell_deg))).astype(np.int64)
    unique, counts = np.unique(cells, axis=0, return_counts=True)
    fullest = unique[int(np.argmax(counts))]
    near = (np.abs(cells - fullest) <= reach).all(axis=1)
    return (float(x[near].min()), float(y[near].min()), float(x[near].max()), float(y[near].max()))


def bbox_distance_m(bbox: Sequence[float], lat: float, lon: float) -> float:
    """Roughly how far (metres) the point ``lat, lon`` lies outside ``bbox`` (0 inside)."""
    west, south, east, north = bbox
    dx = max(west - lon, 0.0, lon - east) * max(math.cos(math.radians(lat)), 0.01)
    dy = max(south - lat, 0.0, lat - north)
    return math.hypot(dx, dy) * M_PER_DEG_LON_EQUATOR


# --- zones -----------------------------------------------------------------------------


def utm_epsg(lon: Any, lat: Any) -> IntArray:
    """EPSG code of the UTM zone (WGS 84) of each point: 326zz north, 327zz south.

    Parameters
    ----------
    lon, lat
        Degrees (scalars or arrays). Missing coordinates fall in zone 1.
    """
    x = np.nan_to_num(np.asarray(lon, dtype=np.float64))
    y = np.nan_to_num(np.asarray(lat, dtype=np.float64))
    zone = np.clip(np.floor((x + 180.0) / 6.0).astype(np.int64) + 1, 1, 60)
    epsg: IntArray = np.where(y < 0, 32700, 32600) + zone
    return epsg


def local_crs(frame: Any) -> pyproj.CRS:
    """The UTM zone CRS of the centre of a GeoDataFrame or GeoSeries in WGS 84.

    Raises
    ------
    InputError
        If the frame is empty or its bounds are not longitudes and latitudes.
    """
    if len(frame) == 0:
        raise InputError("cannot choose a local CRS for an empty layer")
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    west, south, east, north = (float(v) for v in frame.total_bounds)
    if not all(map(math.isfinite, (west, south, east, north))):
        raise InputError("cannot choose a local CRS: the layer has no coordinates")
    lon, lat = (west + east) / 2.0, (south + north) / 2.0
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise InputError("coordinates are not longitudes and latitudes", value=(lon, lat))
    return pyproj.CRS.from_epsg(int(utm_epsg(lon, lat)))


# Krüger's series for the transverse Mercator projection, to the sixth order in the third
# flattening n (Karney 2011, "Transverse Mercator with an accuracy of a few nanometers",
# J. Geodesy 85, eqs. 35-36), as PROJ's default transverse Mercator also computes it.
_A_WGS84 = 6_378_137.0
_F_WGS84 = 1 / 298.257223563
_N = _F_WGS84 / (2 - _F_WGS84)
_E = math.sqrt(_F_WGS84 * (2 - _F_WGS84))
_RECTIFYING = _A_WGS84 / (1 + _N) * (1 + _N**2 / 4 + _N**4 / 64 + _N**6 / 256)
_ALPHA = np.array([
    _N / 2 - 2 * _N**2 / 3 + 5 * _N**3 / 16 + 41 * _N**4 / 180 - 127 * _N**5 / 288
    + 7891 * _N**6 / 37800,
    13 * _N**2 / 48 - 3 * _N**3 / 5 + 557 * _N**4 / 1440 + 281 * _N**5 / 630
    - 1983433 * _N**6 / 1935360,
    61 * _N**3 / 240 - 103 * _N**4 / 140 + 15061 * _N**5 / 26880 + 167603 * _N**6 / 181440,
    49561 * _N**4 / 161280 - 179 * _N**5 / 168 + 6601661 * _N**6 / 7257600,
    34729 * _N**5 / 80640 - 3418889 * _N**6 / 1995840,
    212378941 * _N**6 / 319334400,
])  # fmt: skip
_BETA = np.array([
    _N / 2 - 2 * _N**2 / 3 + 37 * _N**3 / 96 - _N**4 / 360 - 81 * _N**5 / 512
    + 96199 * _N**6 / 604800,
    _N**2 / 48 + _N**3 / 15 - 437 * _N**4 / 1440 + 46 * _N**5 / 105 - 1118711 * _N**6 / 3870720,
    17 * _N**3 / 480 - 37 * _N**4 / 840 - 209 * _N**5 / 4480 + 5569 * _N**6 / 90720,
    4397 * _N**4 / 161280 - 11 * _N**5 / 504 - 830251 * _N**6 / 7257600,
    4583 * _N**5 / 161280 - 108847 * _N**6 / 3991680,
    20648693 * _N**6 / 638668800,
])  # fmt: skip
_ORDERS = 2 * np.arange(1, 7, dtype=np.float64)
_UTM_SCALE = 0.9996
_UTM_FALSE_EASTING = 500_000.0
_UTM_FALSE_NORTHING_SOUTH = 10_000_000.0
UTM_MAX_DLON_DEG = 60.0
"""Points farther than this from a UTM zone's central meridian (degrees of longitude) do not
project into it (infinite coordinates): the series are meant for a few zones' width."""


def _utm_zone(epsg: int | None) -> tuple[float, float] | None:
    """Central meridian (degrees) and false northing of a WGS 84 UTM zone's EPSG code."""
    if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        zone = epsg % 100
        return zone * 6.0 - 183.0, _UTM_FALSE_NORTHING_SOUTH if epsg > 32700 else 0.0
    return None


class MetricCRS:
    """A metric CRS, and the projection of points between it and WGS 84.

    Given by its WKT and EPSG code, so that a CRS read back from storage costs nothing
    until it is used: a UTM zone of WGS 84 (EPSG 326zz/327zz, the zones
    :func:`local_crs` chooses) is projected in numpy with Krüger's series to the sixth
    order (within nanometres of PROJ's transverse Mercator across a zone, and without
    importing pyproj, which takes about 0.1 s); any other CRS through pyproj.
    :attr:`crs` is the pyproj CRS, made when first read.

    >>> utm = MetricCRS.from_epsg(32629)
    >>> x, y = utm.to_metric(-8.61, 41.15)
    >>> (round(float(x), 3), round(float(y), 3))
    (532725.159, 4555481.992)
    """

    def __init__(self, wkt: str, epsg: int | None) -> None:
        self.wkt = wkt
        self.epsg = epsg
        self._crs: pyproj.CRS | None = None
        self._zone = _utm_zone(epsg)
        self._transformers: tuple[pyproj.Transformer, pyproj.Transformer] | None = None

    @classmethod
    def of(cls, crs: Any) -> MetricCRS:
        """The metric CRS of anything pyproj reads as one (a CRS, ``"EPSG:32629"``, WKT)."""
        crs = pyproj.CRS.from_user_input(crs)
        made = cls(crs.to_wkt(), crs.to_epsg(min_confidence=100))
        made._crs = crs
        return made

    @classmethod
    def from_epsg(cls, epsg: int) -> MetricCRS:
        return cls.of(pyproj.CRS.from_epsg(epsg))

    @property
    def crs(self) -> pyproj.CRS:
        if self._crs is None:
            self._crs = pyproj.CRS.from_wkt(self.wkt)
        return self._crs

    def _pyproj(self) -> tuple[pyproj.Transformer, pyproj.Transformer]:
        if self._transformers is None:
            self._transformers = (
                pyproj.Transformer.from_crs(WGS84, self.crs, always_xy=True),
                pyproj.Transformer.from_crs(self.crs, WGS84, always_xy=True),
            )
        return self._transformers

    def to_metric(self, lon: Any, lat: Any) -> tuple[FloatArray, FloatArray]:
        """Metres (x, y) of WGS 84 degrees (scalars or arrays)."""
        if self._zone is None:
            x, y = self._pyproj()[0].transform(lon, lat)
            return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        meridian, false_northing = self._zone
        lam = np.radians((np.asarray(lon, dtype=np.float64) - meridian + 180.0) % 360.0 - 180.0)
        lam = np.where(np.abs(lam) <= math.radians(UTM_MAX_DLON_DEG), lam, np.nan)
        sin_phi = np.sin(np.radians(np.asarray(lat, dtype=np.float64)))
        tau = np.sinh(np.arctanh(sin_phi) - _E * np.arctanh(_E * sin_phi))  # conformal
        xi_p = np.arctan2(tau, np.cos(lam))
        eta_p = np.arcsinh(np.sin(lam) / np.hypot(tau, np.cos(lam)))
        j = _ORDERS.reshape((-1,) + (1,) * xi_p.ndim)
        xi = xi_p + np.sum(_ALPHA.reshape(j.shape) * np.sin(j * xi_p) * np.cosh(j * eta_p), 0)
        eta = eta_p + np.sum(_ALPHA.reshape(j.shape) * np.cos(j * xi_p) * np.sinh(j * eta_p), 0)
        k = _UTM_SCALE * _RECTIFYING
        x = np.where(np.isnan(lam), np.inf, _UTM_FALSE_EASTING + k * eta)
        y = np.where(np.isnan(lam), np.inf, false_northing + k * xi)
        return x, y

    def to_wgs84(self, x: Any, y: Any) -> tuple[FloatArray, FloatArray]:
        """WGS 84 degrees (lon, lat) of metres (scalars or arrays)."""
        if self._zone is None:
            lon, lat = self._pyproj()[1].transform(x, y)
            return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        meridian, false_northing = self._zone
        k = _UTM_SCALE * _RECTIFYING
        xi = (np.asarray(y, dtype=np.float64) - false_northing) / k
        eta = (np.asarray(x, dtype=np.float64) - _UTM_FALSE_EASTING) / k
        j = _ORDERS.reshape((-1,) + (1,) * xi.ndim)
        xi_p = xi - np.sum(_BETA.reshape(j.shape) * np.sin(j * xi) * np.cosh(j * eta), 0)
        eta_p = eta - np.sum(_BETA.reshape(j.shape) * np.cos(j * xi) * np.sinh(j * eta), 0)
        tau_p = np.sin(xi_p) / np.hypot(np.sinh(eta_p), np.cos(xi_p))
        lam = np.arctan2(np.sinh(eta_p), np.cos(xi_p))
        # The latitude whose conformal latitude is tau_p: Newton's method (Karney 2011, eq. 19).
        e2 = _E * _E
        tau = tau_p / (1 - e2)
        for _ in range(4):
            root = np.sqrt(1 + tau * tau)
            sigma = np.sinh(_E * np.arctanh(_E * tau / root))
            tau_i = tau * np.sqrt(1 + sigma * sigma) - sigma * root
            tau = tau + (tau_p - tau_i) / np.sqrt(1 + tau_i * tau_i) * (
                (1 + (1 - e2) * tau * tau) / ((1 - e2) * root)
            )
        lon = (meridian + np.degrees(lam) + 180.0) % 360.0 - 180.0
        return lon, np.degrees(np.arctan(tau))


def line_ends(geometries: Any) -> FloatArray:
    """The first and last vertex of each line: an array of ``(x0, y0, x1, y1)`` rows, NaN
    for a missing or empty geometry (of a MultiLineString: its first part's first vertex
    and its last part's last vertex).

    >>> line_ends([shapely.LineString([(0, 0), (1, 2), (3, 4)])]).tolist()
    [[0.0, 0.0, 3.0, 4.0]]
    """
    geoms = np.asarray(geometries, dtype=object).ravel()
    out = np.full((len(geoms), 4), np.nan)
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    if len(index):
        rows, first = np.unique(index, return_index=True)
        last = np.r_[first[1:], len(index)] - 1
        out[rows, 0:2] = coords[first]
        out[rows, 2:4] = coords[last]
    return out


class Zoning:
    """The UTM zone each place of an atlas is measured in.

    A *place* is a group of features lying in the same or touching cells of a grid of
    :data:`PLACE_CELL_DEG` degrees, or joined by a line (a street's two ends belong to
    one place however long it is): a city and its suburbs, never two cities kilometres
    apart with nothing between them. Every feature of a place is measured in the UTM
    zone of the centre of the place's bounding box, so a city across a zone border
    (London at 0 degrees) is one place in one CRS, a street is measured and routed in
    the same CRS as the views that fall on it, and cities far apart each keep a zone of
    their own. A point outside every place (and not in a cell touching one) takes the
    zone of its own position.

    A place wider than ``max_width_deg`` degrees of longitude (a country's connected
    street network) is not measured in one zone, where scale errors would grow to
    several per cent at its ends: each of its cells takes the zone it lies in, so a
    zone border runs through it. ``max_width_deg=None`` keeps every place whole (what
    routing needs: a route never stops at a zone border), with a scale error of about
    1 % some 9 degrees of longitude from the place's centre.

    Places are not split at the antimeridian.

    Parameters
    ----------
    lon, lat
        Points of the features (cameras), degrees.
    ends
        The ends of lines (streets), rows of ``(x0, y0, x1, y1)`` as :func:`line_ends`
        gives them; each line joins its two ends into one place.
    max_width_deg
        The widest place measured in one zone, degrees of longitude
        (:data:`ZONE_WIDTH_DEG`, one zone, by default).
    """

    def __init__(
        self,
        lon: Any,
        lat: Any,
        ends: Any = None,
        *,
        max_width_deg: float | None = ZONE_WIDTH_DEG,
    ) -> None:
        x = np.asarray(lon, dtype=np.float64).ravel()
        y = np.asarray(lat, dtype=np.float64).ravel()
        pairs = np.zeros((0, 4)) if ends is None else np.asarray(ends, dtype=np.float64)
        pairs = pairs.reshape(-1, 4)
        pairs = pairs[np.isfinite(pairs).all(axis=1)]
        ok = np.isfinite(x) & np.isfinite(y)
        x = np.concatenate([x[ok], pairs[:, 0], pairs[:, 2]])
        y = np.concatenate([y[ok], pairs[:, 1], pairs[:, 3]])
        self._cells, member = np.unique(self._keys(x, y), return_inverse=True)
        member = member.ravel()
        n = len(self._cells)
        self._cell_zone = np.zeros(n, dtype=np.int64)
        self._places = 0
        if n == 0:
            return
        # scipy loads here, not with this module, which every reader imports.
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        # Touching cells: the 8 neighbours of every occupied cell that are occupied too;
        # and the two cells of each line's ends.
        col, row = self._cells // _ROW, self._cells % _ROW
        k = len(pairs)
        tail = [member[len(x) - 2 * k : len(x) - k]]
        head = [member[len(x) - k :]]
        for dc in (-1, 0, 1):
            for dr in (-1, 0, 1):
                if dc == dr == 0:
                    continue
                other = (col + dc) * _ROW + (row + dr)
                pos = np.searchsorted(self._cells, other).clip(max=n - 1)
                hit = self._cells[pos] == other
                tail.append(np.flatnonzero(hit))
                head.append(pos[hit])
        t, h = np.concatenate(tail), np.concatenate(head)
        graph = coo_matrix((np.ones(len(t)), (t, h)), shape=(n, n)).tocsr()
        self._places, label = connected_components(graph, directed=False)
        place = label[member]
        low = np.full((self._places, 2), np.inf)
        high = np.full((self._places, 2), -np.inf)
        xy = np.column_stack([x, y])
        np.minimum.at(low, place, xy)
        np.maximum.at(high, place, xy)
        centre = (low + high) / 2.0
        self._cell_zone = utm_epsg(centre[:, 0], centre[:, 1])[label]
        if max_width_deg is not None:
            wide = (high[:, 0] - low[:, 0] > max_width_deg)[label]
            own_x = (col[wide] + 0.5) * PLACE_CELL_DEG - 180.0
            own_y = (row[wide] + 0.5) * PLACE_CELL_DEG - 90.0
            self._cell_zone[wide] = utm_epsg(own_x, own_y)

    @staticmethod
    def _keys(x: FloatArray, y: FloatArray) -> IntArray:
        col = np.floor((x + 180.0) / PLACE_CELL_DEG).astype(np.int64)
        row = np.floor((y + 90.0) / PLACE_CELL_DEG).astype(np.int64)
        keys: IntArray = col * _ROW + row
        return keys

    @property
    def places(self) -> int:
        """How many places the features form."""
        return int(self._places)

    def epsg(self, lon: Any, lat: Any) -> IntArray:
        """The EPSG code of the UTM zone each point is measured in (see the class)."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = utm_epsg(x, y)
        if len(self._cells) == 0 or len(x) == 0:
            return out
        keys = self._keys(np.nan_to_num(x), np.nan_to_num(y))
        found = np.zeros(len(x), dtype=bool)
        n = len(self._cells)
        # The point's own cell first, then the cells around it.
        for dc, dr in ((0, 0), *((c, r) for c in (-1, 0, 1) for r in (-1, 0, 1) if c or r)):
            todo = np.flatnonzero(~found)
            if len(todo) == 0:
                break
            other = keys[todo] + dc * _ROW + dr
            pos = np.searchsorted(self._cells, other).clip(max=n - 1)
            hit = self._cells[pos] == other
            out[todo[hit]] = self._cell_zone[pos[hit]]
            found[todo[hit]] = True
        return out

    def line_epsg(self, geometries: Any) -> IntArray:
        """The EPSG code of the UTM zone each line (WGS 84) is measured in: that of its
        first vertex, so of the place both its ends belong to."""
        ends = line_ends(geometries)
        return self.epsg(ends[:, 0], ends[:, 1])


_ROW = 1 << 20
"""Cell keys are ``column * _ROW + row``: room for 9,000 rows at 0.02 degrees."""


# --- intervals along lines -----------------------------------------------------------


def _as_int(values: Any) -> IntArray:
    return np.asarray(values, dtype=np.int64).ravel()


def _as_float(values: Any) -> FloatArray:
    return np.asarray(values, dtype=np.float64).ravel()


def merge_intervals(
    group: Any, start: Any, end: Any, *, gap: float = 0.0, presorted: bool = False
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Union of intervals within each group: sorted, disjoint ``(group, start, end)``.

    Intervals of one group that overlap, touch or lie at most ``gap`` apart become one.
    ``presorted`` says the input is already sorted by group, then start (a subset of a
    sorted input stays sorted), which saves the sort.

    All groups are laid out one after another on a single axis, so that one running
    maximum serves every group at once; the comparisons happen on that axis, the
    results are the input's own values.
    """
    g, s, e = _as_int(group), _as_float(start), _as_float(end)
    if len(g) == 0:
        return g, s, e
    if not presorted:
        order = np.lexsort((s, g))
        g, s, e = g[order], s[order], e[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    firsts = np.flatnonzero(new_group)
    low = s[firsts]
    span = np.maximum.reduceat(e, firsts) - low + 1.0 + gap
    shift = np.repeat(np.cumsum(span) - span - low, np.diff(np.r_[firsts, len(g)]))
    reach = np.maximum.accumulate(e + shift)
    opens = new_group.copy()
    opens[1:] |= s[1:] + shift[1:] > reach[:-1] + gap
    first = np.flatnonzero(opens)
    return g[first], s[first], np.maximum.reduceat(e, first)


def covered_length(starts: FloatArray, ends: FloatArray, lo: float, hi: float) -> float:
    """Length of ``[lo, hi]`` covered by disjoint intervals ``starts .. ends``."""
    if len(starts) == 0 or hi <= lo:
        return 0.0
    return float(np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0.0, None).sum())


def axis_offsets(extent: Any) -> FloatArray:
    """Start of each group ``0 .. n - 1`` of lengths ``extent`` on one axis where groups
    follow one another 1 m apart (so one sorted array can hold intervals of every group)."""
    extent = _as_float(extent)
    spans = extent + 1.0
    return np.concatenate([[0.0], np.cumsum(spans)[:-1]]) if len(spans) else spans


def overlap_lengths(
    union: tuple[Any, Any, Any], query: tuple[Any, Any, Any], extent: Any
) -> FloatArray:
    """Metres of each query interval ``(group, start, end)`` that lie inside ``union``.

    ``union`` is disjoint and sorted within each group (as from :func:`merge_intervals`);
    groups are numbers ``0 .. len(extent) - 1`` and ``extent`` is each group's length (no
    interval reaches beyond it). On one axis the union is sorted too, so two binary
    searches find the union's intervals under each query.
    """
    offsets = axis_offsets(_as_float(extent))
    u_group, u_start, u_end = _as_int(union[0]), _as_float(union[1]), _as_float(union[2])
    q_group, q_start, q_end = _as_int(query[0]), _as_float(query[1]), _as_float(query[2])
    if len(u_group) == 0 or len(q_group) == 0:
        return np.zeros(len(q_group))
    us = offsets[u_group] + u_start
    ue = offsets[u_group] + u_end
    qs = offsets[q_group] + q_start
    qe = offsets[q_group] + q_end
    cum = np.concatenate([[0.0], np.cumsum(ue - us)])
    first = np.searchsorted(ue, qs, side="right")
    stop = np.searchsorted(us, qe, side="left")
    total = cum[stop] - cum[first]
    some = stop > first
    head = np.where(some, np.maximum(qs - us[np.minimum(first, len(us) - 1)], 0.0), 0.0)
    tail = np.where(some, np.maximum(ue[np.maximum(stop - 1, 0)] - qe, 0.0), 0.0)
    return np.asarray(np.maximum(total - head - tail, 0.0), dtype=np.float64)


def interval_gaps(
    union: tuple[Any, Any, Any], extent: Any
) -> tuple[IntArray, FloatArray, FloatArray]:
    """The stretches of every group ``0 .. len(extent) - 1`` outside ``union``.

    ``union`` is disjoint and sorted within each group; returns ``(group, start, end)``,
    empty stretches included (where an interval starts at 0 or two intervals touch).
    """
    u_group, u_start, u_end = _as_int(union[0]), _as_float(union[1]), _as_float(union[2])
    length = _as_float(extent)
    every = np.arange(len(length), dtype=np.int64)
    group = np.concatenate([u_group, every])
    starts = np.concatenate([u_end, np.zeros(len(length))])
    ends = np.concatenate([u_start, length])
    # Within a group, k intervals leave k + 1 gaps: starts 0, e1..ek pair with s1..sk, L.
    by_start = np.lexsort((starts, group))
    by_end = np.lexsort((ends, group))
    return group[by_start], starts[by_start], ends[by_end]


def way_centre(coords: Any, closed: bool) -> tuple[float, float] | None:
    """Where a camera mapped as a way stands: the centroid of its area when the way is
    closed (4 or more nodes), else of its line, else of its points; None without a point.

    ``coords`` are the way's located (lon, lat) points, in order.
    """
    xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    if len(xy) == 0:
        return None
    shapes: list[BaseGeometry] = []
    if closed and len(xy) >= 4:
        shapes.append(shapely.Polygon(xy))
    if len(xy) >= 2:
        shapes.append(shapely.LineString(xy))
    shapes.append(shapely.MultiPoint(xy))
    for shape in shapes:
        centre = shape.centroid
        if not centre.is_empty and math.isfinite(centre.x) and math.isfinite(centre.y):
            return float(centre.x), float(centre.y)
    return None


def members_centre(parts: Sequence[Any]) -> tuple[float, float] | None:
    """Where a camera mapped as a relation stands: the centroid of its member ways, or of
    its member nodes when no way has two located points; None without a point.

    ``parts`` are the members' located (lon, lat) points, one sequence per member.

    >>> members_centre([[(0, 0), (2, 0)], [(10, 10)]])
    (1.0, 0.0)
    """
    shapes: list[BaseGeometry] = []
    for part in parts:
        xy = np.asarray(part, dtype=np.float64).reshape(-1, 2)
        if len(xy) >= 2:
            shapes.append(shapely.LineString(xy))
        elif len(xy) == 1:
            shapes.append(shapely.Point(xy[0]))
    if not shapes:
        return None
    centre = shapely.GeometryCollection(shapes).centroid
    if centre.is_empty or not (math.isfinite(centre.x) and math.isfinite(centre.y)):
        return None
    return float(centre.x), float(centre.y)


# --- polygons --------------------------------------------------------------------------


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """The (Multi)Polygon part of a geometry; an empty Polygon when there is none."""
    kind = shapely.get_type_id(geometry)
    if kind in (3, 6):
        return geometry
    parts = [
        part
        for part in shapely.get_parts(shapely.get_parts(geometry))
        if shapely.get_type_id(part) == 3 and not part.is_empty
    ]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def repair_polygons(geometries: Any) -> ObjectArray:
    """Valid (Multi)Polygons for footprints and areas, whatever rings they were drawn with.

    An invalid polygon (a ring crossing itself, a hole outside its shell) is rebuilt by
    GEOS's ``make_valid`` with the *structure* method, which keeps the area the rings
    enclose and drops parts that collapse to lines or points; anything that is not
    polygonal (a collection from an overlay) is reduced to its polygonal parts. The
    result may be empty; missing geometries stay None.

    >>> bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> [round(g.area, 6) for g in repair_polygons([bowtie])]
    [2.0]
    """
    geoms = np.array(geometries, dtype=object).ravel()
    if len(geoms) == 0:
        return geoms
    present = ~shapely.is_missing(geoms)
    invalid = present & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(
            geoms[invalid], method="structure", keep_collapsed=False
        )
    kinds = shapely.get_type_id(geoms)
    other = present & ~np.isin(kinds, (3, 6))
    for i in np.flatnonzero(other):
        geoms[i] = _polygonal(geoms[i])
    return geoms


def as_multipolygons(geometries: Any) -> ObjectArray:
    """(Multi)Polygons as MultiPolygons, so a layer holds one geometry type; empty -> None."""
    geoms = np.asarray(geometries, dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    present[present] = ~shapely.is_empty(geoms[present])
    idx = np.flatnonzero(present)
    if len(idx):
        parts, which = shapely.get_parts(geoms[idx], return_index=True)
        polygonal = shapely.get_type_id(parts) == 3
        sub = np.full(len(idx), None, dtype=object)
        shapely.multipolygons(parts[polygonal], indices=which[polygonal], out=sub)
        out[idx] = sub
    return out


def geodesic_area_km2(geometries: Any) -> FloatArray:
    """Area on the WGS 84 ellipsoid of lon/lat (Multi)Polygons, km² (0 for missing ones)."""
    geod = pyproj.Geod(ellps="WGS84")
    return _each(geometries, lambda geom: abs(geod.geometry_area_perimeter(geom)[0]) / 1e6)


def _each(geometries: Any, measure: Callable[[BaseGeometry], float]) -> FloatArray:
    """``measure(geometry)`` of each geometry present, 0 for missing or empty ones."""
    geoms = np.asarray(geometries, dtype=object).ravel()
    out = np.zeros(len(geoms))
    for i, geom in enumerate(geoms):
        if geom is not None and not geom.is_empty:
            out[i] = measure(geom)
    return out


def geodesic_length_m(geometries: Any) -> FloatArray:
    """Length on the WGS 84 ellipsoid of lon/lat (Multi)LineStrings, metres (0 for missing
    ones)."""
    geod = pyproj.Geod(ellps="WGS84")
    return _each(geometries, geod.geometry_length)
