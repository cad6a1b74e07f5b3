"""Write a figure as PDF and PNG, atomically."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from langspec.core.atomic import atomic_path
from langspec.figures.style import DPI

#: No creation date, so that the same figure gives the same bytes.
METADATA = {".pdf": {"CreationDate": None}, ".png": {}}


def save(fig: Figure, stem: str | os.PathLike) -> None:
    """Write ``stem.pdf`` and ``stem.png`` (``DPI`` dots per inch), each under a temporary name first, and close ``fig``.

    ``stem`` is the path without suffix; the same figure always gives the same
    bytes. Closing matters only for a figure made with pyplot (those of
    :mod:`langspec.figures` are not registered there).
    """
    stem = Path(stem)
    for suffix in (".pdf", ".png"):
        with atomic_path(stem.with_name(stem.name + suffix)) as tmp:
            fig.savefig(tmp, dpi=DPI, format=suffix[1:], metadata=METADATA[suffix])
    plt.close(fig)
