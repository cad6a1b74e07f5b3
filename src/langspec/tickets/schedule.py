"""The pruning schedule of iterative magnitude pruning (paper 003): how many rounds, how many weights per round.

Pure arithmetic (no torch), so that the workflow can plan IMP's rounds when it
builds the DAG.
"""

from __future__ import annotations

from langspec.core.errors import LangspecError


def lottery_rounds(rate: float, max_sparsity: float) -> int:
    """Number of pruning rounds to reach ``max_sparsity`` at ``rate`` of the original weights per round."""
    if not 0 < rate < 1:
        raise LangspecError(f"config key 'lth.rate' is {rate}: outside (0, 1)")
    if not 0 < max_sparsity < 1:
        raise LangspecError(f"config key 'lth.max_sparsity' is {max_sparsity}: outside (0, 1)")
    n = max_sparsity / rate
    if abs(n - round(n)) > 1e-6:
        raise LangspecError(f"config key 'lth.max_sparsity' is {max_sparsity}: not a multiple of lth.rate = {rate}")
    return round(n)


def pruned_after(total: int, rate: float, round_: int) -> int:
    """Weights pruned in all after round k: round(k · rate · total), so rounding never accumulates."""
    return round(round_ * rate * total)
