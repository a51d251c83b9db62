"""The block structure of an OSM PBF file, walked without libosmium.

An OSM PBF file is a sequence of blocks, each a 4-byte big-endian length, a
``BlobHeader`` message of that length and a ``Blob`` of the size the header
gives (https://wiki.openstreetmap.org/wiki/PBF_Format). libosmium reads the
elements; this module reads only the container, so that a refusal can say at
which byte of the file and in which block the damage lies, and so that the
parameters libosmium applies without checking (a block's granularity and
offsets) can be checked first.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_HEADER_SIZE = 64 * 1024
"""Largest BlobHeader the format allows (bytes)."""

MAX_BLOB_SIZE = 32 * 1024 * 1024
"""Largest Blob the format allows (bytes), compressed or not."""


class PbfDamage(Exception):
    """The container of a PBF file is broken at byte ``offset``."""

    def __init__(self, offset: int, block: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.block = block
        self.reason = reason

    def describe(self) -> str:
        """``"block 3 (from byte 1234): <reason>"``."""
        return f"block {self.block} (from byte {self.offset}): {self.reason}"


@dataclass(frozen=True, slots=True)
class Block:
    """One block of the file: where it starts, its type and its payload."""

    number: int
    """1-based position in the file."""
    offset: int
    """Byte offset of the block's length prefix."""
    kind: str
    """``"OSMHeader"`` or ``"OSMData"`` (other types are allowed and skipped)."""
    blob: bytes
    """The ``Blob`` message, still compressed."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("a number runs past the end of its message")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def fields(message: bytes) -> Iterator[tuple[int, int | bytes]]:
    """The ``(field number, value)`` pairs of a protobuf message, in order.

    Varints come as ints and length-delimited fields as bytes; fixed-width
    fields as the raw bytes. Raises ValueError on a malformed message.
    """
    pos = 0
    while pos < len(message):
        key, pos = _varint(message, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(message, pos)
            yield number, value
        elif wire == 2:
            size, pos = _varint(message, pos)
            if pos + size > len(message):
                raise ValueError(f"field {number} runs past the end of its message")
            yield number, message[pos : pos + size]
            pos += size
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if pos + width > len(message):
                raise ValueError(f"field {number} runs past the end of its message")
            yield number, message[pos : pos + width]
            pos += width
        else:
            raise ValueError(f"field {number} has the unknown wire type {wire}")


def blocks(path: Path) -> Iterator[Block]:
    """Walk the blocks of ``path``; raises :class:`PbfDamage` where the container breaks."""
    size_of_file = path.stat().st_size
    with path.open("rb") as handle:
        number, offset = 0, 0
        while True:
            number += 1
            prefix = handle.read(4)
            if not prefix:
                return
            if len(prefix) < 4:
                raise PbfDamage(offset, number, "the file ends inside a block's length")
            (size,) = struct.unpack(">I", prefix)
            if size > MAX_HEADER_SIZE:
                raise PbfDamage(offset, number, f"a block header of {size} bytes (at most 64 KiB)")
            header = handle.read(size)
            if len(header) < size:
                raise PbfDamage(offset, number, "the file ends inside a block header")
            kind, blob_size = "", -1
            try:
                for field_number, value in fields(header):
                    if field_number == 1 and isinstance(value, bytes):
                        kind = value.decode("utf-8", "replace")
                    elif field_number == 3 and isinstance(value, int):
                        blob_size = value
            except ValueError as exc:
                raise PbfDamage(offset, number, f"malformed block header: {exc}") from None
            if not kind or not 0 <= blob_size <= MAX_BLOB_SIZE:
                raise PbfDamage(offset, number, "malformed block header (no type or size)")
            start = offset + 4 + size
            present = min(blob_size, size_of_file - start)
            if present < blob_size:
                raise PbfDamage(
                    offset,
                    number,
                    f"the file ends inside a block: {blob_size} bytes announced, {present} present",
                )
            yield Block(number, offset, kind, handle.read(blob_size))
            offset += 4 + size + blob_size


def payload(block: Block) -> bytes | None:
    """The uncompressed content of a block; None for compressions not checked here.

    Raises :class:`PbfDamage` when the blob is malformed or does not decompress.
    """
    raw: bytes | None = None
    compressed: bytes | None = None
    raw_size = -1
    other = False
    try:
        for number, value in fields(block.blob):
            if number == 1 and isinstance(value, bytes):
                raw = value
            elif number == 2 and isinstance(value, int):
                raw_size = value
            elif number == 3 and isinstance(value, bytes):
                compressed = value
            elif number in (4, 5, 6, 7):  # lzma, bzip2 (obsolete), lz4, zstd
                other = True
    except ValueError as exc:
        raise PbfDamage(block.offset, block.number, f"malformed blob: {exc}") from None
    if raw is not None:
        return raw
    if compressed is None:
        if other:
            return None
        raise PbfDamage(block.offset, block.number, "a blob without data")
    if not 0 <= raw_size <= MAX_BLOB_SIZE:
        raise PbfDamage(block.offset, block.number, f"an uncompressed size of {raw_size} bytes")
    try:
        data = zlib.decompressobj().decompress(compressed, raw_size + 1)
    except zlib.error as exc:
        raise PbfDamage(
            block.offset, block.number, f"the data does not decompress ({exc})"
        ) from None
    if len(data) != raw_size:
        raise PbfDamage(
            block.offset,
            block.number,
            f"the data decompresses to {len(data)} bytes, not the {raw_size} announced",
        )
    return data


@dataclass(frozen=True, slots=True)
class BadCoordinate:
    """A node whose coordinate a PBF block encodes outside the globe."""

    block: Block
    node_id: int
    axis: str
    """``"latitude"`` or ``"longitude"``; ``"granularity"`` for a block that scales by 0."""
    degrees: float

    def describe(self) -> str:
        where = f"block {self.block.number}, which starts at byte {self.block.offset}"
        if self.axis == "granularity":
            return f"a coordinate granularity of 0 in {where}: all its nodes at one place"
        limit = 90 if self.axis == "latitude" else 180
        return f"{self.axis} {self.degrees:.7g} is outside -{limit}..{limit}, in {where}"


_NANO = 1e-9
_LIMITS = {"latitude": 90e9, "longitude": 180e9}  # nanodegrees


def _packed_varints(data: bytes) -> npt.NDArray[np.uint64]:
    """Decode a packed run of varints at once (as uint64), a byte position at a time."""
    raw = np.frombuffer(data, dtype=np.uint8)
    if len(raw) == 0:
        return np.zeros(0, dtype=np.uint64)
    if raw[-1] >= 0x80:
        raise ValueError("a packed number runs past the end of its field")
    ends = np.flatnonzero(raw < 0x80)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    if lengths.max() > 10:
        raise ValueError("a packed number longer than 10 bytes")
    values = (raw[starts] & 0x7F).astype(np.uint64)
    longer = np.flatnonzero(lengths > 1)
    for k in range(1, int(lengths.max())):  # most coordinates take 1 to 4 bytes
        longer = longer[lengths[longer] > k]
        values[longer] |= (raw[starts[longer] + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return values


def _zigzag(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    return (values >> np.uint64(1)).astype(np.int64) ^ -(values & np.uint64(1)).astype(np.int64)


def _signed(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _block_nodes(data: bytes) -> Iterator[tuple[str, Any]]:
    """``("parameters", {17: g, 19: lat0, 20: lon0})`` then ``(kind, group message)``."""
    parameters = {17: 100, 19: 0, 20: 0}
    groups: list[tuple[str, bytes]] = []
    for number, value in fields(data):
        if number in parameters and isinstance(value, int):
            parameters[number] = _signed(value) if number != 17 else value
        elif number == 2 and isinstance(value, bytes):
            for kind_number, group_field in fields(value):
                if kind_number == 1 and isinstance(group_field, bytes):
                    groups.append(("node", group_field))
                elif kind_number == 2 and isinstance(group_field, bytes):
                    groups.append(("dense", group_field))
                elif kind_number in (3, 4, 5):
                    break  # a group holds one kind: ways, relations or changesets
    yield "parameters", parameters
    yield from groups


def _node_coordinates(kind: str, message: bytes) -> tuple[Callable[[], Any], int, Any, Any]:
    """The ids (decoded when asked for), their count, and the raw (unscaled) latitudes
    and longitudes of a node group entry."""
    if kind == "dense":
        ids = b""
        found: dict[int, Any] = {}
        for number, value in fields(message):
            if number == 1 and isinstance(value, bytes):
                ids = value
            elif number in (8, 9) and isinstance(value, bytes):
                # Summed in floating point, where a crafted run of huge deltas
                # cannot wrap around into the globe again.
                found[number] = np.cumsum(_zigzag(_packed_varints(value)).astype(np.float64))
        empty = np.zeros(0, dtype=np.float64)
        count = int(np.count_nonzero(np.frombuffer(ids, dtype=np.uint8) < 0x80))
        return (
            lambda: np.cumsum(_zigzag(_packed_varints(ids))),
            count,
            found.get(8, empty),
            found.get(9, empty),
        )
    node = {1: 0, 8: 0, 9: 0}
    for number, value in fields(message):
        if number in node and isinstance(value, int):
            node[number] = _signed(value)
    return lambda: np.array([node[1]]), 1, np.array([float(node[8])]), np.array([float(node[9])])


READABLE_FEATURES = frozenset(
    {"OsmSchema-V0.6", "DenseNodes", "HistoricalInformation", "LocationsOnWays"}
)
"""The required features of a header block libosmium reads; it refuses any other."""


def _check_header(block: Block, data: bytes) -> None:
    try:
        for number, value in fields(data):
            if number == 4 and isinstance(value, bytes):
                feature = value.decode("utf-8", "replace")
                if feature not in READABLE_FEATURES:
                    raise PbfDamage(
                        block.offset, block.number, f"an unknown required feature {feature[:40]!r}"
                    )
    except ValueError as exc:
        raise PbfDamage(block.offset, block.number, f"malformed header block: {exc}") from None


def check_coordinates(path: Path) -> BadCoordinate | None:
    """The first node of ``path`` placed outside the globe by its block's encoding.

    libosmium computes ``offset + granularity * value`` and narrows it to 32
    bits without checking: a crafted or damaged file overflows into a wrong
    place on the globe, or to (0, 0) with a granularity of 0. This decodes
    every block's coordinates (vectorized) and checks them in floating point,
    where nothing overflows. Raises :class:`PbfDamage` on a malformed block.
    """
    for block in blocks(path):
        expected = "OSMHeader" if block.number == 1 else "OSMData"
        if block.kind != expected:
            raise PbfDamage(
                block.offset, block.number, f"a {block.kind[:20]!r} block where {expected} belongs"
            )
        data = payload(block)
        if data is not None and block.kind == "OSMHeader":
            _check_header(block, data)
        if data is None or block.kind != "OSMData":
            continue
        try:
            parts = _block_nodes(data)
            _, parameters = next(parts)
            granularity, lat0, lon0 = parameters[17], parameters[19], parameters[20]
            for kind, message in parts:
                ids, count, lats, lons = _node_coordinates(kind, message)
                if count == 0:
                    continue
                if granularity == 0:
                    return BadCoordinate(block, int(ids()[0]), "granularity", 0.0)
                for axis, raw, offset in (("latitude", lats, lat0), ("longitude", lons, lon0)):
                    if len(raw) != count:
                        raise ValueError(f"{count} node ids but {len(raw)} {axis}s")
                    nano = offset + granularity * raw
                    outside = np.flatnonzero(np.abs(nano) > _LIMITS[axis])
                    if len(outside):
                        first = outside[0]
                        return BadCoordinate(block, int(ids()[first]), axis, nano[first] * _NANO)
        except ValueError as exc:
            raise PbfDamage(block.offset, block.number, f"malformed data block: {exc}") from None
    return None
