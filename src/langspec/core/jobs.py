"""Run one workflow step: progress and errors into its log, one clear line on the console.

Scripts call :func:`run` with the step's log file and a function doing the
work. Progress, warnings and, whatever the exception, the full traceback go to
the log; the console gets one line: the message of a :class:`LangspecError`
(bad input), or the exception's type and message with a pointer to the log.
Warnings also reach the console as one line each. Outputs are written
atomically by the library, so a failed step leaves nothing that looks finished.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from langspec.core.errors import LangspecError


class _ConsoleWarnings(logging.Handler):
    """Warnings of the library, one line each on the console (the log keeps them too)."""

    def __init__(self, stream) -> None:
        super().__init__(logging.WARNING)
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        print(f"langspec: warning: {' '.join(record.getMessage().split())}", file=self.stream, flush=True)


def run(log: str | os.PathLike | None, main: Callable[[], None], threads: int = 1) -> None:
    """Call ``main`` with stdout and stderr going to ``log``; exit 1 on any exception, with its traceback in the log.

    ``threads`` caps torch's intra-op threads when the step has imported torch
    (its modules do so at import); a step that has not is left without torch.
    """
    console = sys.__stderr__
    handle = None
    if log:
        Path(log).parent.mkdir(parents=True, exist_ok=True)
        handle = open(log, "w", encoding="utf-8", buffering=1)
        sys.stdout = sys.stderr = handle
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", force=True)
    if handle is not None:
        logging.getLogger("langspec").addHandler(_ConsoleWarnings(console))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if handle is not None:  # progress bars in a log file: a line every 10 s, not every step
        os.environ.setdefault("TQDM_MININTERVAL", "10")
    try:
        if "torch" in sys.modules:  # a step that computes with torch imported it; the light ones never load it
            sys.modules["torch"].set_num_threads(max(1, threads))
        main()
    except LangspecError as error:
        line = f"langspec: error: {error}"
        print(line, file=sys.stderr, flush=True)
        if handle is not None:
            print(line, file=console, flush=True)
        raise SystemExit(1) from None
    except BaseException as error:  # noqa: BLE001 - every failure leaves its traceback in the log
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        where = f" (traceback in {log})" if handle is not None else ""
        message = " ".join(str(error).split()) or "no message"
        print(f"langspec: error: {error.__class__.__name__}: {message}{where}", file=console, flush=True)
        raise SystemExit(1) from None
    finally:
        if handle is not None:
            logging.getLogger("langspec").handlers = [
                h for h in logging.getLogger("langspec").handlers if not isinstance(h, _ConsoleWarnings)
            ]
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            handle.close()


def device(choice: str) -> "torch.device":  # noqa: F821
    """``auto`` (a GPU when one is visible), ``cpu`` or ``cuda`` as a torch device."""
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise LangspecError("compute.device is 'cuda' but no GPU is visible on this node (torch.cuda.is_available() is False)")
    return torch.device("cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu")
