"""Paths people give for outputs: never one of the inputs, nor the atlas.

>>> check_output("report.csv", ["cams.csv"], "--rejected").name
'report.csv'
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from camatlas.errors import InputError

__all__ = ["SIDECARS", "check_output"]

SIDECARS = ("", "-journal", "-wal", "-shm")
"""SQLite's files beside a GeoPackage: writing any of them would damage the atlas."""


def check_output(path: str | Path, protected: Iterable[str | Path], option: str) -> Path:
    """``path`` as a file to write, refused when it is (or is inside) one of ``protected``
    (the input files and the atlas, with the atlas's SQLite sidecar files) or a folder.

    Raises
    ------
    InputError
        Naming the option and the path, before anything is written.
    """
    out = Path(path)
    if out.is_dir():
        raise InputError(f"is a folder: give {option} the path of a file", path=out)
    target = _real(out)
    for given in protected:
        if "://" in str(given):  # a PostgreSQL URL is no file
            continue
        for suffix in SIDECARS:
            other = Path(str(given) + suffix)
            mine = out.exists() and other.exists() and os.path.samefile(out, other)
            inside = other.is_dir() and target.is_relative_to(_real(other))
            if mine or inside or target == _real(other):
                raise InputError(
                    f"{option} would overwrite {other}, which this command reads; "
                    "give it another file",
                    path=out,
                )
    return out


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))
