"""BERT's masked-language-model corruption (Devlin et al. 2019, section 3.1).

Of the tokens that are neither padding nor special tokens, each is selected with
probability 15%; a selected token becomes the mask token with probability 80%,
a uniformly random vocabulary id with 10%, and stays itself with 10%. The
labels are the original ids at selected positions and -100 elsewhere, so the
loss is the mean cross-entropy over the selected tokens. This is what
``transformers.DataCollatorForLanguageModeling`` does; here the draws come from
an explicit ``torch.Generator``, so that training is reproducible from the
trainer's seed and the evaluation masks can be fixed per example.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

IGNORE = -100


@dataclass(frozen=True)
class Masking:
    """What the corruption needs to know about a tokenizer, and its rates."""

    mask_id: int
    vocab_size: int
    special_ids: tuple[int, ...]
    probability: float = 0.15
    to_mask: float = 0.8  #: of the selected tokens, the fraction replaced by the mask token
    to_random: float = 0.1  #: of the selected tokens, the fraction replaced by a random id (the rest stay)


def corrupt(
    input_ids: torch.Tensor, attention: torch.Tensor, masking: Masking, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted input ids [B, T], labels [B, T]) for a padded batch of ids [B, T] (CPU tensors).

    ``attention`` [B, T] (bool) is True at real tokens; padding and the
    tokenizer's special tokens are never selected.
    """
    candidates = attention & ~torch.isin(input_ids, torch.tensor(masking.special_ids, dtype=input_ids.dtype))
    selected = (torch.rand(input_ids.shape, generator=generator) < masking.probability) & candidates
    labels = torch.where(selected, input_ids, torch.full_like(input_ids, IGNORE))
    draw = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(masking.vocab_size, input_ids.shape, generator=generator, dtype=input_ids.dtype)
    out = torch.where(selected & (draw < masking.to_mask), torch.full_like(input_ids, masking.mask_id), input_ids)
    out = torch.where(selected & (draw >= masking.to_mask) & (draw < masking.to_mask + masking.to_random), random_ids, out)
    return out, labels
