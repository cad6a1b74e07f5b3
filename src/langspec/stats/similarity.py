"""Representational similarity by canonical correlation: CCA, SVCCA and PWCCA (paper 003, appendices F and G).

Inputs are activations ``x`` [n, d1] and ``y`` [n, d2]: row i of both is the
same datapoint (here: a sentence and its translation), columns are neurons.
Columns are centred first. With Qx, Qy orthonormal bases of the centred
column spaces (from an SVD; directions with a singular value below
``1e-10`` × the largest are dropped as rank deficiency), the canonical
correlations are the singular values of Qxᵀ Qy, ρ₁ ≥ … ≥ ρ_m, m = min(rank x, rank y):

- **mean CCA**: the mean of the ρ_i. Invariant to any invertible linear map of
  either side's neurons.
- **SVCCA** (Raghu et al. 2017): each side is first cut to its leading singular
  directions that explain ``keep`` (0.99) of its variance, then the mean CCA
  of the two cuts. Invariant to orthogonal maps (and to scaling).
- **PWCCA** (Morcos et al. 2018): the mean of the ρ_i weighted by
  α_i = Σ_j |⟨h_i, x_j⟩|, with h_i = Qx a_i the i-th canonical variate of ``x``
  (unit norm) and x_j the j-th centred neuron of ``x``: the weights come from
  the first argument, so PWCCA is not symmetric, and since |·| is taken per
  neuron it is not invariant to rotations of ``x`` (Kornblith et al. 2019's
  objection, which paper 003 raises).

Written here rather than taken from the reference code: its PWCCA indexes the
wrong side when the widths differ (google/svcca, ``compute_pwcca``), and a
widely used fork orthonormalises the wrong matrix; the tests check these
functions against a direct CCA with ``scipy.linalg``.

CCA fits the data it measures: with n datapoints and d neurons the
correlations of unrelated activations are far from 0 unless n ≫ d, and exactly
1 once d ≥ n. Every function therefore refuses n ≤ d (after SVCCA's cut), and
the workflow reports a control beside each value (the same measure between
sentences that are not translations of each other).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from langspec.core.errors import LangspecError

#: The measures :func:`similarity` computes, by name.
MEASURES = ("svcca", "pwcca", "cca")

_RANK_TOLERANCE = 1e-10


def _centred(x: np.ndarray, what: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise LangspecError(f"{what} must be [datapoints, neurons], got shape {x.shape}")
    if not np.isfinite(x).all():
        raise LangspecError(f"{what} has values that are not finite")
    return x - x.mean(0)


def _basis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(U [n, r], singular values [r], Vᵀ [r, d]) of centred ``x``, rank-deficient directions dropped."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    rank = int((s > _RANK_TOLERANCE * (s[0] if s.size else 0.0)).sum())
    return u[:, :rank], s[:rank], vt[:rank]


def _check_size(n: int, d: int, what: str) -> None:
    if n <= d:
        raise LangspecError(
            f"{what}: {n} datapoints for {d} neurons; CCA needs more datapoints than neurons "
            "(with as many or fewer, every canonical correlation is 1)"
        )


def _canonical(qx: np.ndarray, qy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ρ [m], canonical variates of the x side h [n, m]) from orthonormal bases."""
    a, rho, _ = np.linalg.svd(qx.T @ qy, full_matrices=False)
    return np.clip(rho, 0.0, 1.0), qx @ a


def canonical_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The canonical correlations ρ₁ ≥ … ≥ ρ_m [m] of ``x`` [n, d1] and ``y`` [n, d2]."""
    x, y = _centred(x, "x"), _centred(y, "y")
    if len(x) != len(y):
        raise LangspecError(f"x has {len(x)} datapoints and y {len(y)}: CCA pairs them row by row")
    _check_size(len(x), max(x.shape[1], y.shape[1]), "CCA")
    return _canonical(_basis(x)[0], _basis(y)[0])[0]


def mean_cca(x: np.ndarray, y: np.ndarray) -> float:
    """The mean canonical correlation of ``x`` [n, d1] and ``y`` [n, d2], in [0, 1]."""
    return float(canonical_correlations(x, y).mean())


def _cut(x: np.ndarray, keep: float) -> np.ndarray:
    """Centred ``x`` projected on its leading singular directions explaining ``keep`` of its variance [n, k]."""
    u, s, _ = _basis(x)
    explained = np.cumsum(s**2) / np.sum(s**2)
    k = int(np.searchsorted(explained, keep - 1e-12) + 1)
    return u[:, :k] * s[:k]


def svcca(x: np.ndarray, y: np.ndarray, keep: float = 0.99) -> float:
    """SVCCA of ``x`` [n, d1] and ``y`` [n, d2]: the mean CCA of their cuts to ``keep`` of the variance, in [0, 1]."""
    if not 0 < keep <= 1:
        raise LangspecError(f"SVCCA keeps a fraction of the variance in (0, 1], got {keep}")
    x, y = _centred(x, "x"), _centred(y, "y")
    if len(x) != len(y):
        raise LangspecError(f"x has {len(x)} datapoints and y {len(y)}: CCA pairs them row by row")
    cx, cy = _cut(x, keep), _cut(y, keep)
    _check_size(len(x), max(cx.shape[1], cy.shape[1]), f"SVCCA (directions kept: {cx.shape[1]} and {cy.shape[1]})")
    return float(_canonical(_basis(cx)[0], _basis(cy)[0])[0].mean())


def pwcca(x: np.ndarray, y: np.ndarray) -> float:
    """PWCCA of ``x`` [n, d1] with ``y`` [n, d2], weighted by ``x``'s neurons (module docstring), in [0, 1]."""
    x, y = _centred(x, "x"), _centred(y, "y")
    if len(x) != len(y):
        raise LangspecError(f"x has {len(x)} datapoints and y {len(y)}: CCA pairs them row by row")
    _check_size(len(x), max(x.shape[1], y.shape[1]), "PWCCA")
    rho, h = _canonical(_basis(x)[0], _basis(y)[0])
    alpha = np.abs(h.T @ x).sum(1)  # [m]: Σ_j |⟨h_i, x_j⟩|
    return float((alpha * rho).sum() / alpha.sum())


def similarity(x: np.ndarray, y: np.ndarray, measure: str, keep: float = 0.99) -> float:
    """One of :data:`MEASURES` between ``x`` [n, d1] and ``y`` [n, d2]."""
    if measure == "svcca":
        return svcca(x, y, keep)
    if measure == "pwcca":
        return pwcca(x, y)
    if measure == "cca":
        return mean_cca(x, y)
    raise LangspecError(f"unknown similarity measure {measure!r}; choose one of {', '.join(MEASURES)}")


def derangement(n: int, seed: int) -> np.ndarray:
    """A seeded reordering [n] of range(n) that moves every index (a random cycle), for the control."""
    if n < 2:
        raise LangspecError(f"a control needs at least 2 datapoints, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    moved = np.empty(n, dtype=np.int64)
    moved[order] = np.roll(order, -1)
    return moved


def _varies(x: np.ndarray) -> bool:
    """Whether the rows of ``x`` [n, d] differ beyond float32 rounding."""
    spread = np.ptp(np.asarray(x, dtype=np.float64), axis=0).max()
    return bool(spread > 1e-6 * max(float(np.abs(x).max()), 1e-30))


def similarity_by_layer(source: np.ndarray, target: np.ndarray, keep: float = 0.99, seed: int = 0) -> pd.DataFrame:
    """Every measure of :data:`MEASURES` per layer between ``source`` and ``target`` [layers, n, hidden] (row i: a translation pair).

    Columns: ``layer`` (0 = the embeddings when the arrays start there),
    ``measure``, ``similarity`` and ``control``: the same measure with the
    target's rows reordered by :func:`derangement` (no row meets its own
    translation), i.e. what CCA finds between unrelated sentences of the same
    two languages at this n and width. A layer where either side is the same
    for every sentence (the first token's embedding at layer 0) has no rows:
    nothing varies to correlate.
    """
    if source.shape[:2] != target.shape[:2]:
        raise LangspecError(f"source {source.shape} and target {target.shape} differ in layers or sentences")
    mismatched = derangement(source.shape[1], seed)
    rows = []
    for layer in range(source.shape[0]):
        x, y = source[layer], target[layer]
        if not (_varies(x) and _varies(y)):
            continue
        for measure in MEASURES:
            rows.append({"layer": layer, "measure": measure, "similarity": similarity(x, y, measure, keep),
                         "control": similarity(x, y[mismatched], measure, keep)})
    return pd.DataFrame(rows)
