"""TracIn influence from gradient sketches, with a running top-k (paper sections 3.2, 4.3).

I(z, z_test) = sum_e w_e sim(g_e(z), g_e(z_test)) over the epoch checkpoints e,
with sim the cosine (paper, after Barshan et al.) or the dot product (Pruthi
et al.) and w_e = 1 (paper) or the learning rate at checkpoint e. Training
sketches are read in blocks and only the k most positive and k most negative
training examples per test example are kept, so memory stays bounded for any
number of training examples. Each test language is scored under its own
single mask (see :mod:`langspec.attribution.conditions`): its test and train sketches come
from files made under that mask, and the files are checked to agree. The
result is an :class:`langspec.attribution.influence.Influence`, written by
:func:`langspec.attribution.influence.write_influence`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from langspec.attribution.influence import Influence
from langspec.attribution.sketchfile import Sketches, check_counterparts, read_sketches
from langspec.core.errors import LangspecError

log = logging.getLogger(__name__)


class _TopK:
    """Running top-k of the largest and smallest scores per row over column blocks."""

    def __init__(self, rows: int, k: int) -> None:
        self.k = k
        self.pos = (torch.full((rows, 0), -torch.inf), torch.zeros((rows, 0), dtype=torch.long))
        self.neg = (torch.full((rows, 0), torch.inf), torch.zeros((rows, 0), dtype=torch.long))

    def update(self, scores: torch.Tensor, offset: int) -> None:
        """Merge scores [rows, block] whose columns start at ``offset``."""
        index = torch.arange(offset, offset + scores.shape[1]).expand_as(scores)
        for name, sign in (("pos", 1.0), ("neg", -1.0)):
            best, where = getattr(self, name)
            merged = torch.cat([best * sign, scores * sign], dim=1)
            merged_where = torch.cat([where, index], dim=1)
            top = torch.topk(merged, min(self.k, merged.shape[1]), dim=1)
            setattr(self, name, (top.values * sign, torch.gather(merged_where, 1, top.indices)))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        (ps, pi), (ns, ni) = self.pos, self.neg
        return pi.numpy(), ps.numpy(), ni.numpy(), ns.numpy()


def _prepare(sketch: torch.Tensor, similarity: str) -> torch.Tensor:
    return F.normalize(sketch, dim=1) if similarity == "cosine" else sketch


def tracin(
    test: Mapping[str, Sequence[Path]],
    train: Mapping[str, Sequence[Path]],
    assignment: Mapping[str, str],
    k: int,
    similarity: str = "cosine",
    weights: Sequence[float] | None = None,
    block_size: int = 8192,
    per_checkpoint: bool = False,
) -> Influence:
    """Score every test example against every training example.

    ``test`` and ``train`` map a single-mask name to its sketch files, one per
    epoch checkpoint (same order); a training entry may be a list of shard files
    of that checkpoint, read as one in order (scores do not depend on the number
    of shards: blocks are cut at the same rows). ``assignment`` maps each test
    language to the single-mask name it is scored under.
    """
    if similarity not in ("cosine", "dot"):
        raise LangspecError(f"influence similarity '{similarity}' is not 'cosine' or 'dot'")
    masks = sorted(set(assignment.values()))
    for name in masks:
        for role, files in (("test", test), ("train", train)):
            if name not in files:
                raise LangspecError(f"no {role} sketches under mask '{name}'")
    epochs = len(test[masks[0]])
    weights = list(weights) if weights is not None else [1.0] * epochs
    if len(weights) != epochs or any(len(test[m]) != epochs or len(train[m]) != epochs for m in masks):
        raise LangspecError("every mask needs one test and one train sketch file per checkpoint, and one weight each")

    opened: dict[tuple[str, str, int], Sketches] = {}
    try:
        for name in masks:
            for e in range(epochs):
                opened["test", name, e] = read_sketches(test[name][e])
                opened["train", name, e] = read_sketches(train[name][e])
                check_counterparts(opened["test", name, e], opened["train", name, e])
                check_counterparts(opened["train", name, e], opened["train", masks[0], 0], ("layers", "dim", "seed"))
                if opened["test", name, e].attrs["mask"] != name:
                    raise LangspecError(f"sketch file {test[name][e]} was made under mask '{opened['test', name, e].attrs['mask']}', not '{name}'")
        reference_test, reference_train = opened["test", masks[0], 0], opened["train", masks[0], 0]
        for key, sketches in opened.items():
            reference = reference_test if key[0] == "test" else reference_train
            if not np.array_equal(sketches.uid, reference.uid):
                raise LangspecError(f"sketch files {sketches.path} and {reference.path} hold different examples")
        test_lang = reference_test.lang
        unassigned = sorted(set(test_lang) - set(assignment))
        if unassigned:
            raise LangspecError(f"test language(s) {', '.join(unassigned)} have no mask in this condition")
        n_test, n_train = len(reference_test.uid), len(reference_train.uid)
        if k > n_train:
            log.warning("influence.k is %d but there are only %d training examples: the top-k is every training example, "
                        "so every share is the training set's language mix", k, n_train)
            k = n_train
        total = _TopK(n_test, k)
        per_epoch = [_TopK(n_test, k) for _ in range(epochs)] if per_checkpoint else []
        epoch_correct = np.zeros((epochs, n_test), dtype=bool)
        test_pred = np.zeros(n_test, dtype=np.int64)

        # the test sketches of each mask, only for the rows of the languages it scores
        groups = {name: np.flatnonzero(np.isin(test_lang, [l for l, m in assignment.items() if m == name])) for name in masks}
        queries = {}
        for name, rows in groups.items():
            for e in range(epochs):
                sketches = opened["test", name, e]
                queries[name, e] = _prepare(sketches.rows(0, len(sketches))[rows], similarity)
                epoch_correct[e, rows] = sketches.pred[rows] == sketches.label[rows]
            test_pred[rows] = opened["test", name, epochs - 1].pred[rows]

        progress = tqdm(total=n_train, desc="influence", unit="train ex")
        for start in range(0, n_train, block_size):
            stop = min(start + block_size, n_train)
            block_total = torch.zeros(n_test, stop - start)
            block_epochs = [torch.zeros(n_test, stop - start) for _ in per_epoch]
            for name, rows in groups.items():
                index = torch.from_numpy(rows)
                for e in range(epochs):
                    keys = _prepare(opened["train", name, e].rows(start, stop), similarity)
                    scores = queries[name, e] @ keys.T  # [rows, block]
                    block_total[index] += weights[e] * scores
                    if per_epoch:
                        block_epochs[e][index] = scores
            total.update(block_total, start)
            for top, scores in zip(per_epoch, block_epochs):
                top.update(scores, start)
            progress.update(stop - start)
        progress.close()

        pos_idx, pos_score, neg_idx, neg_score = total.arrays()
        epoch_arrays = {}
        if per_epoch:
            stacked = [top.arrays() for top in per_epoch]
            for i, name in enumerate(("pos_idx", "pos_score", "neg_idx", "neg_score")):
                epoch_arrays[name] = np.stack([arrays[i] for arrays in stacked])
        return Influence(
            test_uid=reference_test.uid,
            test_lang=test_lang,
            test_label=reference_test.label,
            test_pred=test_pred,
            train_uid=reference_train.uid,
            train_lang=reference_train.lang,
            correct=epoch_correct[-1],
            pos_idx=pos_idx,
            pos_score=pos_score,
            neg_idx=neg_idx,
            neg_score=neg_score,
            epoch_correct=epoch_correct,
            epoch=epoch_arrays,
            attrs={
                "k": k,
                "similarity": similarity,
                "weights": json.dumps(weights),
                "assignment": json.dumps(dict(assignment)),
                "layers": reference_train.attrs["layers"],
                "dim": int(reference_train.attrs["dim"]),
                "seed": int(reference_train.attrs["seed"]),
                "checkpoints": json.dumps([str(opened["train", masks[0], e].attrs["checkpoint"]) for e in range(epochs)]),
            },
        )
    finally:
        for sketches in opened.values():
            sketches.close()

