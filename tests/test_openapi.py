"""Schemathesis against a real ``camatlas serve``: every request its OpenAPI document allows,
and many it does not, answered as documented and never with a server error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.webserver import make_web_atlas, running_server

CONFIG = Path(__file__).with_name("schemathesis.toml")

EXAMPLES = int(os.environ.get("CAMATLAS_API_EXAMPLES", "25"))
"""Examples per operation and phase: a bounded run here, a long one in ``make fuzz``."""

SEED = os.environ.get("CAMATLAS_API_SEED", "1")
"""A fixed seed makes a failure here reproducible; ``make fuzz`` draws a new one."""


@pytest.mark.slow
def test_every_operation_answers_as_its_openapi_document_says(tmp_path: Path) -> None:
    atlas = make_web_atlas(tmp_path / "atlas.gpkg")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with running_server(atlas, tmp_path / "server.log") as server:
        document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
        operations = sum(
            method in ("get", "post", "put", "patch", "delete")
            for path in document["paths"].values()
            for method in path
        )
        seed = ["--seed", SEED] if SEED else []
        run = subprocess.run(
            [
                schemathesis, "--no-color", "--config-file", CONFIG,
                "run", f"{server.url}/openapi.json",
                "--checks", "all", "--max-examples", str(EXAMPLES), "--workers", "1", *seed,
            ],
            capture_output=True, text=True, timeout=1200, check=False, cwd=tmp_path,
        )  # fmt: skip
        log = server.log()
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert f"Tested: {operations}" in run.stdout, report  # every operation, none skipped
    assert "passed" in run.stdout and "failed" not in run.stdout, report
    assert "Traceback" not in log and " 500 " not in log, log[-4000:]
    assert operations >= 12, json.dumps(list(document["paths"]))
