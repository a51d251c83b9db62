"""Shortest paths on a street network under changing weights, and the Pareto routes.

The routing network is a compressed sparse row (CSR) matrix searched with
:func:`scipy.sparse.csgraph.dijkstra` (:class:`Network`, :class:`Search`);
:func:`pareto_routes` finds the supported Pareto routes between length and
exposure; :func:`kept_components` says which connected parts of a network are
worth keeping.

Why scipy's csgraph rather than igraph or rustworkx: a route query runs Dijkstra
once per trade-off weight, each time with new edge weights. csgraph takes the
weights as a numpy array that is part of the CSR matrix, so a new weighting
costs one numpy expression; igraph converts a weight sequence element by
element and builds an adjacency list on every call (about 0.1 s per call on a
2-million-arc grid before searching), and rustworkx calls back into Python for
each edge weight. csgraph's ``limit`` stops a search at a known cost bound,
which the Pareto search always has after its first two runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from camatlas.geo import BoolArray, FloatArray, IntArray

__all__ = [
    "LEAST_WEIGHT",
    "MIN_COMPONENT_NODES",
    "MIN_COMPONENT_SHARE",
    "MOST_WEIGHT",
    "Found",
    "Leg",
    "Network",
    "Search",
    "kept_components",
    "pareto_routes",
]

MIN_COMPONENT_NODES = 50
"""A connected part of the network with fewer nodes is an island and is left out..."""

MIN_COMPONENT_SHARE = 0.01
"""... as is one with fewer nodes than this share of the largest part."""


def kept_components(n_nodes: int, tail: IntArray, head: IntArray, *, strong: bool) -> IntArray:
    """Per node, the number of its kept connected component, or -1 when left out.

    Components are strongly connected for directed travel (``strong``), weakly
    otherwise. The largest is always kept, and so is every other component
    with at least ``max(MIN_COMPONENT_NODES, MIN_COMPONENT_SHARE * largest)``
    nodes; smaller ones are islands (a courtyard path, a cut-off piece of an
    extract) and are left out. Kept components are numbered from 0, largest first.
    """
    if n_nodes == 0:
        return np.zeros(0, dtype=np.int64)
    graph = sp.csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(
        graph, directed=True, connection="strong" if strong else "weak"
    )
    sizes = np.bincount(labels)
    largest = int(sizes.max())
    floor = max(MIN_COMPONENT_NODES, MIN_COMPONENT_SHARE * largest)
    keep = sizes >= floor
    keep[int(sizes.argmax())] = True
    order = np.flatnonzero(keep)[np.argsort(-sizes[keep], kind="stable")]
    number = np.full(len(sizes), -1, dtype=np.int64)
    number[order] = np.arange(len(order))
    out: IntArray = number[labels]
    return out


def largest_component(n_nodes: int, tail: IntArray, head: IntArray, *, strong: bool) -> BoolArray:
    """Nodes of the largest (strongly, for directed travel) connected component."""
    keep: BoolArray = kept_components(n_nodes, tail, head, strong=strong) == 0
    return keep


@dataclass(frozen=True, slots=True)
class Leg:
    """A piece of travel to or from a point on an edge: to ``node``, costing length and exposure."""

    node: int
    length_m: float
    watched_m: float
    edge: int
    start_m: float  # along the edge, in the direction of travel's edge geometry
    end_m: float
    forward: bool


@dataclass(slots=True)
class Found:
    """One route found by a search run."""

    length_m: float
    watched_m: float
    arcs: tuple[int, ...]  # arcs travelled in full, in order
    first: Leg | None  # from the origin to the first node (None: direct)
    last: Leg | None  # from the last node to the destination (None: direct)
    direct: Leg | None  # origin and destination on one edge, travelled along it
    weight: float = 0.0  # the trade-off weight that found it

    def key(self) -> tuple[Any, ...]:
        return (self.arcs, self.first, self.last, self.direct)


@dataclass(slots=True)
class Network:
    """The arcs of a street graph as a CSR matrix, one row per node plus a virtual origin.

    Arcs between the same two nodes (parallel streets) share one matrix entry
    holding the cheaper of them for the weight of the run. With ``node_xy``
    (metric coordinates of the nodes, and arc lengths never shorter than the
    straight line between their nodes), searches are goal-directed (A*).
    """

    n_nodes: int
    tail: IntArray  # per arc, sorted by (tail, head)
    head: IntArray
    edge: IntArray  # edge each arc travels
    forward: BoolArray  # along the edge's drawing direction
    length: FloatArray
    watched: FloatArray
    node_xy: FloatArray | None = None
    indptr: npt.NDArray[np.integer[Any]] = field(init=False)
    indices: npt.NDArray[np.integer[Any]] = field(init=False)
    pair_start: IntArray = field(init=False)  # first arc of each matrix entry
    pair_key: IntArray = field(init=False)
    pair_tail: IntArray = field(init=False)

    def __post_init__(self) -> None:
        order = np.lexsort((self.head, self.tail))
        for name in ("tail", "head", "edge", "forward", "length", "watched"):
            setattr(self, name, getattr(self, name)[order])
        key = self.tail * (self.n_nodes + 1) + self.head
        new = np.ones(len(key), dtype=bool)
        new[1:] = key[1:] != key[:-1]
        self.pair_start = np.flatnonzero(new).astype(np.int64)
        self.pair_key = key[self.pair_start]
        self.pair_tail = pair_tail = self.tail[self.pair_start]
        # The virtual origin is row n_nodes with two slots at the very end.
        counts = np.bincount(pair_tail, minlength=self.n_nodes + 1)
        counts[self.n_nodes] = 2
        # scipy's csgraph works on 32-bit indices: keep them so, not cast on every run.
        index_type = np.int32 if len(self.tail) + 2 < 2**31 else np.int64
        self.indptr = np.concatenate(([0], np.cumsum(counts))).astype(index_type)
        self.indices = np.concatenate(
            (self.head[self.pair_start], [self.n_nodes, self.n_nodes])
        ).astype(index_type)

    @property
    def parallel(self) -> bool:
        return len(self.pair_start) < len(self.tail)

    def search(
        self,
        first: Sequence[Leg],
        last: Sequence[Leg],
        direct: Leg | None,
        *,
        origin_xy: tuple[float, float] | None = None,
        goal_xy: tuple[float, float] | None = None,
    ) -> Search:
        return Search(self, first, last, direct, origin_xy=origin_xy, goal_xy=goal_xy)


class Search:
    """Runs of Dijkstra from one origin to one destination under changing weights.

    Goal-directed when the network knows its node coordinates and the origin
    and goal points are given: every arc's cost is reduced by the straight-line
    distance to the goal that it gains, ``cost(u, v) - h(u) + h(v)``, which is
    never negative because a street is never shorter than the straight line
    and the weights only add to the length. Dijkstra on the reduced costs is
    A*: a search bounded by a cost ``c`` visits only the nodes ``x`` with
    ``d(x) + h(x) <= c``, an ellipse round the origin and the goal rather than
    a disc round the origin.
    """

    def __init__(
        self,
        net: Network,
        first: Sequence[Leg],
        last: Sequence[Leg],
        direct: Leg | None,
        *,
        origin_xy: tuple[float, float] | None = None,
        goal_xy: tuple[float, float] | None = None,
    ) -> None:
        self.net = net
        self.first = list(first)
        self.last = list(last)
        self.direct = direct
        self.indices = net.indices.copy()
        for slot, leg in enumerate(self.first[:2]):
            self.indices[-2 + slot] = leg.node
        self.data = np.empty(len(self.indices), dtype=np.float64)
        self.matrix = sp.csr_matrix(
            (self.data, self.indices, net.indptr),
            shape=(net.n_nodes + 1, net.n_nodes + 1),
            copy=False,
        )
        self.runs = 0
        self.h = np.zeros(net.n_nodes + 1)
        if net.node_xy is not None and origin_xy is not None and goal_xy is not None:
            self.h[:-1] = np.hypot(net.node_xy[:, 0] - goal_xy[0], net.node_xy[:, 1] - goal_xy[1])
            self.h[-1] = math.hypot(origin_xy[0] - goal_xy[0], origin_xy[1] - goal_xy[1])
        if net.node_xy is not None and origin_xy is not None and goal_xy is not None:
            self.shift = self.h[net.indices[:-2]] - self.h[net.pair_tail]
        else:
            self.shift = np.zeros(len(net.pair_start))
        if net.parallel:
            self.buffer = np.empty(len(net.tail))
        else:
            # One arc per matrix entry: the length part of every run's costs is fixed.
            self.base = np.maximum(net.length + self.shift, 0.0)  # 0: rounding of the shift

    def run(self, weight: float, limit: float = math.inf) -> Found | None:
        """The route of least ``length + weight * watched`` (None when none within ``limit``)."""
        net = self.net
        self.runs += 1
        data = self.matrix.data
        costs = data[:-2]
        if net.parallel:
            np.multiply(net.watched, weight, out=self.buffer)
            self.buffer += net.length
            np.minimum.reduceat(self.buffer, net.pair_start, out=costs)
            costs += self.shift
            np.maximum(costs, 0.0, out=costs)
        else:
            np.multiply(net.watched, weight, out=costs)
            costs += self.base
        # Unused slots point at the origin itself: a loop that never helps.
        data[-2:] = 0.0
        for slot, leg in enumerate(self.first[:2]):
            reduced = leg.length_m + weight * leg.watched_m + self.h[leg.node] - self.h[-1]
            data[-2 + slot] = max(reduced, 0.0)
        best: Found | None = None
        best_cost = math.inf
        if self.direct is not None:
            best_cost = self.direct.length_m + weight * self.direct.watched_m
            best = Found(
                self.direct.length_m, self.direct.watched_m, (), None, None, self.direct, weight
            )
        if not self.last or not self.first:
            return best if best_cost <= limit else None
        dist, pred = dijkstra(
            self.matrix,
            directed=True,
            indices=net.n_nodes,
            return_predecessors=True,
            limit=max(limit - self.h[-1], 0.0),
        )
        choice = None
        for leg in self.last:
            reached = float(dist[leg.node]) + self.h[-1] - self.h[leg.node]
            cost = reached + leg.length_m + weight * leg.watched_m
            if cost < best_cost:
                best_cost, choice = cost, leg
        if choice is None:
            return best if best_cost <= limit else None
        return self._trace(pred, choice, weight)

    def _trace(self, pred: npt.NDArray[np.int32], last: Leg, weight: float) -> Found:
        net = self.net
        origin = net.n_nodes
        path = [last.node]
        while True:
            before = int(pred[path[-1]])
            if before == origin or before < 0:
                break
            path.append(before)
        path.reverse()
        # The first leg is the slot into the path's first node with the lower cost.
        legs = [leg for leg in self.first[:2] if leg.node == path[0]]
        first = min(legs, key=lambda leg: leg.length_m + weight * leg.watched_m)
        nodes = np.asarray(path, dtype=np.int64)
        keys = nodes[:-1] * (net.n_nodes + 1) + nodes[1:]
        pair = np.searchsorted(net.pair_key, keys)
        arcs = net.pair_start[pair]
        if net.parallel:
            ends = np.append(net.pair_start[1:], len(net.tail))[pair]
            for i in np.flatnonzero(ends - arcs > 1).tolist():
                lo, hi = int(arcs[i]), int(ends[i])
                costs = net.length[lo:hi] + weight * net.watched[lo:hi]
                arcs[i] = lo + int(np.argmin(costs))
        length = first.length_m + float(net.length[arcs].sum()) + last.length_m
        watched = first.watched_m + float(net.watched[arcs].sum()) + last.watched_m
        return Found(length, watched, tuple(arcs.tolist()), first, last, None, weight)


LEAST_WEIGHT = 1e-6
"""Trade-off weight of the shortest route: breaks ties in length by exposure."""

MOST_WEIGHT = 1e6
"""Trade-off weight of the least-watched route: a watched metre outweighs 1,000 km."""


def pareto_routes(
    search: Search,
    *,
    max_detour: float | None = None,
    max_runs: int = 24,
    first_limit: float = math.inf,
) -> list[Found]:
    """Supported Pareto routes between length and metres in view, shortest first.

    Dichotomic (Aneja-Nair) search over the weighted sum ``length + w *
    watched``: the shortest route (``w`` near 0) and the least watched (``w``
    very large) are found first; between two routes A and B found, the weight
    at which both cost the same, ``w = (len_B - len_A) / (watched_A -
    watched_B)``, gives a third route strictly cheaper than both at that weight
    if one exists, and the search recurses on both sides. It finds every route
    on the lower convex hull of (length, watched) in at most ``2k - 1`` runs for
    ``k`` routes; each run after the first stops at the cost of a route already
    known. Routes longer than ``(1 + max_detour)`` times the shortest are left
    out (and not searched for). ``first_limit`` bounds the first run (a guess
    such as twice the straight-line distance); when no route lies within it,
    the run is repeated without a bound.
    """
    shortest = search.run(LEAST_WEIGHT, first_limit)
    if shortest is None and math.isfinite(first_limit):
        shortest = search.run(LEAST_WEIGHT)
    if shortest is None:
        return []
    found = {shortest.key(): shortest}
    limit_m = math.inf if max_detour is None else shortest.length_m * (1 + max_detour)
    if shortest.watched_m > 1e-9:
        bound = shortest.length_m + MOST_WEIGHT * shortest.watched_m
        least = search.run(MOST_WEIGHT, bound * (1 + 1e-9))
        if least is not None and least.key() not in found:
            found[least.key()] = least
            pending = [(shortest, least)]
            while pending and search.runs < max_runs:
                a, b = pending.pop()
                if a.length_m > limit_m:
                    continue
                gain = a.watched_m - b.watched_m
                cost = b.length_m - a.length_m
                if gain <= 1e-9 or cost <= 1e-9:
                    continue
                weight = cost / gain
                level = a.length_m + weight * a.watched_m
                c = search.run(weight, level * (1 + 1e-9) + 1e-9)
                if c is None or c.key() in found:
                    continue
                if c.length_m + weight * c.watched_m < level - 1e-9 * max(1.0, level):
                    found[c.key()] = c
                    pending.extend([(c, b), (a, c)])
    routes = sorted(found.values(), key=lambda r: (r.length_m, r.watched_m))
    kept: list[Found] = []
    for route in routes:
        if route.length_m > limit_m * (1 + 1e-12):
            break
        if kept and route.watched_m >= kept[-1].watched_m - 1e-9:
            continue  # dominated (or a copy): as long and no less watched
        kept.append(route)
    return kept
