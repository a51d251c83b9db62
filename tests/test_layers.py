"""The house's layering: data flows one way, and nothing imports upward or in a circle.

The contracts are import-linter's, in pyproject.toml (``make lint`` runs them too); these
tests run them in CI, show that they catch an upward import, and look for import circles.
"""

from __future__ import annotations

import os
import re
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
    assert re.search(r"Contracts: \d+ kept, [1-9]\d* broken\.", proc.stdout), proc.stdout
    # the report names the import that broke a contract
    importer = "camatlas." + module.removesuffix(".py").replace("/", ".")
    imported = upward.split()[1]
    assert f"{importer} -> {imported}" in proc.stdout, proc.stdout


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


def test_heavy_stacks_load_only_when_used(tmp_path: Path) -> None:
    # Opening an atlas and reading it loads no file reader (pyosmium), no GDAL and no web stack;
    # the command line's --help loads neither GDAL nor the readers.
    script = """
import sys, camatlas
from tests.factories import osm_data
with camatlas.open_atlas(sys.argv[1]) as atlas:
    atlas.import_data(osm_data(), sha256="lazy")
    atlas.cameras(); atlas.stats()
heavy = ("osmium", "fastapi", "pyogrio", "camatlas.sources.osm")
print(sorted(m for m in heavy if m in sys.modules))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "a.gpkg")],
        capture_output=True, text=True, cwd=REPO, timeout=120, check=True,
    )  # fmt: skip
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    script = """
import sys
from camatlas.cli import app
try:
    app(["--help"])
except SystemExit:
    pass
print(sorted(m for m in ("osmium", "pyogrio", "shapely", "camatlas.sources") if m in sys.modules))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120,
        check=True,
    )  # fmt: skip
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr
