"""Shared fixtures.

Real data lives in ``../shared/data`` beside the repository (see its
SOURCES.md). Tests that need it use the ``shared_data`` fixture: they skip with
a reason when the folder is absent, and fail when ``CI=true``.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.postgis import PostgresCluster, missing

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("CAMATLAS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of shared real data; skip (or fail in CI) when it is absent."""
    if not (SHARED_DATA / "SOURCES.md").is_file():
        message = f"shared real data not found at {SHARED_DATA}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (required when CI=true)")
        pytest.skip(message)
    return SHARED_DATA


# --- atlas backends ------------------------------------------------------------------
# Store-level tests take ``atlas_url`` (or ``make_atlas_url`` for several atlases)
# and run once per backend: a GeoPackage file in tmp_path, and a fresh schema in a
# throwaway PostgreSQL 15 + PostGIS 3 cluster that the whole session shares.

BACKENDS = ("gpkg", "postgis")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostGIS cluster for the session; skip (or fail in CI) when not installed."""
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (PostGIS tests are required when CI=true)")
        pytest.skip(reason)
    cluster = PostgresCluster.create()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend a parametrized test runs on."""
    return str(request.param)


@pytest.fixture
def make_atlas_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], str]:
    """Makes the location of a new, empty atlas on the test's backend at each call."""
    if backend == "postgis":
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        return lambda: cluster.url(schema=f"t_{uuid.uuid4().hex[:16]}")
    numbers = itertools.count()
    return lambda: str(tmp_path / f"atlas{next(numbers)}.gpkg")


@pytest.fixture
def atlas_url(make_atlas_url: Callable[[], str]) -> str:
    """Where a new atlas goes: a .gpkg path or a postgresql:// URL (one schema per test)."""
    return make_atlas_url()
