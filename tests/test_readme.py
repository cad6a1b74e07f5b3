"""The README's two quick-start commands: CI runs the test command, the main job draws fig4."""

from __future__ import annotations

import re

from .workspace import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", quick, re.S)


def test_quick_start_has_two_commands_and_ci_runs_the_test_command():
    main, tests = _commands()
    assert "torch==2.13.0" in main and main.rstrip().endswith("results/figures/fig4.pdf")
    assert "torch==2.13.0" in tests and "pytest" in tests
    assert tests.strip() in (REPO / ".ci" / "run").read_text()


def test_the_readme_is_a_front_page_that_links_every_docs_page():
    text = (REPO / "README.md").read_text()
    assert len(text.splitlines()) <= 250, "the README is a front page: move detail to docs/"
    linked = set(re.findall(r"\]\((docs/[^)#\s]+\.md)(?:#[^)]*)?\)", text))
    pages = {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert pages, "docs/ has no pages"
    assert not pages - linked, f"docs pages not linked from the README: {sorted(pages - linked)}"
