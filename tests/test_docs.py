"""The API reference builds from the docstrings without a warning (``make docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_api_reference_builds_without_warnings(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "--keep-going", "-b", "html",
         str(REPO / "docs" / "api"), str(tmp_path / "site")],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "site" / "engines.html").read_text(encoding="utf-8")
    # The engines come first, with their functions' own documentation.
    assert "compute_views" in page and "coverage_of_lines" in page
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert index.index("engines.html") < index.index("pipelines.html")
    pipelines = (tmp_path / "site" / "pipelines.html").read_text(encoding="utf-8")
    assert "Compute the view of every camera of an atlas" in pipelines
