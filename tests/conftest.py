"""Shared fixtures.

Real data lives in ``../shared/data`` beside the repository (see its
SOURCES.md). Tests that need it use the ``shared_data`` fixture: they skip with
a reason when the folder is absent, and fail when ``CI=true``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
