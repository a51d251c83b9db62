"""Routing engines: street graphs with exposure, shortest paths, Pareto routes, exposure.

- :mod:`~camatlas.route.access`: which streets each profile uses, and one-way rules;
- :mod:`~camatlas.route.search`: the CSR network, Dijkstra runs and the Pareto search;
- :mod:`~camatlas.route.network`: the street graph of a profile, built from frames;
- :mod:`~camatlas.route.exposure`: how watched a track is.

These are engines: frames in, results out, no atlas. The pipeline that routes
on an atlas is :mod:`camatlas.pipelines.route` (:func:`camatlas.least_watched`,
:func:`camatlas.exposure`).
"""

from __future__ import annotations

from camatlas.route.access import street_access
from camatlas.route.exposure import ExposureResult, track_exposure
from camatlas.route.network import RouteOption, Snap, StreetGraph, graph_from_streets
from camatlas.route.search import pareto_routes

__all__ = [
    "ExposureResult",
    "RouteOption",
    "Snap",
    "StreetGraph",
    "graph_from_streets",
    "pareto_routes",
    "street_access",
    "track_exposure",
]
