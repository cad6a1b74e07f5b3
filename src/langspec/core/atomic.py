"""Write outputs under a temporary name and rename them when complete.

A crashed or interrupted job therefore never leaves a file or directory that
looks finished, and an existing output is only replaced by a complete one. The
temporary names are hidden siblings (``.name.<random>.tmp``); a killed job can
leave one behind, and the next write of the same output removes it (the
workflow's lock ensures no other job writes that output at the same time).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langspec.core.errors import LangspecError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_stale(path: Path) -> None:
    """Remove temporary siblings of ``path`` left by an earlier, killed write."""
    if not path.parent.is_dir():
        return
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*"):
        if stale.name.endswith(".old") or ".tmp" in stale.name[len(path.name) + 2 :]:
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)


def _temp_sibling(path: Path, suffix: str = "") -> Path:
    """A new empty file next to ``path`` with the usual permissions (tempfile makes them private)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary file path next to ``path``; rename it to ``path`` on success.

    The temporary name keeps the final suffix (``x.h5`` -> ``.x.h5.abc.tmp.h5``)
    so libraries that dispatch on the extension still work.
    """
    path = Path(path)
    tmp = _temp_sibling(path, path.suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary directory next to ``path``; move it to ``path`` on success.

    An existing directory at ``path`` is replaced only after the new one is complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    tmp.chmod(0o777 & ~_umask())
    try:
        yield tmp
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=1, sort_keys=False) + "\n", encoding="utf-8")


def read_json(path: str | os.PathLike, what: str, missing: str = "") -> Any:
    """The JSON at ``path``; a one-line :class:`~langspec.core.errors.LangspecError` naming ``what`` and the file
    when it is missing (``missing``: a hint appended) or not valid JSON."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LangspecError(f"{what} {path} does not exist{missing}") from None
    except json.JSONDecodeError as error:
        raise LangspecError(f"{what} {path} is not valid JSON ({error})") from None


def write_parquet(path: str | os.PathLike, frame: "pandas.DataFrame") -> None:  # noqa: F821
    """Write a data frame to parquet without its index, atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def write_table(stem: str | os.PathLike, frame: "pandas.DataFrame", floatfmt: str = ".1f") -> None:  # noqa: F821
    """Write ``stem.csv`` and ``stem.md`` (a Markdown table) from one data frame."""
    stem = Path(stem)
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        frame.to_csv(tmp, index=False)
    with atomic_path(stem.with_suffix(".md")) as tmp:
        tmp.write_text(frame.to_markdown(index=False, floatfmt=floatfmt) + "\n", encoding="utf-8")
