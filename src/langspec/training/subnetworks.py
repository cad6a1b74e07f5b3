"""Language subnetworks of one model: the small interface that training and evaluation use.

Three kinds implement it: head masks (paper 000; :class:`langspec.heads.subnetworks.HeadSubnetworks`, gates on
the attention output plus masked head slices), lottery-ticket weight masks
(paper 003; :class:`langspec.tickets.masks.WeightSubnetworks`, ``W ⊙ M`` in the
forward) and language-specific neurons (LAPE;
:class:`langspec.neurons.subnetworks.NeuronSubnetworks`, the language's
feed-forward neurons zeroed in the forward). :func:`langspec.training.train.train` and :func:`langspec.training.evaluate.predict`
know only these five operations:

- ``use(lang)``: the forward pass runs through ``lang``'s subnetwork (``None``: the whole model);
- ``mask_gradients(lang)``: after backward, zero the gradients outside it;
- ``step_guard(lang, optimizer, strict)``: wrap ``optimizer.step()``; strict keeps the
  parameters outside the subnetwork, and their optimizer state, exactly unchanged;
- ``languages`` and ``shared``: which languages have a subnetwork; a shared
  subnetwork (a single lottery ticket) serves every language, so training mixes
  languages in a batch instead of drawing single-language batches; ``baked``: the
  plain model already is the (shared) subnetwork (a ticket whose pruned weights
  are zero), so scoring it under the subnetwork is scoring the plain model;
- ``remove()``: detach everything; the model is as before.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod

import torch

from langspec.core.errors import LangspecError


class Subnetworks(ABC):
    """Per-language subnetworks applied to one model in place (see the module docstring)."""

    kind: str = ""  #: "heads", "weights" or "neurons": recorded in training metrics
    shared: bool = False  #: one subnetwork for every language (``use`` ignores the language)
    baked: bool = False  #: the plain model is the subnetwork: evaluating under it equals evaluating without it

    @property
    @abstractmethod
    def languages(self) -> list[str]:
        """Languages that have a subnetwork (empty when ``shared``)."""

    def has(self, lang: str | None) -> bool:
        """Whether ``lang`` is scored under a subnetwork (always, when shared)."""
        return self.shared or lang in self.languages

    def check_covers(self, languages: list[str]) -> None:
        """One-line error naming the training languages without a subnetwork."""
        missing = [] if self.shared else sorted(set(languages) - set(self.languages))
        if missing:
            raise LangspecError(f"sparse fine-tuning has no mask for training language(s) {', '.join(missing)}")

    @abstractmethod
    def use(self, lang: str | None) -> None:
        """Run the forward pass through ``lang``'s subnetwork; ``None`` gives the whole model."""

    @abstractmethod
    def mask_gradients(self, lang: str | None) -> None:
        """Zero, in place, the gradients of the parameters outside ``lang``'s subnetwork."""

    @abstractmethod
    def frozen(self, lang: str | None, optimizer: torch.optim.Optimizer) -> contextlib.AbstractContextManager:
        """A block after which parameters outside ``lang``'s subnetwork and their optimizer state are as before."""

    def step_guard(self, lang: str | None, optimizer: torch.optim.Optimizer, strict: bool) -> contextlib.AbstractContextManager:
        """Wrap ``optimizer.step()``: :meth:`frozen` when ``strict``, else nothing (paper mode)."""
        return self.frozen(lang, optimizer) if strict else contextlib.nullcontext()

    @abstractmethod
    def remove(self) -> None:
        """Detach hooks; the model computes as without subnetworks."""

    def __enter__(self) -> Subnetworks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()
