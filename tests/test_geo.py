"""The UTM zone of each place (camatlas.geo.Zoning) and the ends of lines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from camatlas.geo import (
    PLACE_CELL_DEG,
    UTM_MAX_DLON_DEG,
    ZONE_WIDTH_DEG,
    MetricCRS,
    Zoning,
    densest_bbox,
    line_ends,
    utm_epsg,
)


def row_of_points(west: float, east: float, lat: float, step: float = 0.01) -> np.ndarray:
    """Points every ``step`` degrees along a parallel: touching cells, one place."""
    lon = np.arange(west, east + step / 2, step)
    return np.column_stack([lon, np.full(len(lon), lat)])


def test_a_city_across_a_zone_border_is_one_place_in_one_zone() -> None:
    # London at 0 degrees: 30 N to the west, 31 N to the east.
    city = row_of_points(-0.12, 0.08, 51.5)
    assert set(utm_epsg(city[:, 0], city[:, 1]).tolist()) == {32630, 32631}
    zoning = Zoning(city[:, 0], city[:, 1])
    assert zoning.places == 1
    # the zone of the place's centre, -0.02 degrees: 30 N
    assert set(zoning.epsg(city[:, 0], city[:, 1]).tolist()) == {32630}
    # a point in a cell touching the place belongs to it; one farther off keeps its own zone
    near = 0.08 + PLACE_CELL_DEG * 1.5
    assert zoning.epsg([near, 0.5], [51.5, 51.5]).tolist() == [32630, 32631]


def test_cities_apart_keep_their_own_zones() -> None:
    porto = row_of_points(-8.65, -8.55, 41.15)
    helsinki = row_of_points(24.9, 25.0, 60.17)
    both = np.vstack([porto, helsinki])
    zoning = Zoning(both[:, 0], both[:, 1])
    assert zoning.places == 2
    assert set(zoning.epsg(porto[:, 0], porto[:, 1]).tolist()) == {32629}
    assert set(zoning.epsg(helsinki[:, 0], helsinki[:, 1]).tolist()) == {32635}
    # south of the equator: 327zz
    assert Zoning([151.2], [-33.87]).epsg(151.2, -33.87).tolist() == [32756]


def test_a_long_street_joins_its_far_end_to_its_place() -> None:
    city = row_of_points(-1.5, -0.03, 51.5)  # wholly in 30 N
    street = shapely.LineString([(-0.03, 51.5), (0.2, 51.6), (0.5, 51.7)])
    far = (0.5, 51.7)  # in 31 N, 40 km from the city, nothing around it
    ends = line_ends([street])
    joined = Zoning(city[:, 0], city[:, 1], ends)
    assert joined.places == 1
    # the place runs from -1.5 to 0.5 degrees: its centre, -0.5, is in 30 N
    assert joined.epsg(*far).tolist() == [32630]
    assert set(joined.epsg(city[:, 0], city[:, 1]).tolist()) == {32630}
    assert joined.line_epsg([street, street.reverse()]).tolist() == [32630, 32630]
    # The same two ends as mere points are two places, each in its own zone.
    lon, lat = ends[:, [0, 2]].ravel(), ends[:, [1, 3]].ravel()
    apart = Zoning(np.r_[city[:, 0], lon], np.r_[city[:, 1], lat])
    assert apart.places == 2
    assert apart.epsg(*far).tolist() == [32631]


def test_a_place_wider_than_a_zone_is_split_unless_kept_whole() -> None:
    # A connected band 20 degrees wide (a country's network): 40 N, -10 to +10.
    band = row_of_points(-10.0, 10.0, 40.0, step=0.015)
    own = utm_epsg(band[:, 0], band[:, 1])
    assert len(set(own.tolist())) == 4
    split = Zoning(band[:, 0], band[:, 1])
    assert split.places == 1
    assert np.array_equal(split.epsg(band[:, 0], band[:, 1]), own)
    whole = Zoning(band[:, 0], band[:, 1], max_width_deg=None)
    assert set(whole.epsg(band[:, 0], band[:, 1]).tolist()) == {
        int(utm_epsg((band[0, 0] + band[-1, 0]) / 2, 40.0))
    }
    # no wider than a zone: kept whole even across a border
    narrow = row_of_points(-3.0, -3.0 + ZONE_WIDTH_DEG - 0.1, 40.0, step=0.015)
    assert len(set(Zoning(narrow[:, 0], narrow[:, 1]).epsg(narrow[:, 0], narrow[:, 1]))) == 1


def test_missing_coordinates_and_an_empty_zoning() -> None:
    empty = Zoning([], [])
    assert empty.places == 0
    assert empty.epsg([-8.61], [41.15]).tolist() == [32629]
    zoning = Zoning([np.nan, -8.61], [41.15, np.nan], [[np.nan] * 4])
    assert zoning.places == 0


def test_line_ends_of_lines_parts_and_nothing() -> None:
    lines = [
        shapely.LineString([(0, 0), (1, 1), (2, 0)]),
        None,
        shapely.MultiLineString([[(5, 5), (6, 6)], [(7, 7), (8, 9)]]),
        shapely.LineString(),
    ]
    ends = line_ends(lines)
    assert ends[0].tolist() == [0, 0, 2, 0]
    assert ends[2].tolist() == [5, 5, 8, 9]
    assert np.isnan(ends[[1, 3]]).all()
    assert line_ends([]).shape == (0, 4)


@pytest.mark.parametrize("lon", [-180.0, 179.99])
def test_points_at_the_antimeridian_have_a_zone(lon: float) -> None:
    assert Zoning([lon], [10.0]).epsg(lon, 10.0).tolist() == [int(utm_epsg(lon, 10.0))]


# --- projecting to and from a UTM zone without pyproj ----------------------------------


@pytest.mark.parametrize("epsg", [32601, 32629, 32632, 32660, 32701, 32718, 32760])
def test_utm_projection_matches_proj_to_nanometres(epsg: int) -> None:
    import pyproj

    rng = np.random.default_rng(epsg)
    meridian = (epsg % 100) * 6 - 183
    lat = rng.uniform(0, 84, 5_000) if epsg < 32700 else rng.uniform(-80, 0, 5_000)
    # Across the zone and a zone beyond each side, wrapped at the antimeridian.
    lon = (meridian + rng.uniform(-9, 9, 5_000) + 180) % 360 - 180
    utm = MetricCRS(pyproj.CRS.from_epsg(epsg).to_wkt(), epsg)
    x, y = utm.to_metric(lon, lat)
    want_x, want_y = pyproj.Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    assert np.hypot(x - want_x, y - want_y).max() < 1e-7  # metres
    back_lon, back_lat = utm.to_wgs84(want_x, want_y)
    want_lon, want_lat = pyproj.Transformer.from_crs(epsg, 4326, always_xy=True).transform(
        want_x, want_y
    )
    assert np.abs(back_lon - want_lon).max() < 1e-11  # degrees: under a micrometre
    assert np.abs(back_lat - want_lat).max() < 1e-11
    # Scalars in, scalars out.
    one_x, one_y = utm.to_metric(float(lon[0]), float(lat[0]))
    assert (float(one_x), float(one_y)) == (float(x[0]), float(y[0]))


def test_utm_projection_refuses_the_far_side_of_the_globe() -> None:
    utm = MetricCRS.from_epsg(32629)  # central meridian 9 degrees west
    x, y = utm.to_metric([-9.0 + UTM_MAX_DLON_DEG + 1, 171.0, -9.0], [0.0, 41.0, 41.0])
    assert not np.isfinite(x[:2]).any() and not np.isfinite(y[:2]).any()
    assert np.isfinite(x[2]) and np.isfinite(y[2])


def test_other_crs_are_projected_by_pyproj() -> None:
    import pyproj

    lambert = MetricCRS.of("EPSG:2154")  # France's Lambert-93, not a UTM zone
    x, y = lambert.to_metric(2.35, 48.85)
    want = pyproj.Transformer.from_crs(4326, 2154, always_xy=True).transform(2.35, 48.85)
    assert (float(x), float(y)) == pytest.approx(want, abs=1e-9)
    lon, lat = lambert.to_wgs84(x, y)
    assert (float(lon), float(lat)) == pytest.approx((2.35, 48.85), abs=1e-9)
    assert lambert.crs.to_epsg() == 2154
    assert MetricCRS(lambert.wkt, None).crs == lambert.crs  # the WKT read back


def test_the_densest_cluster_leaves_outliers_out() -> None:
    rng = np.random.default_rng(3)
    city = rng.uniform([-8.62, 41.14], [-8.60, 41.16], size=(300, 2))  # 300 cameras in a city
    town = rng.uniform([-8.30, 41.30], [-8.29, 41.31], size=(40, 2))  # a town 30 km away
    stray = np.array([[2.35, 48.85], [-74.0, 40.7]])  # two far away
    points = np.vstack([city, town, stray])
    west, south, east, north = densest_bbox(points[:, 0], points[:, 1])
    assert (west, south, east, north) == pytest.approx(
        (city[:, 0].min(), city[:, 1].min(), city[:, 0].max(), city[:, 1].max())
    )
    assert densest_bbox(np.zeros(0), np.zeros(0)) is None
