"""Pipelines: the analyses that read an atlas, run the engines and write results back.

Each pipeline reads what it needs through the :class:`~camatlas.atlas.Atlas`
facade, computes with the engines (pure functions on frames:
:mod:`camatlas.views`, :mod:`camatlas.coverage`, :mod:`camatlas.density`,
:mod:`camatlas.route`), writes its result layers with the parameters that made
them, and returns a result object with ``to_dict()`` and GeoDataFrames:

- :mod:`~camatlas.pipelines.sight`: every camera's view and DORI bands
  (:func:`camatlas.sight`);
- :mod:`~camatlas.pipelines.measure`: street coverage, density, by area, blind
  spots, uncertainty (:func:`camatlas.measure`);
- :mod:`~camatlas.pipelines.route`: least-watched routes and the exposure of a
  track (:func:`camatlas.least_watched`, :func:`camatlas.exposure`).

Every place is measured in the UTM zone the atlas gives it
(:meth:`camatlas.atlas.Atlas.zoning`), so a street and the views on it share one
CRS. Sight and measure split a place wider than a zone (a country's network) by
the zones its parts lie in; routes keep it whole, so that a route never stops at
a zone border.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from camatlas.lazy import pd


def json_ready(value: Any) -> Any:
    """``value`` with numpy numbers as Python numbers, NaN and infinities as None, tuples
    as lists and keys as text: what ``json.dumps`` writes as standard JSON."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if value is pd.NA or value is None:
        return None
    return value
