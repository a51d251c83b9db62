"""Running the ``camatlas`` command as a user runs it: a real process, its exit code, its output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_camatlas(
    *args: str | Path, check: bool = True, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m camatlas ARGS``; with ``check``, fail the test on a non-zero exit."""
    proc = subprocess.run(
        [sys.executable, "-m", "camatlas", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc
