"""Glyphs for the map's labels, made on this server: nothing is fetched at run time.

MapLibre draws text from signed distance fields (SDF) of each glyph, fetched as
protocol-buffer files of 256 code points each (``/glyphs/{fontstack}/{start}-{end}.pbf``,
the format of Mapbox's ``glyphs.proto``). They are made here from Noto Sans (SIL Open
Font License 1.1, vendored from the npm package ``@fontsource/noto-sans``: its Latin,
Latin Extended, Greek and Cyrillic subsets), straight from the vector outlines: each
pixel's value is its distance to the outline, computed with Shapely, so no rasterizer
is needed.

The conventions are those MapLibre expects of such files: glyphs drawn at 24 px, a
border of 3 px around each bitmap, distances scaled so that the outline is at 192 of
255 and 8 px spans the rest. Code points the font lacks are left out (MapLibre draws
nothing for them).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
import shapely.affinity
from shapely.geometry.base import BaseGeometry

__all__ = ["FONT_NAME", "RANGE_SIZE", "glyph_range"]

FONT_NAME = "Noto Sans Regular"
"""The one font stack served; any requested stack is answered with it."""

RANGE_SIZE = 256
"""Code points in one glyph file."""

FONT_SIZE_PX = 24
BORDER_PX = 3
RADIUS_PX = 8.0
CUTOFF = 0.25
CURVE_STEPS = 6
"""Straight segments each outline curve is drawn with (at 24 px, well under a pixel off)."""

_FONT_DIR = Path(__file__).parent / "static" / "vendor" / "noto-sans"
_SUBSETS = ("latin", "latin-ext", "greek", "cyrillic")


@functools.cache
def _fonts() -> dict[int, tuple[Any, str]]:
    """Code point -> (font, glyph name), from the subsets in order (the first one wins)."""
    from fontTools.ttLib import TTFont

    found: dict[int, tuple[Any, str]] = {}
    for subset in _SUBSETS:
        font = TTFont(_FONT_DIR / f"noto-sans-{subset}-400-normal.woff")
        for code, name in font.getBestCmap().items():
            found.setdefault(code, (font, name))
    return found


def _outline(font: Any, name: str) -> BaseGeometry:
    """A glyph's filled area in font units: the contours of the outer orientation joined,
    those of the other orientation cut out (the non-zero rule for non-nested overlaps)."""
    from fontTools.pens.basePen import BasePen

    contours: list[list[tuple[float, float]]] = []

    class Flattening(BasePen):  # type: ignore[misc]
        def _moveTo(self, pt: tuple[float, float]) -> None:
            contours.append([pt])

        def _lineTo(self, pt: tuple[float, float]) -> None:
            contours[-1].append(pt)

        def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
            p0 = contours[-1][-1]
            for t in np.linspace(0, 1, CURVE_STEPS + 1)[1:]:
                u = 1 - t
                contours[-1].append(
                    (
                        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
                    )
                )

        def _qCurveToOne(self, p1: Any, p2: Any) -> None:
            p0 = contours[-1][-1]
            for t in np.linspace(0, 1, CURVE_STEPS + 1)[1:]:
                u = 1 - t
                contours[-1].append(
                    (
                        u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0],
                        u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1],
                    )
                )

    glyph_set = font.getGlyphSet()
    glyph_set[name].draw(Flattening(glyph_set))
    rings = [shapely.Polygon(c) for c in contours if len(c) >= 3]
    if not rings:
        return shapely.Polygon()
    signed = [_signed_area(np.asarray(r.exterior.coords)) for r in rings]
    outer = signed[int(np.argmax(np.abs(signed)))] > 0
    fills = [shapely.make_valid(r) for r, a in zip(rings, signed, strict=True) if (a > 0) == outer]
    holes = [shapely.make_valid(r) for r, a in zip(rings, signed, strict=True) if (a > 0) != outer]
    area = shapely.union_all(fills)
    return shapely.difference(area, shapely.union_all(holes)) if holes else area


def _signed_area(xy: npt.NDArray[np.float64]) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return float(0.5 * (np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])))


def _sdf_glyph(code: int) -> dict[str, Any] | None:
    """One glyph's metrics and SDF bitmap, or None when the font lacks it."""
    entry = _fonts().get(code)
    if entry is None:
        return None
    font, name = entry
    scale = FONT_SIZE_PX / font["head"].unitsPerEm
    advance = round(font["hmtx"][name][0] * scale)
    shape = shapely.affinity.scale(_outline(font, name), scale, scale, origin=(0, 0))
    if shape.is_empty:  # a space: an advance, no bitmap
        return {"id": code, "width": 0, "height": 0, "left": 0, "top": -FONT_SIZE_PX,
                "advance": advance}  # fmt: skip
    west, south, east, north = shape.bounds
    left, bottom = int(np.floor(west)), int(np.floor(south))
    right, top = int(np.ceil(east)), int(np.ceil(north))
    width, height = right - left, top - bottom
    # pixel centres, top row first, with the border around the glyph
    xs = np.arange(left - BORDER_PX, right + BORDER_PX) + 0.5
    ys = np.arange(top + BORDER_PX, bottom - BORDER_PX, -1) - 0.5
    gx, gy = np.meshgrid(xs, ys)
    distance = shapely.distance(shape.boundary, shapely.points(gx.ravel(), gy.ravel()))
    inside = shapely.contains_xy(shape, gx.ravel(), gy.ravel())
    signed = np.where(inside, -distance, distance)
    values = np.clip(np.round(255 - 255 * (signed / RADIUS_PX + CUTOFF)), 0, 255)
    return {
        "id": code,
        "bitmap": values.astype(np.uint8).tobytes(),
        "width": width,
        "height": height,
        "left": left,
        "top": top - FONT_SIZE_PX,
        "advance": advance,
    }


# --- protocol buffers (glyphs.proto) ------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, value: int | bytes, *, signed: bool = False) -> bytes:
    if isinstance(value, bytes):
        return _varint(number << 3 | 2) + _varint(len(value)) + value
    if signed:
        value = (value << 1) ^ (value >> 63)  # zigzag
    return _varint(number << 3) + _varint(value)


def _glyph_message(glyph: dict[str, Any]) -> bytes:
    parts = [_field(1, glyph["id"])]
    if glyph.get("bitmap"):
        parts.append(_field(2, glyph["bitmap"]))
    parts += [
        _field(3, glyph["width"]),
        _field(4, glyph["height"]),
        _field(5, glyph["left"], signed=True),
        _field(6, glyph["top"], signed=True),
        _field(7, glyph["advance"]),
    ]
    return b"".join(parts)


def _glyphs(start: int) -> Iterator[dict[str, Any]]:
    for code in range(start, start + RANGE_SIZE):
        glyph = _sdf_glyph(code)
        if glyph is not None:
            yield glyph


_MAKING = threading.Lock()
"""One range made at a time: fontTools loads a font's tables lazily, not thread-safely."""


def glyph_range(start: int) -> bytes:
    """The glyph file of code points ``start`` .. ``start + 255`` (``start`` a multiple of
    :data:`RANGE_SIZE`), as MapLibre fetches it; made once per process (thread-safe).
    Raises ValueError for any other start."""
    if start < 0 or start % RANGE_SIZE or start > 0xFFFF:
        raise ValueError(f"a glyph range starts at a multiple of {RANGE_SIZE} up to 65280")
    with _MAKING:
        return _glyph_range(start)


@functools.lru_cache(maxsize=64)
def _glyph_range(start: int) -> bytes:
    label = f"{start}-{start + RANGE_SIZE - 1}"
    stack = _field(1, FONT_NAME.encode()) + _field(2, label.encode())
    stack += b"".join(_field(3, _glyph_message(g)) for g in _glyphs(start))
    return _field(1, stack)
