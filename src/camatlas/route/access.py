"""Who may use which street: the access rules of the walk, bike and car profiles.

Highway classes come from :mod:`camatlas.vocab` (:data:`~camatlas.vocab.PROFILE_HIGHWAYS`);
this module reads the access and one-way tags that open or close them.

>>> tags = [{"oneway": "yes"}, {}]
>>> forward, backward, used = street_access(["residential", "footway"], tags, "bike")
>>> forward.tolist(), backward.tolist(), used.tolist()
([True, False], [False, False], [True, False])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from camatlas.geo import BoolArray
from camatlas.tags import parse_tags
from camatlas.vocab import NOT_A_WAY, PROFILE_HIGHWAYS

__all__ = ["PROFILE_ACCESS_KEYS", "parse_tags", "street_access"]

PROFILE_ACCESS_KEYS: dict[str, tuple[str, ...]] = {
    "walk": ("access", "foot"),
    "bike": ("access", "vehicle", "bicycle"),
    "car": ("access", "vehicle", "motor_vehicle", "motorcar"),
}
"""Access keys from the most general to the most specific; the most specific present wins."""

_DENY = frozenset(
    {
        "no",
        "private",
        "agricultural",
        "forestry",
        "use_sidepath",
        "military",
        "delivery",
        "emergency",
        "permit",
    }
)
_ALLOW = frozenset(
    {
        "yes",
        "designated",
        "permissive",
        "destination",
        "customers",
        "official",
        "dismount",
        "public",
    }
)

_FORWARD = frozenset({"yes", "1", "true"})
_BACKWARD = frozenset({"-1", "reverse"})
_TWO_WAY = frozenset({"no", "0", "false"})


def street_access(
    highway: Sequence[str | None],
    tags: Sequence[dict[str, str]],
    profile: str,
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Which streets ``profile`` may use and in which direction.

    Returns ``(forward, backward, used)``: travel along the drawing direction
    allowed, travel against it allowed, and either. Walking ignores one-way
    tags; bike and car respect ``oneway`` (``yes``/``1``/``true``; ``-1`` for
    the reverse direction), the one-way implied by ``junction=roundabout`` or
    ``circular`` and, for cars, by ``highway=motorway``; ``oneway:bicycle=no``
    and ``cycleway=opposite*`` open a one-way street to bikes both ways.
    Ways whose most specific access tag for the profile is ``no``,
    ``private``, ... are left out; an allowing tag (``foot=yes``) lets a
    profile use a kind it would not use by default.
    """
    kinds = PROFILE_HIGHWAYS[profile]
    keys = PROFILE_ACCESS_KEYS[profile]
    n = len(highway)
    forward = np.zeros(n, dtype=bool)
    backward = np.zeros(n, dtype=bool)
    for i, (kind, tag) in enumerate(zip(highway, tags, strict=True)):
        if kind is None or kind in NOT_A_WAY or (tag.get("area") == "yes" and profile == "car"):
            continue
        allowed = kind in kinds
        for key in keys:
            value = tag.get(key)
            if value is None:
                continue
            value = value.split(";")[0].strip().lower()
            if value in _DENY:
                allowed = False
            elif value in _ALLOW:
                allowed = True
        if not allowed:
            continue
        fwd, bwd = True, True
        if profile != "walk":
            fwd, bwd = _direction(kind, tag, profile)
        forward[i], backward[i] = fwd, bwd
    return forward, backward, forward | backward


def _direction(kind: str, tag: dict[str, str], profile: str) -> tuple[bool, bool]:
    oneway = (tag.get("oneway") or "").strip().lower()
    if profile == "bike":
        own = (tag.get("oneway:bicycle") or "").strip().lower()
        if own:
            oneway = own
        elif (tag.get("cycleway") or "").startswith("opposite"):
            oneway = "no"
    if oneway in _FORWARD:
        return True, False
    if oneway in _BACKWARD:
        return False, True
    if oneway in _TWO_WAY:
        return True, True
    implied = tag.get("junction") in ("roundabout", "circular") or (
        profile == "car" and kind == "motorway"
    )
    return True, not implied
