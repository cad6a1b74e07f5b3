"""Job plumbing: logs keep the traceback and the warnings, the console one line; killed writes leave nothing stale."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from langspec.core.atomic import atomic_dir, atomic_path, write_json


def _script(tmp_path, body: str) -> subprocess.CompletedProcess:
    """Run ``body`` inside langspec.core.jobs.run with a log file, in a fresh interpreter."""
    code = "\n".join([
        "import logging",
        "from langspec.core.errors import LangspecError",
        "from langspec.core.jobs import run",
        "def main():",
        textwrap.indent(textwrap.dedent(body).strip(), "    "),
        f"run({str(tmp_path / 'job.log')!r}, main)",
    ])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_an_unexpected_failure_leaves_its_traceback_in_the_log_and_one_line_on_the_console(tmp_path):
    result = _script(tmp_path, """
        print("step 1 done")
        {}["missing"]
    """)
    log = (tmp_path / "job.log").read_text()
    assert result.returncode == 1
    assert "step 1 done" in log and "Traceback (most recent call last)" in log and "KeyError: 'missing'" in log
    console = result.stderr.strip().splitlines()
    assert console == [f"langspec: error: KeyError: 'missing' (traceback in {tmp_path / 'job.log'})"]


def test_bad_input_is_one_line_on_the_console_and_in_the_log(tmp_path):
    result = _script(tmp_path, """
        raise LangspecError("config key 'x' is wrong")
    """)
    assert result.returncode == 1
    assert result.stderr.strip() == "langspec: error: config key 'x' is wrong"
    assert "config key 'x' is wrong" in (tmp_path / "job.log").read_text()
    assert "Traceback" not in result.stderr


def test_warnings_reach_the_console_and_the_log(tmp_path):
    result = _script(tmp_path, """
        logging.getLogger("langspec.attribution.shares").warning("cells of de have\\nfewer than 20")
        logging.getLogger("langspec.attribution.shares").info("quiet detail")
    """)
    assert result.returncode == 0
    assert result.stderr.strip() == "langspec: warning: cells of de have fewer than 20"
    log = (tmp_path / "job.log").read_text()
    assert "cells of de have" in log and "quiet detail" in log


def test_a_step_with_torch_gets_its_threads_and_a_step_without_never_loads_torch(tmp_path):
    code = "\n".join([
        "import sys",
        "from langspec.core.jobs import run",
        "if sys.argv[1] == 'torch':",
        "    import torch",
        "def main():",
        "    print('torch threads', sys.modules['torch'].get_num_threads() if 'torch' in sys.modules else None)",
        f"run({str(tmp_path / 'job.log')!r}, main, threads=1)",
    ])
    for kind, expected in (("torch", "torch threads 1"), ("light", "torch threads None")):
        result = subprocess.run([sys.executable, "-c", code, kind], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert expected in (tmp_path / "job.log").read_text()


def test_stale_temporaries_of_a_killed_write_are_removed_by_the_next_write(tmp_path):
    (tmp_path / ".out.json.abc123.tmp.json").write_text("half")
    (tmp_path / ".model.xyz.tmp").mkdir()
    (tmp_path / ".model.xyz.tmp" / "weights").write_text("half")
    (tmp_path / ".other.json.q.tmp.json").write_text("someone else's")
    write_json(tmp_path / "out.json", {"a": 1})
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "weights").write_text("full")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".other.json.q.tmp.json", "model", "out.json"]


def test_a_failed_write_leaves_the_previous_output(tmp_path):
    write_json(tmp_path / "out.json", {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(tmp_path / "out.json") as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert (tmp_path / "out.json").read_text().startswith("{")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
