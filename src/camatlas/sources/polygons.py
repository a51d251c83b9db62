"""A user's own areas to measure by: polygons with names, and tables of their population.

:func:`read_polygons` reads any polygon file GDAL reads (GeoJSON, GeoPackage,
Shapefile, ...) with a ``name`` property; a ``population`` property, or a CSV
table joined by :func:`read_population`, gives their residents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pyogrio import errors as gdal_errors
from shapely.errors import GEOSException

from camatlas.errors import InputError
from camatlas.geo import repair_polygons
from camatlas.lazy import gpd, pd, pyogrio

__all__ = ["read_polygons", "read_population"]

_GDAL_ERRORS = (
    gdal_errors.DataSourceError,
    gdal_errors.DataLayerError,
    gdal_errors.FeatureError,
    gdal_errors.FieldError,
    gdal_errors.GeometryError,
    gdal_errors.CRSError,
    GEOSException,  # shapely decoding a geometry GDAL passed on, e.g. a ring left open
    UnicodeDecodeError,  # text that is not UTF-8 where GDAL expects it
    OSError,
)
"""What reading a file through GDAL raises when the file is not a readable layer."""


def read_polygons(
    path: str | Path,
    *,
    population: str | Path | None = None,
    population_key: str | None = None,
) -> gpd.GeoDataFrame:
    """Named polygons in WGS 84, with their population where known.

    Parameters
    ----------
    path
        A polygon file with a ``name`` property (and optionally ``population``);
        a file without a CRS is taken as WGS 84.
    population, population_key
        A CSV with columns ``population_key`` and ``population``, matched to the
        polygons' property ``population_key``; it replaces their own ``population``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``id`` (``FILESTEM:N``, N the feature's number from 0), ``name``,
        ``population`` (residents, NaN where unknown) and the repaired polygons.

    Raises
    ------
    InputError
        The file is missing or unreadable, lacks ``name``, holds a feature that is not
        a (Multi)Polygon, or the population table cannot be joined.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("no such file", path=file)
    try:
        polygons = gpd.GeoDataFrame(pyogrio.read_dataframe(file))
    except _GDAL_ERRORS as exc:
        raise InputError(f"cannot read polygons: {exc}", path=file) from None
    if "name" not in polygons.columns:
        raise InputError(
            "the polygons need a 'name' property",
            path=file,
            value=sorted(c for c in polygons.columns if c != "geometry"),
        )
    polygonal = polygons.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not polygonal.all():
        bad = int(np.flatnonzero(~polygonal)[0])
        geometry = polygons.geometry.iloc[bad]
        raise InputError(
            "every feature must be a Polygon or MultiPolygon",
            path=file,
            element=f"feature {bad}",
            value=None if geometry is None else str(geometry.geom_type),
        )
    if polygons.crs is None:
        polygons = polygons.set_crs(4326)
    polygons = polygons.to_crs(4326)
    pop = (
        pd.to_numeric(polygons["population"], errors="coerce")
        if "population" in polygons.columns
        else pd.Series(np.nan, index=polygons.index)
    )
    if population is not None:
        if population_key is None:
            raise InputError("--population needs --population-key COLUMN", path=population)
        if population_key not in polygons.columns:
            raise InputError(
                f"the polygons have no property {population_key!r} to match --population-key",
                path=file,
                value=sorted(c for c in polygons.columns if c != "geometry"),
            )
        lookup = read_population(population, population_key)
        keys = polygons[population_key].astype(str).str.strip()
        pop = keys.map(lookup).astype("float64")
    return gpd.GeoDataFrame(
        {
            "id": [f"{file.stem}:{i}" for i in range(len(polygons))],
            "name": polygons["name"].astype(object).to_numpy(),
            "population": pop.to_numpy(dtype=np.float64),
        },
        geometry=repair_polygons(polygons.geometry.to_numpy()),
        crs="EPSG:4326",
    )


def read_population(path: str | Path, key: str) -> dict[str, float]:
    """Residents by key from a CSV with columns ``key`` and ``population``.

    Raises
    ------
    InputError
        The table cannot be read, lacks a column, or holds a population that is not
        a number of 0 or more (the message names the line).
    """
    file = Path(path)
    try:
        table = pd.read_csv(file, dtype=str)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the population table: {exc}", path=file) from None
    for column in (key, "population"):
        if column not in table.columns:
            raise InputError(
                f"the population table needs columns {key!r} and 'population'",
                path=file,
                value=list(table.columns),
            )
    values = pd.to_numeric(table["population"], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            "population must be a number of residents",
            path=file,
            line=row + 2,
            value=table["population"].iloc[row],
        )
    return dict(zip(table[key].astype(str).str.strip(), values.astype(float), strict=True))
