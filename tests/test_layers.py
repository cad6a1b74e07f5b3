"""The library's layers and "figures only draw" (pyproject.toml's import-linter contracts), and the package docstrings
that state them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import langspec

from .workspace import REPO

SRC = Path(langspec.__file__).resolve().parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src_root: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(src_root)}
    return subprocess.run([str(LINT), "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_library_keeps_its_layers():
    result = _lint(SRC.parent)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 kept, 0 broken" in result.stdout
    assert "figures only draw KEPT" in result.stdout


def _planted(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess:
    """The lint of a copy of the library with ``line`` appended to ``module`` (a path under langspec/)."""
    copy = tmp_path / "src" / "langspec"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / module).open("a", encoding="utf-8") as f:
        f.write(f"\n{line}  # noqa: E402,F401\n")
    return _lint(tmp_path / "src")


def test_the_architecture_page_draws_the_layers_of_the_contract():
    contract = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    page = (REPO / "docs" / "architecture.md").read_text()
    drawn = page.split("```\nlangspec.results\n", 1)[1].split("```", 1)[0].splitlines()
    assert ["langspec.results", *drawn] == contract["layers"]
    packages = [layer.removeprefix("langspec.") for line in contract["layers"] for layer in line.split(" | ")
                if (SRC / layer.removeprefix("langspec.")).is_dir()]
    assert [name for name in packages if f"**`{name}`**" not in page] == []  # each package has its paragraph


def test_a_figure_that_calls_an_analysis_function_breaks_figures_only_draw(tmp_path):
    """A figure module importing the analysis layer (stats) is reported, though the layers allow it."""
    result = _planted(tmp_path, "figures/heatmaps.py", "import langspec.stats.claims")
    assert result.returncode != 0
    assert "figures only draw BROKEN" in result.stdout and "langspec layers KEPT" in result.stdout
    assert "langspec.figures.heatmaps -> langspec.stats.claims" in result.stdout


def test_an_import_against_the_layers_breaks_the_contract(tmp_path):
    """The check can fail: a lower layer importing a higher one (heads -> tickets, core -> figures) is reported."""
    copy = tmp_path / "src" / "langspec"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "heads" / "sparse.py").open("a", encoding="utf-8") as f:
        f.write("\nimport langspec.tickets.masks  # noqa: E402,F401\n")
    with (copy / "core" / "seeds.py").open("a", encoding="utf-8") as f:
        f.write("\nimport langspec.figures.style  # noqa: E402,F401\n")
    result = _lint(tmp_path / "src")
    assert result.returncode != 0
    assert "langspec.heads.sparse -> langspec.tickets.masks" in result.stdout
    assert "langspec.core.seeds -> langspec.figures.style" in result.stdout


def test_every_package_says_what_it_holds_and_what_it_may_import():
    for package in sorted(p for p in SRC.iterdir() if (p / "__init__.py").exists()):
        doc = (package / "__init__.py").read_text(encoding="utf-8")
        assert doc.startswith('"""'), f"{package.name}/__init__.py has no docstring"
        if package.name != "core":
            assert "May import" in doc, f"{package.name}/__init__.py does not say what it may import"
