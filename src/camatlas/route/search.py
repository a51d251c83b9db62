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

import heapq
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from camatlas.geo import BoolArray, FloatArray, IntArray
from camatlas.lazy import csgraph, sp

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
    _, labels = csgraph.connected_components(
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
    _lists: _ArcLists | None = field(init=False, default=None)
    _multi: _Parallel | None = field(init=False, default=None)
    _reverse_lists: _ArcLists | None = field(init=False, default=None)
    _reverse: _Reverse | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        key = self.tail * (self.n_nodes + 1) + self.head
        if len(key) > 1 and bool((key[1:] < key[:-1]).any()):
            order = np.lexsort((self.head, self.tail))
            for name in ("tail", "head", "edge", "forward", "length", "watched"):
                setattr(self, name, getattr(self, name)[order])
            key = key[order]
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

    @property
    def engine(self) -> str:
        """``"scipy"`` or ``"python"``: the Dijkstra a search on this network runs.

        scipy's compiled Dijkstra is the faster search, but importing scipy's sparse
        graphs costs about 0.3 s; a process that has not imported it yet (a command
        answering one route from a stored graph) searches networks of up to
        :data:`PYTHON_ENGINE_MAX_NODES` nodes with the pure-Python Dijkstra instead.
        Both find routes of the same cost.
        """
        if _SCIPY_GRAPHS in sys.modules or self.n_nodes > PYTHON_ENGINE_MAX_NODES:
            return "scipy"
        return "python"

    @property
    def multi(self) -> _Parallel:
        """Which arc of each matrix entry a run uses (made once).

        Between two nodes joined by several arcs (parallel streets), an arc both longer
        and more watched than another is never the cheaper: the entry uses the other.
        The entries left with several arcs (one shorter, one less watched) take the
        cheaper for the weight of each run.
        """
        if self._multi is None:
            best = self.pair_start.copy()
            ends = np.append(self.pair_start[1:], len(self.tail))
            choices: list[list[int]] = []
            pairs: list[int] = []
            for pair in np.flatnonzero(ends - self.pair_start > 1).tolist():
                lo, hi = int(self.pair_start[pair]), int(ends[pair])
                arcs = sorted(range(lo, hi), key=lambda k: (self.length[k], self.watched[k]))
                kept = [arcs[0]]
                for k in arcs[1:]:
                    if self.watched[k] < self.watched[kept[-1]]:
                        kept.append(k)  # longer but less watched: cheaper at some weight
                best[pair] = kept[0]
                if len(kept) > 1:
                    pairs.append(pair)
                    choices.append(kept)
            width = max((len(c) for c in choices), default=1)
            padded = np.array([c + c[:1] * (width - len(c)) for c in choices], dtype=np.int64)
            self._multi = _Parallel.of(
                best, np.asarray(pairs, dtype=np.int64), padded.reshape(len(choices), width), ends
            )
        return self._multi

    @property
    def lists(self) -> _ArcLists:
        """The arcs as Python lists, for the pure-Python Dijkstra (made once)."""
        if self._lists is None:
            self._lists = _ArcLists(
                start=np.searchsorted(self.tail, np.arange(self.n_nodes + 1)).tolist(),
                head=self.head.tolist(),
                length=self.length.tolist(),
                watched=self.watched.tolist(),
            )
        return self._lists

    @property
    def reverse(self) -> _Reverse:
        """The arcs turned round, for searches towards the destination (made once)."""
        if self._reverse is None:
            order = np.lexsort((self.tail, self.head))
            head, tail = self.head[order], self.tail[order]
            length, watched = self.length[order], self.watched[order]
            key = head * (self.n_nodes + 1) + tail
            new = np.ones(len(key), dtype=bool)
            new[1:] = key[1:] != key[:-1]
            starts = np.flatnonzero(new)
            counts = np.bincount(head[starts], minlength=self.n_nodes + 1)
            counts[self.n_nodes] = 2  # the virtual destination's two slots
            index_type = self.indptr.dtype
            self._reverse = _Reverse(
                indptr=np.concatenate(([0], np.cumsum(counts))).astype(index_type),
                indices=np.concatenate((tail[starts], [self.n_nodes, self.n_nodes])).astype(
                    index_type
                ),
                # Parallel arcs: the shortest and the least watched, each a lower bound.
                length=np.minimum.reduceat(length, starts) if len(starts) else length[:0],
                watched=np.minimum.reduceat(watched, starts) if len(starts) else watched[:0],
                order=order,
            )
        return self._reverse

    @property
    def reverse_lists(self) -> _ArcLists:
        """The arcs turned round as Python lists, for the pure-Python Dijkstra (made once)."""
        if self._reverse_lists is None:
            order = self.reverse.order
            head = self.head[order]
            self._reverse_lists = _ArcLists(
                start=np.searchsorted(head, np.arange(self.n_nodes + 1)).tolist(),
                head=self.tail[order].tolist(),  # the arcs' tails are the heads backwards
                length=self.length[order].tolist(),
                watched=self.watched[order].tolist(),
            )
        return self._reverse_lists

    def subnetwork(self, keep: BoolArray) -> tuple[Network, IntArray, IntArray]:
        """The network of the nodes ``keep`` selects and the arcs between them: the new
        network, each old node's new number (-1: left out) and each new arc's old arc."""
        renumber = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int64)
        arcs = np.flatnonzero(keep[self.tail] & keep[self.head]).astype(np.int64)
        sub = Network(
            n_nodes=int(keep.sum()),
            tail=renumber[self.tail[arcs]],
            head=renumber[self.head[arcs]],
            edge=self.edge[arcs],
            forward=self.forward[arcs],
            length=self.length[arcs],
            watched=self.watched[arcs],
            node_xy=None if self.node_xy is None else self.node_xy[keep],
        )
        # Renumbering keeps the order of (tail, head): the new arcs are in the old order,
        # and the arcs between two nodes are all kept or all left out: the subnetwork's
        # choice among parallel arcs is this network's, renumbered.
        if self._multi is not None:
            multi = self._multi
            new_arc = np.full(len(self.tail), -1, dtype=np.int64)
            new_arc[arcs] = np.arange(len(arcs))
            kept_pair = new_arc[self.pair_start] >= 0
            new_pair = np.cumsum(kept_pair) - 1
            kept_rows = kept_pair[multi.pairs]
            sub._multi = _Parallel.of(
                new_arc[multi.best[kept_pair]],
                new_pair[multi.pairs[kept_rows]],
                new_arc[multi.arcs[kept_rows]],
                np.append(sub.pair_start[1:], len(sub.tail)),
            )
        return sub, renumber, arcs

    def search(
        self,
        first: Sequence[Leg],
        last: Sequence[Leg],
        direct: Leg | None,
        *,
        origin_xy: tuple[float, float] | None = None,
        goal_xy: tuple[float, float] | None = None,
        engine: str | None = None,
        exact: bool | None = None,
    ) -> Search:
        return Search(self, first, last, direct, origin_xy=origin_xy, goal_xy=goal_xy,
                      engine=engine, exact=exact)  # fmt: skip


_SCIPY_GRAPHS = "scipy.sparse.csgraph"

PYTHON_ENGINE_MAX_NODES = 30_000
"""Networks up to this many nodes are searched in pure Python while scipy is not loaded."""

POTENTIAL_MAX_NODES = 60_000
"""Networks up to this many nodes are searched with exact potentials (see :class:`Search`)."""

NARROW_SHARE = 0.5
"""A search is cut to the ellipse a route can reach when that leaves at most this share of
the nodes (a smaller cut costs more to make than it saves)."""

_UNREACHABLE = 1e15
"""Potential of a node from which the destination cannot be reached (a finite stand-in for
infinity, so that reduced costs stay numbers)."""


@dataclass(frozen=True, slots=True)
class _Parallel:
    best: IntArray  # per matrix entry, its arc (the shortest of parallel arcs)
    pairs: IntArray  # the entries whose cheaper arc depends on the weight...
    arcs: IntArray  # ... and their arcs, one row each (padded with the first)
    pair_end: IntArray  # per matrix entry, the end of its arcs
    row: IntArray  # per matrix entry, its row in ``arcs`` (-1: not among ``pairs``)

    @classmethod
    def of(cls, best: IntArray, pairs: IntArray, arcs: IntArray, pair_end: IntArray) -> _Parallel:
        row = np.full(len(best), -1, dtype=np.int64)
        row[pairs] = np.arange(len(pairs))
        return cls(best=best, pairs=pairs, arcs=arcs, pair_end=pair_end, row=row)


@dataclass(frozen=True, slots=True)
class _ArcLists:
    start: list[int]  # per node, its first arc (arcs sorted by tail)
    head: list[int]
    length: list[float]
    watched: list[float]


@dataclass(frozen=True, slots=True)
class _Reverse:
    indptr: npt.NDArray[np.integer[Any]]  # CSR by head, one entry per (head, tail) pair
    indices: npt.NDArray[np.integer[Any]]
    length: FloatArray
    watched: FloatArray
    order: IntArray  # the arcs sorted by (head, tail)


def _python_dijkstra(
    lists: _ArcLists,
    weight: float,
    potential: tuple[list[float], list[float]] | None,
    sources: Sequence[tuple[int, float]],
    limit: float,
    targets: dict[int, float] | None = None,
) -> tuple[dict[int, float], dict[int, int]]:
    """Dijkstra from ``sources`` ((node, distance) pairs) over the arcs ``lists``, each
    costing ``length + weight * watched`` reduced by the ``potential`` (the lower bounds
    ``(L, X)`` of the length and watched metres still to go, see :class:`Search`;
    ``None``: no reduction). Nodes farther than ``limit`` are not reached.

    ``targets`` maps nodes to what it costs (reduced) to finish from them: the search
    stops once no unsettled node can finish cheaper than the best finish found, so it
    settles only the nodes nearer than the destination. Returns the distances and
    predecessors of the nodes reached (-1: a source); a distance is exact for every
    node settled, and for every node an optimal finish goes through.
    """
    start, neighbour, length, watched = lists.start, lists.head, lists.length, lists.watched
    dist: dict[int, float] = {}
    pred: dict[int, int] = {}
    heap: list[tuple[float, int]] = []
    for node, d in sources:
        if d <= limit and d < dist.get(node, math.inf):
            dist[node] = d
            pred[node] = -1
            heapq.heappush(heap, (d, node))
    finish = targets or {}
    best = limit
    for node, d in dist.items():
        if node in finish:
            best = min(best, d + finish[node])
    done: set[int] = set()
    pop, push, inf = heapq.heappop, heapq.heappush, math.inf
    if potential is None:
        zero = [0.0] * (len(start) - 1)
        potential = (zero, zero)
    hl, hw = potential
    while heap:
        d, u = pop(heap)
        if d > best:
            break  # nothing left can finish cheaper than the best finish found
        if u in done:
            continue
        done.add(u)
        hu = hl[u] + weight * hw[u]
        for k in range(start[u], start[u + 1]):
            v = neighbour[k]
            reduced = length[k] + weight * watched[k] + hl[v] + weight * hw[v] - hu
            nd = d + reduced if reduced > 0.0 else d  # 0: rounding of the bounds
            if nd <= best and nd < dist.get(v, inf):
                dist[v] = nd
                pred[v] = u
                push(heap, (nd, v))
                if v in finish and nd + finish[v] < best:
                    best = nd + finish[v]
    return dist, pred


class Search:
    """Runs of Dijkstra from one origin to one destination under changing weights.

    Every run is goal-directed (A*): each arc's cost is reduced by what it gains
    on a lower bound ``h`` of the cost still to go, ``cost(u, v) - h(u) + h(v)``,
    never negative because ``h`` is consistent, and Dijkstra on the reduced
    costs is A*: a search bounded by a cost ``c`` visits only the nodes ``x``
    with ``d(x) + h(x) <= c``. Two bounds are used:

    - the **straight line** to the goal (never longer than a street), from the
      start;
    - **exact potentials** (``exact=True``, or after :meth:`narrow`): two searches
      backwards from the destination give every node's shortest length ``L(x)``
      and least watched metres ``X(x)`` still to go, and a run of weight ``w``
      uses ``h = L + w X``, a lower bound of ``length + w watched`` that is tight
      where the shortest and the least watched ways agree, so a run settles a
      few hundred nodes instead of thousands (measured on Porto: 370 against
      2,350 at the median).

    Runs use scipy's compiled Dijkstra or a pure-Python one
    (:attr:`Network.engine`); both give routes of the same cost. ``engine`` and
    ``exact`` choose instead of the defaults.
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
        engine: str | None = None,
        exact: bool | None = None,
    ) -> None:
        self.net = net
        self.first = list(first)
        self.last = list(last)
        self._given_legs = [*self.first, *self.last]
        self.direct = direct
        self.origin_xy, self.goal_xy = origin_xy, goal_xy
        self.engine = engine or net.engine
        if self.engine not in ("scipy", "python"):
            raise ValueError(f"unknown search engine {self.engine!r}")
        self.runs = 0
        self.narrowed = False
        self.parent_arc: IntArray | None = None  # arcs of self.net -> arcs of the network given
        self._prepare(exact=bool(exact))

    def narrow(self, bound_m: float) -> None:
        """From now on search only what a route of at most ``bound_m`` metres can reach.

        A node ``x`` on such a route has ``|o x| + |x t| <= bound_m`` (the straight
        lines to the origin and the destination points): when the nodes' coordinates
        are known and that ellipse holds at most :data:`NARROW_SHARE` of them, the
        network is cut to it and searched with exact potentials (up to
        :data:`POTENTIAL_MAX_NODES` nodes); otherwise scipy's search goes on as it
        was (the two searches of the potentials would cost it more than they save),
        and the pure-Python one takes the exact potentials on the whole network. Every
        route of at most ``bound_m`` metres is still found, with the same cost.
        """
        if self.narrowed:
            return
        self.narrowed = True
        net = self.net
        xy, o, t = net.node_xy, self.origin_xy, self.goal_xy
        if xy is not None and o is not None and t is not None and math.isfinite(bound_m):
            reach = np.hypot(xy[:, 0] - o[0], xy[:, 1] - o[1]) + np.hypot(
                xy[:, 0] - t[0], xy[:, 1] - t[1]
            )
            keep = reach <= bound_m * (1 + 1e-9) + 1e-6
            if keep.mean() <= NARROW_SHARE:
                sub, renumber, arcs = net.subnetwork(keep)
                self.first = [replace(g, node=int(renumber[g.node])) for g in self.first
                              if keep[g.node]]  # fmt: skip
                self.last = [replace(g, node=int(renumber[g.node])) for g in self.last
                             if keep[g.node]]  # fmt: skip
                self.parent_arc = arcs if self.parent_arc is None else self.parent_arc[arcs]
                self.net = sub
                self._prepare(exact=self.net.n_nodes <= POTENTIAL_MAX_NODES)
                return
        if self.engine == "python" and not self.exact:
            # In pure Python a run costs per node visited: the two backward searches of the
            # potentials pay for themselves in the first run they save.
            self._prepare(exact=self.net.n_nodes <= POTENTIAL_MAX_NODES)

    def _prepare(self, *, exact: bool) -> None:
        """The bounds of the cost still to go, and the arrays every run fills."""
        net = self.net
        n = net.n_nodes
        self.h_length = np.zeros(n)
        self.h_watched = np.zeros(n)
        self.exact = exact and bool(self.last)
        if self.exact:
            self.h_length = self._potential(watched=False)
            self.h_watched = self._potential(watched=True)
        self._origin_chord = 0.0
        o, t = self.origin_xy, self.goal_xy
        if not self.exact and net.node_xy is not None and o is not None and t is not None:
            self.h_length = np.hypot(net.node_xy[:, 0] - t[0], net.node_xy[:, 1] - t[1])
            self._origin_chord = math.hypot(o[0] - t[0], o[1] - t[1])
        if self.engine == "scipy":
            self.indices = net.indices.copy()
            for slot, leg in enumerate(self.first[:2]):
                self.indices[-2 + slot] = leg.node
            self.data = np.empty(len(self.indices), dtype=np.float64)
            self.matrix = sp.csr_matrix(
                (self.data, self.indices, net.indptr), shape=(n + 1, n + 1), copy=False
            )
            heads = net.indices[:-2]
            shift_length = self.h_length[heads] - self.h_length[net.pair_tail]
            shift_watched = self.h_watched[heads] - self.h_watched[net.pair_tail]
            # Reduced costs of a run of weight w: base_length + w * base_watched, but for
            # the pairs of parallel arcs, whose cheaper arc depends on w.
            multi = net.multi
            self.base_length = net.length[multi.best] + shift_length
            self.base_watched = net.watched[multi.best] + shift_watched
            self.multi_length = net.length[multi.arcs]
            self.multi_watched = net.watched[multi.arcs]
            self.multi_shift_length = shift_length[multi.pairs]
            self.multi_shift_watched = shift_watched[multi.pairs]
        else:
            self._h_length = self.h_length.tolist()
            self._h_watched = self.h_watched.tolist()

    def _potential(self, *, watched: bool) -> FloatArray:
        """Per node, the least length (or watched metres) still to go to the destination:
        one search backwards from it."""
        net = self.net
        n = net.n_nodes
        rev = net.reverse
        legs = self.last[:2]
        which = [leg.watched_m if watched else leg.length_m for leg in legs]
        out = np.full(n, _UNREACHABLE)
        if self.engine == "scipy":
            pair_cost = rev.watched if watched else rev.length
            indices = rev.indices.copy()
            data = np.zeros(len(indices))
            data[:-2] = pair_cost
            for slot, (leg, cost) in enumerate(zip(legs, which, strict=True)):
                indices[-2 + slot] = leg.node
                data[-2 + slot] = cost
            matrix = sp.csr_matrix((data, indices, rev.indptr), shape=(n + 1, n + 1), copy=False)
            dist = csgraph.dijkstra(matrix, directed=True, indices=n)[:n]
            reached = np.isfinite(dist)
            out[reached] = dist[reached]
            return out
        lists = net.reverse_lists
        # Weight 0 searches on the first cost alone: lengths, or watched metres put first.
        single = replace(lists, length=lists.watched, watched=lists.length) if watched else lists
        found, _ = _python_dijkstra(
            single,
            0.0,
            None,
            [(leg.node, cost) for leg, cost in zip(legs, which, strict=True)],
            math.inf,
        )
        if found:
            nodes = np.fromiter(found.keys(), dtype=np.int64, count=len(found))
            out[nodes] = np.fromiter(found.values(), dtype=np.float64, count=len(found))
        return out

    def _h_origin(self, weight: float) -> float:
        """The bound of the cost from the origin: the least over its first legs."""
        if not self.exact:
            return self._origin_chord
        best = math.inf
        for leg in self.first[:2]:
            cost = leg.length_m + weight * leg.watched_m
            best = min(best, cost + self.h_length[leg.node] + weight * self.h_watched[leg.node])
        return best if math.isfinite(best) else 0.0

    def run(self, weight: float, limit: float = math.inf) -> Found | None:
        """The route of least ``length + weight * watched`` (None when none within ``limit``)."""
        self.runs += 1
        best: Found | None = None
        best_cost = math.inf
        if self.direct is not None:
            best_cost = self.direct.length_m + weight * self.direct.watched_m
            best = Found(
                self.direct.length_m, self.direct.watched_m, (), None, None, self.direct, weight
            )
        if not self.last or not self.first:
            return best if best_cost <= limit else None
        h_origin = self._h_origin(weight)
        if limit < h_origin - 1e-12 * max(1.0, h_origin):
            # Every way through the network costs at least h_origin: none is within the limit.
            return best if best_cost <= limit else None
        reduced_limit = max(limit - h_origin, 0.0)
        if self.engine == "scipy":
            reached, pred = self._run_scipy(weight, h_origin, reduced_limit)
        else:
            reached, pred = self._run_python(weight, h_origin, reduced_limit)
        choice = None
        for leg in self.last:
            at = reached(leg.node)
            if not math.isfinite(at):
                continue
            h_leg = self.h_length[leg.node] + weight * self.h_watched[leg.node]
            cost = at + h_origin - h_leg + leg.length_m + weight * leg.watched_m
            if cost < best_cost:
                best_cost, choice = cost, leg
        if choice is None:
            return best if best_cost <= limit else None
        return self._trace(pred, choice, weight)

    def _run_scipy(
        self, weight: float, h_origin: float, reduced_limit: float
    ) -> tuple[Callable[[int], float], Callable[[int], int]]:
        net = self.net
        data = self.matrix.data
        costs = data[:-2]
        np.multiply(self.base_watched, weight, out=costs)
        costs += self.base_length
        multi = net.multi
        if len(multi.pairs):
            cheaper = (self.multi_length + weight * self.multi_watched).min(axis=1)
            cheaper += self.multi_shift_length + weight * self.multi_shift_watched
            costs[multi.pairs] = cheaper
        np.maximum(costs, 0.0, out=costs)  # 0: rounding of the bounds
        # Unused slots point at the origin itself: a loop that never helps.
        data[-2:] = 0.0
        for slot, leg in enumerate(self.first[:2]):
            h_leg = self.h_length[leg.node] + weight * self.h_watched[leg.node]
            data[-2 + slot] = max(leg.length_m + weight * leg.watched_m + h_leg - h_origin, 0.0)
        dist, pred = csgraph.dijkstra(
            self.matrix,
            directed=True,
            indices=net.n_nodes,
            return_predecessors=True,
            limit=reduced_limit,
        )
        return dist.item, pred.item

    def _run_python(
        self, weight: float, h_origin: float, reduced_limit: float
    ) -> tuple[Callable[[int], float], Callable[[int], int]]:
        lists = self.net.lists
        hl, hw = self._h_length, self._h_watched
        sources = []
        for leg in self.first[:2]:
            h_leg = hl[leg.node] + weight * hw[leg.node]
            sources.append(
                (leg.node, max(leg.length_m + weight * leg.watched_m + h_leg - h_origin, 0.0))
            )
        # What finishing from a last leg's node costs, reduced (never below 0: the bounds
        # never exceed the leg); the search stops once nothing can finish cheaper.
        targets: dict[int, float] = {}
        for leg in self.last:
            h_leg = hl[leg.node] + weight * hw[leg.node]
            finish = max(leg.length_m + weight * leg.watched_m - h_leg, 0.0)
            targets[leg.node] = min(finish, targets.get(leg.node, math.inf))
        dist, pred = _python_dijkstra(lists, weight, (hl, hw), sources, reduced_limit, targets)
        origin = self.net.n_nodes
        return (lambda node: dist.get(node, math.inf)), (
            lambda node: origin if pred.get(node, -9999) == -1 else pred.get(node, -9999)
        )

    def _trace(self, pred: Callable[[int], int], last: Leg, weight: float) -> Found:
        net = self.net
        origin = net.n_nodes
        path = [last.node]
        while True:
            before = pred(path[-1])
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
            # Parallel arcs: the one the run took, the cheaper at its weight.
            multi = net.multi
            arcs = multi.best[pair]
            row = multi.row[pair]
            some = np.flatnonzero(row >= 0)
            if len(some):
                options = multi.arcs[row[some]]
                costs = net.length[options] + weight * net.watched[options]
                arcs[some] = options[np.arange(len(some)), np.argmin(costs, axis=1)]
        length = first.length_m + float(net.length[arcs].sum()) + last.length_m
        watched = first.watched_m + float(net.watched[arcs].sum()) + last.watched_m
        if self.parent_arc is not None:
            arcs = self.parent_arc[arcs]
            first, last = self._parent_leg(first), self._parent_leg(last)
        return Found(length, watched, tuple(arcs.tolist()), first, last, None, weight)

    def _parent_leg(self, leg: Leg) -> Leg:
        for given in self._given_legs:
            if (given.edge, given.start_m, given.end_m, given.forward) == (
                leg.edge, leg.start_m, leg.end_m, leg.forward
            ):  # fmt: skip
                return given
        return leg


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
    narrow: bool = True,
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
    the run is repeated without a bound. Once the least-watched route is known,
    no route still to find is longer, so the search is narrowed to what such a
    route can reach (:meth:`Search.narrow`; ``narrow=False`` searches on as it began).
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
            if narrow:
                # Every route still to find is no longer than the least watched one.
                search.narrow(least.length_m)
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
