"""The pruning loop stops at the right step, removes the least important heads, and reports its path."""

from __future__ import annotations

import pytest
import torch

from langspec.core.errors import LangspecError
from langspec.heads.gates import HeadGates
from langspec.heads.pruning import head_scores, prune_heads

from .conftest import random_batch, tiny_classifier

FIXED = torch.arange(10, dtype=torch.float32).view(2, 5)  # head (0, 0) least important


def scripted(values, importance=lambda mask: FIXED):
    """A score: the given metric values in order, and ``importance(mask)``; records the masks it saw."""
    seen = []

    def score(mask):
        seen.append(mask.clone())
        return values[len(seen) - 1], importance(mask)

    return score, seen




def test_stops_before_the_metric_falls_below_the_threshold():
    score, seen = scripted([0.80, 0.80, 0.78, 0.77, 0.75, 0.90])
    mask, trajectory = prune_heads((2, 5), score, fraction=0.1, threshold=0.95)
    # 0.75 / 0.80 = 0.9375 < 0.95: the fourth candidate (6 heads) is rejected
    assert [t["heads_kept"] for t in trajectory] == [10, 9, 8, 7, 6]
    assert [t["kept"] for t in trajectory] == [True, True, True, True, False]
    assert trajectory[3]["ratio"] == pytest.approx(0.77 / 0.80)
    assert int(mask.sum()) == 7
    assert len(seen) == 5, "no evaluation after the stop"
    # least important first: heads 0, 1, 2 of layer 0 are gone
    assert mask.flatten().tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]


def test_exactly_at_threshold_is_kept():
    score, _ = scripted([1.0, 0.95, 0.5], lambda m: FIXED.flatten()[None])
    mask, trajectory = prune_heads((1, 10), score, threshold=0.95)
    assert int(mask.sum()) == 9 and trajectory[1]["kept"] and not trajectory[2]["kept"]


def test_importance_is_recomputed_under_each_mask_and_masked_heads_are_never_chosen_again():
    calls = []

    def importance(mask):
        calls.append(mask.clone())
        # make already-masked heads look least important: they must still be skipped
        return torch.where(mask == 0, torch.tensor(-1.0), FIXED)

    score, _ = scripted([1.0] * 4 + [0.0], importance)
    mask, trajectory = prune_heads((2, 5), score, fraction=0.1, threshold=0.95)
    assert [int(m.sum()) for m in calls] == [10, 9, 8, 7, 6]  # one pass per evaluated mask
    assert mask.flatten().tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]
    assert [t["heads_kept"] for t in trajectory] == [10, 9, 8, 7, 6]


def test_ten_percent_of_the_remaining_heads_by_default():
    score, _ = scripted([1.0] * 6 + [0.0], lambda m: torch.rand(12, 12, generator=torch.Generator().manual_seed(0)))
    _, trajectory = prune_heads((12, 12), score)
    kept = [t["heads_kept"] for t in trajectory]
    assert kept[:5] == [144, 130, 117, 106, 96]


def test_ten_percent_of_all_heads_gives_the_papers_multiples_of_14():
    score, _ = scripted([1.0] * 6 + [0.0], lambda m: torch.rand(12, 12, generator=torch.Generator().manual_seed(0)))
    _, trajectory = prune_heads((12, 12), score, fraction_of="total")
    assert [144 - t["heads_kept"] for t in trajectory][:5] == [0, 14, 28, 42, 56]


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.01])
def test_threshold_outside_unit_interval_is_refused(threshold):
    with pytest.raises(LangspecError, match=f"threshold {threshold} is outside"):
        prune_heads((2, 2), lambda m: (1.0, torch.ones(2, 2)), threshold=threshold)


def test_head_importance_is_layer_normalised_and_ignores_weight_grads():
    import numpy as np

    from langspec.data.encode import Encoded

    model = tiny_classifier("bert", layers=2, heads=4)
    batch = random_batch(batch=6)
    features = {
        "input_ids": [row[m.bool()].tolist() for row, m in zip(batch["input_ids"], batch["attention_mask"])],
    }
    features["attention_mask"] = [[1] * len(ids) for ids in features["input_ids"]]
    data = Encoded(np.array([str(i) for i in range(6)]), np.array(["xx"] * 6), batch["labels"], features, pad_id=1)
    with HeadGates(model) as gates:
        importance, pred = head_scores(model, gates, data, np.arange(6), torch.ones(2, 4), batch_size=4)
        assert importance.shape == (2, 4)
        with torch.no_grad():
            expected = model(**{k: v for k, v in batch.items() if k != "labels"}).logits.argmax(-1)
        assert pred.tolist() == expected.tolist(), "the same pass gives the predictions (the pruning metric)"
        torch.testing.assert_close(importance.norm(dim=-1), torch.ones(2))
        assert all(p.grad is None for p in model.parameters())
        assert not gates.values.requires_grad
        raw, _ = head_scores(model, gates, data, np.arange(6), torch.ones(2, 4), batch_size=6, normalize_layers=False)
    assert (raw > 0).all()
