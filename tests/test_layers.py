"""The house's layering: data flows one way, and nothing imports upward or in a circle.

The contracts are import-linter's, in pyproject.toml (``make lint`` runs them too); these
tests run them in CI, show that they catch an upward import, and look for import circles.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx
import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter with the repository's contracts on the package in ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def lint_tool() -> Path:
    if not LINT_IMPORTS.exists():
        pytest.fail(f"import-linter is not installed beside {sys.executable} (make setup)")
    return LINT_IMPORTS


def test_the_layer_contracts_are_kept(lint_tool: Path) -> None:
    proc = lint_imports(REPO / "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("records.py", "from camatlas.pipelines import sight"),  # the ground floor reaching up
        ("views.py", "from camatlas.atlas import open_atlas"),  # an engine reading an atlas
        ("web/routers/layers.py", "from camatlas.store import open_store"),  # past the facade
    ],
)
def test_an_upward_import_breaks_the_build(
    lint_tool: Path, tmp_path: Path, module: str, upward: str
) -> None:
    src = tmp_path / "src"
    shutil.copytree(REPO / "src" / "camatlas", src / "camatlas")
    target = src / "camatlas" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{upward}  # noqa\n")
    proc = lint_imports(src)
    assert proc.returncode != 0, proc.stdout
    assert "BROKEN" in proc.stdout or "broken" in proc.stdout


def test_no_import_circles() -> None:
    graph = grimp.build_graph("camatlas", exclude_type_checking_imports=True)
    imports = nx.DiGraph()
    for module in graph.modules:
        imports.add_node(module)
        for imported in graph.find_modules_directly_imported_by(module):
            imports.add_edge(module, imported)
    imports.remove_nodes_from(["camatlas"])  # the package root only forwards the public names
    cycles = list(nx.simple_cycles(imports))
    assert cycles == []
