"""OSM files the tests write: the same elements as OSM XML and as PBF (pyosmium's writer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import osmium

from tests.factories import city_node

Tags = dict[str, str]


@dataclass
class OsmData:
    """Elements to write as OSM XML and as PBF: the same content in both."""

    nodes: list[tuple[int, float, float, Tags, str | None]] = field(default_factory=list)
    ways: list[tuple[int, list[int], Tags, str | None]] = field(default_factory=list)
    relations: list[tuple[int, list[tuple[str, int, str]], Tags, str | None]] = field(
        default_factory=list
    )
    bounds: tuple[float, float, float, float] | None = None
    """The box the file's header states (west, south, east, north), if any."""

    def node(
        self, id: int, lon: float, lat: float, tags: Tags | None = None, ts: str | None = None
    ) -> None:
        self.nodes.append((id, lon, lat, tags or {}, ts))

    def way(
        self, id: int, refs: list[int], tags: Tags | None = None, ts: str | None = None
    ) -> None:
        self.ways.append((id, refs, tags or {}, ts))

    def relation(
        self, id: int, members: list[tuple[str, int, str]], tags: Tags, ts: str | None = None
    ) -> None:
        self.relations.append((id, members, tags, ts))

    def square(self, first_id: int, lon: float, lat: float, size: float) -> list[int]:
        """Add the 4 corner nodes of a square; return the closed ring of their ids."""
        corners = [(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)]
        ids = [first_id + i for i in range(4)]
        for node_id, (x, y) in zip(ids, corners, strict=True):
            self.node(node_id, x, y)
        return [*ids, ids[0]]


def _tags_xml(tags: Tags) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())


def _ts_xml(ts: str | None) -> str:
    return f" timestamp={quoteattr(ts)}" if ts else ""


def osm_xml(data: OsmData) -> str:
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6' generator='test'>"]
    if data.bounds is not None:
        west, south, east, north = data.bounds
        lines.append(f"<bounds minlon='{west}' minlat='{south}' maxlon='{east}' maxlat='{north}'/>")
    for node_id, lon, lat, tags, ts in data.nodes:
        lines.append(
            f"<node id='{node_id}' lat='{lat:.7f}' lon='{lon:.7f}'{_ts_xml(ts)}>"
            f"{_tags_xml(tags)}</node>"
        )
    for way_id, refs, tags, ts in data.ways:
        nds = "".join(f"<nd ref='{ref}'/>" for ref in refs)
        lines.append(f"<way id='{way_id}'{_ts_xml(ts)}>{nds}{_tags_xml(tags)}</way>")
    for rel_id, members, tags, ts in data.relations:
        kinds = {"n": "node", "w": "way", "r": "relation"}
        mems = "".join(
            f"<member type='{kinds[t]}' ref='{ref}' role={quoteattr(role)}/>"
            for t, ref, role in members
        )
        lines.append(f"<relation id='{rel_id}'{_ts_xml(ts)}>{mems}{_tags_xml(tags)}</relation>")
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def write_xml(path: Path, data: OsmData) -> Path:
    path.write_text(osm_xml(data), encoding="utf-8")
    return path


def write_pbf(path: Path, data: OsmData) -> Path:
    mutable = osmium.osm.mutable
    header = osmium.io.Header()
    if data.bounds is not None:
        west, south, east, north = data.bounds
        header.add_box(
            osmium.osm.Box(osmium.osm.Location(west, south), osmium.osm.Location(east, north))
        )
    with osmium.SimpleWriter(str(path), header=header) as writer:
        for node_id, lon, lat, tags, ts in data.nodes:
            writer.add_node(mutable.Node(id=node_id, location=(lon, lat), tags=tags, timestamp=ts))
        for way_id, refs, tags, ts in data.ways:
            writer.add_way(mutable.Way(id=way_id, nodes=refs, tags=tags, timestamp=ts))
        for rel_id, members, tags, ts in data.relations:
            writer.add_relation(
                mutable.Relation(id=rel_id, members=members, tags=tags, timestamp=ts)
            )
    return path


def small_city_osm() -> OsmData:
    """The small city of :func:`tests.factories.small_city` as OSM elements: a 5 x 3 grid of
    residential streets, one building and three surveillance nodes."""
    d = OsmData()
    for i in range(5):
        for j in range(3):
            d.node(100 + 10 * i + j, *city_node(i, j))
    way = 1000
    for i in range(5):
        for j in range(3):
            for di, dj in ((1, 0), (0, 1)):
                if i + di > 4 or j + dj > 2:
                    continue
                a, b = 100 + 10 * i + j, 100 + 10 * (i + di) + (j + dj)
                d.way(way, [a, b], {"highway": "residential", "name": f"Rua {a}-{b}"})
                way += 1
    lon, lat = city_node(1, 1)
    d.way(2000, d.square(500, lon + 0.0002, lat + 0.0001, 0.0004), {"building": "yes"})
    camera = {"man_made": "surveillance", "surveillance:type": "camera"}
    d.node(1, lon + 0.0001, lat, {**camera, "camera:type": "dome", "surveillance": "public",
                                  "operator": "City police"})  # fmt: skip
    d.node(2, *city_node(3, 1), {**camera, "camera:type": "fixed", "surveillance": "outdoor",
                                 "camera:direction": "90"})  # fmt: skip
    d.node(3, *city_node(2, 0), {"man_made": "surveillance", "surveillance:type": "ALPR",
                                 "camera:direction": "0"})  # fmt: skip
    return d
