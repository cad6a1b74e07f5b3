"""CCA, SVCCA and PWCCA (langspec.stats.similarity) against their definitions and a direct CCA with scipy.linalg."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from langspec.core.errors import LangspecError
from langspec.stats.similarity import canonical_correlations, mean_cca, pwcca, similarity, svcca


def _direct_cca(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ρ descending, x's canonical weights [d1, m]) from the generalized eigenproblem Sxy Syy⁻¹ Syx w = ρ² Sxx w."""
    x, y = x - x.mean(0), y - y.mean(0)
    sxx, syy, sxy = x.T @ x, y.T @ y, x.T @ y
    values, vectors = scipy.linalg.eigh(sxy @ scipy.linalg.solve(syy, sxy.T, assume_a="pos"), sxx)
    order = np.argsort(values)[::-1][: min(x.shape[1], y.shape[1])]
    return np.sqrt(np.clip(values[order], 0, 1)), vectors[:, order]


def _pair(n=400, d1=12, d2=9, shared=4, noise=0.3, seed=0):
    """x, y with ``shared`` common latent directions, each mixed into its neurons by a random invertible map."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, shared))
    x = np.hstack([z + noise * rng.normal(size=(n, shared)), rng.normal(size=(n, d1 - shared))]) @ rng.normal(size=(d1, d1))
    y = np.hstack([z + noise * rng.normal(size=(n, shared)), rng.normal(size=(n, d2 - shared))]) @ rng.normal(size=(d2, d2))
    return x, y


@pytest.mark.parametrize("measure", ["cca", "svcca", "pwcca"])
def test_identical_inputs_are_similar_one(measure):
    x, _ = _pair()
    assert similarity(x, x, measure) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("d1", "d2"), [(12, 9), (9, 12), (10, 10)])
def test_canonical_correlations_agree_with_a_direct_cca(d1, d2):
    x, y = _pair(d1=d1, d2=d2, seed=d1 + d2)
    rho, _ = _direct_cca(x, y)
    np.testing.assert_allclose(canonical_correlations(x, y), rho, atol=1e-8)
    angles = scipy.linalg.subspace_angles(x - x.mean(0), y - y.mean(0))  # principal angles: cos = ρ
    np.testing.assert_allclose(canonical_correlations(x, y), np.sort(np.cos(angles))[::-1], atol=1e-8)


@pytest.mark.parametrize(("d1", "d2"), [(12, 9), (9, 12)])
def test_pwcca_weighs_the_direct_cca_by_x_neurons_for_unequal_widths(d1, d2):
    """The reference code's indexing bug shows for unequal widths: check both orders against the definition."""
    x, y = _pair(d1=d1, d2=d2, seed=3)
    rho, weights = _direct_cca(x, y)
    xc = x - x.mean(0)
    h = xc @ weights
    h /= np.linalg.norm(h, axis=0)  # unit-norm canonical variates
    alpha = np.abs(h.T @ xc).sum(1)
    assert pwcca(x, y) == pytest.approx(float((alpha * rho).sum() / alpha.sum()), abs=1e-8)


def test_cca_is_invariant_to_invertible_linear_maps_of_either_side():
    x, y = _pair(seed=4)
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(x.shape[1],) * 2), rng.normal(size=(y.shape[1],) * 2)
    base = canonical_correlations(x, y)
    np.testing.assert_allclose(canonical_correlations(x @ a, y), base, atol=1e-8)
    np.testing.assert_allclose(canonical_correlations(x, y @ b), base, atol=1e-8)
    assert mean_cca(x @ a + 7.0, y @ b - 3.0) == pytest.approx(mean_cca(x, y), abs=1e-8), "and to shifts"


def test_svcca_is_invariant_to_orthogonal_maps_and_pwcca_is_not():
    x, y = _pair(seed=6)
    q, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(x.shape[1],) * 2))
    assert svcca(x @ q, y) == pytest.approx(svcca(x, y), abs=1e-8)
    assert svcca(3.0 * x, y) == pytest.approx(svcca(x, y), abs=1e-8)
    assert abs(pwcca(x @ q, y) - pwcca(x, y)) > 1e-4, "PWCCA's per-neuron weights change under a rotation"


def test_a_planted_shared_subspace_is_recovered():
    x, y = _pair(n=4000, d1=12, d2=9, shared=4, noise=0.1, seed=8)
    rho = canonical_correlations(x, y)
    assert (rho[:4] > 0.98).all(), rho
    assert (rho[4:] < 0.1).all(), rho
    assert mean_cca(x, y) == pytest.approx(4 / 9, abs=0.05)
    unrelated = np.random.default_rng(9).permutation(len(y))
    assert mean_cca(x, y[unrelated]) < 0.1, "rows that do not correspond share nothing"
    assert pwcca(x, y) > pwcca(x, y[unrelated]) + 0.3


def test_svcca_keeps_the_directions_with_the_variance():
    """A shared direction of large variance beside many tiny noisy ones: SVCCA sees only the large one."""
    rng = np.random.default_rng(10)
    z = rng.normal(size=(500, 1))
    x = np.hstack([10 * z, 1e-3 * rng.normal(size=(500, 8))])
    y = np.hstack([10 * z + 0.01 * rng.normal(size=(500, 1)), 1e-3 * rng.normal(size=(500, 8))])
    assert svcca(x, y) > 0.99
    assert mean_cca(x, y) < 0.4, "plain CCA averages in the unrelated noise directions"


def test_too_few_datapoints_and_bad_inputs_are_refused_in_one_line():
    x, y = _pair(n=10, d1=12, d2=9)
    with pytest.raises(LangspecError, match="10 datapoints for 12 neurons"):
        pwcca(x, y)
    with pytest.raises(LangspecError, match="pairs them row by row"):
        mean_cca(x, y[:5])
    with pytest.raises(LangspecError, match="unknown similarity measure 'cka'"):
        similarity(x, y, "cka")
    bad = np.ones((50, 3))
    bad[0, 0] = np.nan
    with pytest.raises(LangspecError, match="not finite"):
        svcca(bad, bad)


def test_the_control_reorders_every_row_and_sits_below_translations():
    from langspec.stats.similarity import derangement, similarity_by_layer

    moved = derangement(50, seed=1)
    assert sorted(moved) == list(range(50)) and (moved != np.arange(50)).all()
    assert np.array_equal(moved, derangement(50, seed=1))
    x, y = _pair(n=600, d1=12, d2=12, shared=6, noise=0.2, seed=11)
    layers = np.stack([x, x]), np.stack([np.random.default_rng(12).normal(size=y.shape), y])  # layer 0 unrelated
    table = similarity_by_layer(*layers, seed=0)
    assert set(table["measure"]) == {"svcca", "pwcca", "cca"} and set(table["layer"]) == {0, 1}
    top = table[table["layer"] == 1].set_index("measure")
    assert (top["similarity"] > top["control"] + 0.3).all(), top
    bottom = table[table["layer"] == 0].set_index("measure")
    assert (bottom["similarity"] - bottom["control"]).abs().max() < 0.1, bottom


def test_a_layer_without_variance_has_no_rows():
    """The first token's embedding is the same for every sentence at layer 0: nothing to correlate."""
    from langspec.stats.similarity import similarity_by_layer

    x, y = _pair(n=300, d1=8, d2=8, seed=13)
    constant = np.broadcast_to(np.arange(8.0), (300, 8))
    table = similarity_by_layer(np.stack([constant, x]), np.stack([constant, y]))
    assert set(table["layer"]) == {1} and table["similarity"].notna().all()
