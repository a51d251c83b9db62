"""Running the ``camatlas`` command as a user runs it: a real process, its exit code, its output.

Every test that runs the command goes through :func:`run_camatlas` (to its end) or
:func:`start_camatlas` (in the background, for servers and for kills).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent


def command(*args: str | Path) -> list[str]:
    """The command line of ``camatlas ARGS`` in this interpreter."""
    return [sys.executable, "-m", "camatlas", *map(str, args)]


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a camatlas process: wide tables, no HTTP proxy, and ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    return {**env, "COLUMNS": "200", **(extra or {})}


def run_camatlas(
    *args: str | Path,
    check: bool = True,
    cwd: Path = REPO,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m camatlas ARGS`` to its end; with ``check``, fail the test on a non-zero
    exit (showing what the command printed)."""
    proc = subprocess.run(
        command(*args),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=environment(env),
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


def start_camatlas(
    *args: str | Path,
    stdout: int | IO[Any] | None = subprocess.PIPE,
    stderr: int | IO[Any] | None = subprocess.PIPE,
    text: bool = True,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[Any]:
    """Start ``python -m camatlas ARGS`` in the background; the caller waits for or stops it."""
    return subprocess.Popen(
        command(*args),
        stdout=stdout,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        text=text,
        cwd=REPO,
        env=environment({"PYTHONUNBUFFERED": "1", **(env or {})}),
    )
