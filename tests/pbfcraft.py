"""Hand-made OSM PBF files, for the cases no well-behaved writer produces.

libosmium's writer only writes what is valid; a crafted file needs its own
encoder. This one writes the few protobuf messages of the PBF format
(https://wiki.openstreetmap.org/wiki/PBF_Format) with plain (not dense) nodes,
so that a test can set the block's granularity and offsets, store raw bytes
as tag strings and put any integer in a coordinate.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are sent as 10-byte varints
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _int(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(value)


def _sint(number: int, value: int) -> bytes:
    return _int(number, _zigzag(value))


def _bytes(number: int, value: bytes) -> bytes:
    return _key(number, 2) + _varint(len(value)) + value


def _packed(number: int, values: list[int]) -> bytes:
    return _bytes(number, b"".join(_varint(v) for v in values))


@dataclass
class CraftedBlock:
    """One PrimitiveBlock: raw coordinates in units of ``granularity`` nanodegrees."""

    granularity: int = 100
    lat_offset: int = 0
    lon_offset: int = 0
    nodes: list[tuple[int, int, int, dict[bytes, bytes]]] = field(default_factory=list)
    ways: list[tuple[int, list[int], dict[bytes, bytes]]] = field(default_factory=list)

    def node(
        self, node_id: int, lat: int, lon: int, tags: dict[bytes, bytes] | None = None
    ) -> None:
        self.nodes.append((node_id, lat, lon, tags or {}))

    def way(self, way_id: int, refs: list[int], tags: dict[bytes, bytes] | None = None) -> None:
        self.ways.append((way_id, refs, tags or {}))

    def encode(self) -> bytes:
        strings: list[bytes] = [b""]
        index: dict[bytes, int] = {b"": 0}

        def sid(text: bytes) -> int:
            if text not in index:
                index[text] = len(strings)
                strings.append(text)
            return index[text]

        groups = []
        if self.nodes:
            encoded = b""
            for node_id, lat, lon, tags in self.nodes:
                keys = [sid(k) for k in tags]
                vals = [sid(v) for v in tags.values()]
                body = _sint(1, node_id) + _packed(2, keys) + _packed(3, vals)
                body += _sint(8, lat) + _sint(9, lon)
                encoded += _bytes(1, body)
            groups.append(encoded)
        if self.ways:
            encoded = b""
            for way_id, refs, tags in self.ways:
                keys = [sid(k) for k in tags]
                vals = [sid(v) for v in tags.values()]
                deltas = [ref - prev for ref, prev in zip(refs, [0, *refs[:-1]], strict=True)]
                body = _int(1, way_id) + _packed(2, keys) + _packed(3, vals)
                body += _packed(8, [_zigzag(d) for d in deltas])
                encoded += _bytes(3, body)
            groups.append(encoded)
        table = b"".join(_bytes(1, s) for s in strings)
        block = _bytes(1, table) + b"".join(_bytes(2, g) for g in groups)
        block += _int(17, self.granularity)
        block += _int(19, self.lat_offset) + _int(20, self.lon_offset)
        return block


def _blob(kind: str, payload: bytes) -> bytes:
    blob = _int(2, len(payload)) + _bytes(3, zlib.compress(payload))
    header = _bytes(1, kind.encode()) + _int(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def write_crafted_pbf(path: Path, *blocks: CraftedBlock) -> Path:
    """Write an OSM PBF file holding ``blocks`` after a plain header block."""
    header = _bytes(4, b"OsmSchema-V0.6")
    data = _blob("OSMHeader", header) + b"".join(_blob("OSMData", b.encode()) for b in blocks)
    path.write_bytes(data)
    return path
