"""What the docstring examples of the package need (``pytest --doctest-modules src``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

collect_ignore = ["src/camatlas/__main__.py"]  # running it would run the command line


@pytest.fixture(scope="session")
def _city_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    import camatlas
    from tests.factories import small_city

    path = tmp_path_factory.mktemp("doctest") / "city.gpkg"
    with camatlas.open_atlas(path) as atlas:
        atlas.import_data(small_city(), sha256="small-city")
    return str(path)


@pytest.fixture(autouse=True)
def _doctest_city(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> None:
    """``city_path``: a fresh copy of a small atlas (15 streets, a building, 3 cameras)."""
    if isinstance(request.node, pytest.DoctestItem):
        import shutil

        source = Path(request.getfixturevalue("_city_path"))
        copy = Path(request.getfixturevalue("tmp_path")) / "city.gpkg"
        shutil.copy(source, copy)
        doctest_namespace["city_path"] = str(copy)
