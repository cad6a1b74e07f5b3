"""Run one workflow step: output into its log, bad input as one clear line.

Scripts call :func:`run` with the step's log file and a function doing the
work. Progress and warnings go to the log; a :class:`LangspecError` is written
as a single line to the log and to the console, and the step fails without a
traceback. Outputs are written atomically by the library, so a failed step
leaves nothing that looks finished.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import LangspecError


def run(log: str | os.PathLike | None, main: Callable[[], None], threads: int = 1) -> None:
    """Call ``main`` with stdout and stderr appended to ``log``; exit 1 on a LangspecError."""
    console = sys.__stderr__
    handle = None
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        handle = open(log, "w", encoding="utf-8")
        sys.stdout = sys.stderr = handle
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", force=True)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    torch.set_num_threads(max(1, threads))
    try:
        main()
    except LangspecError as error:
        line = f"langspec: error: {error}"
        print(line, file=sys.stderr, flush=True)
        if handle is not None:
            print(line, file=console, flush=True)
        raise SystemExit(1) from None
    finally:
        if handle is not None:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            handle.close()


def device(choice: str) -> "torch.device":  # noqa: F821
    """``auto`` (a GPU when one is visible), ``cpu`` or ``cuda`` as a torch device."""
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise LangspecError("compute.device is 'cuda' but no GPU is visible")
    return torch.device("cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu")
