"""Bad input through the workflow: one clear line naming the key, task, language or figure."""

from __future__ import annotations

import os

import pytest
import yaml

from .workspace import copy_repo, snakemake


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return copy_repo(tmp_path_factory.mktemp("repo"))


def _dry(workdir, *args, config: str | None = None):
    extra = []
    if config is not None:
        (workdir / "case.yaml").write_text(config)
        extra = ["--configfile", "case.yaml"]
    result = snakemake(workdir, "-n", "--cores", "1", *args, *extra, timeout=120)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("prune: {fractoin: 0.2}\n", "unknown config key 'fractoin' under 'prune' (known: batch_size,"),
        ("colour: blue\n", "unknown config key 'colour' (known:"),
        ("prune: {threshold: 1.5}\n", "config key 'prune.threshold': 1.5 is greater than the maximum of 1"),
        ("prune: {threshold: 0}\n", "config key 'prune.threshold': 0 is less than or equal to the minimum of 0"),
        ("tasks: {mine: {source: wikimedia}}\n", "config key 'tasks.mine.source' is 'wikimedia'; choose one of 'gettext-topic'"),
        ("languages: [en, German]\n", "config key 'languages.1': 'German' does not match"),
        ("sketch: {dim: '256'}\n", "config key 'sketch.dim': '256' is not of type 'integer'"),
        # what the config alone decides fails before any job (and before any output is deleted)
        ("sketch: {dim: 20}\n", "config key 'sketch.dim' is 20, not a square: each layer's sketch is √d × √d (e.g. 16 or 25)"),
        ("model: {name: ./missing-dir}\n", "config key 'model.name' is './missing-dir': that directory has no config.json"),
        ({"influence": {"k": 5000}}, "config key 'influence.k' is 5000, but task 'gettext-topic' has only 1000 training examples"),
        ({"sketch": {"shards": 9}}, "config key 'sketch.shards' is 9, but task 'gettext-topic' has 1000 training examples, 4 window(s)"),
        ({"sketch": {"shards": 2, "jobs": "regime"}}, "config key 'sketch.jobs' is 'regime', which sketches whole masks, but sketch.shards is 2"),
        ({"examples": {"k": 150}}, "config key 'examples.k' is 150, more than influence.k = 100"),
        ("replicates: 0\n", "config key 'replicates': 0 is less than the minimum of 1"),
        ("compute: {precision: half}\n", "config key 'compute.precision' is 'half'; choose one of"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(workdir, config, message):
    if isinstance(config, dict):  # a change to the default config, which a --configfile replaces
        default = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
        for section, values in config.items():
            default.setdefault(section, {}).update(values)
        config = yaml.safe_dump(default)
    code, output = _dry(workdir, config=config)
    assert code != 0
    assert message in output, output[-2000:]
    assert "Traceback" not in output


def test_unknown_task_is_named_with_the_configured_ones(workdir):
    code, output = _dry(workdir, "results/data/wikimedia/rep0/train.parquet")
    assert code != 0
    assert "task 'wikimedia' is not in config.tasks (configured: gettext-topic, gettext-mlm, iso-ner)" in output


def test_mask_for_a_language_the_task_lacks_is_named(workdir):
    code, output = _dry(workdir, "results/masks/gettext-topic/rep0/ko.json")
    assert code != 0
    assert "language 'ko' is not a language of task 'gettext-topic' (it has en, de, fr, es, ru)" in output


def test_figure_without_its_task_says_what_to_add(workdir):
    code, output = _dry(workdir, "results/figures/fig14.pdf")
    assert code != 0
    assert ("fig14 draws no task: add a task under config.tasks (the paper uses pawsx) "
            "or set figures.fig14.task to one of gettext-topic") in output


def test_composition_of_an_unknown_language_is_named(workdir):
    code, output = _dry(workdir, "results/influence/gettext-topic/rep0/sft/intersection-es-ko.h5")
    assert code != 0
    assert "language 'ko' is not a language of task 'gettext-topic'" in output


def test_default_config_draws_every_figure_but_14_and_15(workdir):
    code, output = _dry(workdir, "all")
    assert code == 0, output[-2000:]
    for n in range(2, 20):
        assert (f"results/figures/fig{n}.pdf" in output) == (n not in (14, 15)), n


def test_a_replicate_beyond_the_configured_ones_is_named(workdir):
    code, output = _dry(workdir, "results/data/gettext-topic/rep3/train.parquet")
    assert code != 0
    assert "replicate 3 of task 'gettext-topic' does not exist: the task has 3 (rep0 .. rep2" in output


def test_sizes_are_checked_against_an_earlier_runs_manifest(workdir):
    manifest = workdir / "results/data/gettext-topic/rep0/manifest.json"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    import json

    from langspec.core.seeds import replicate_seed

    options = {"source": "gettext-topic", "gettext": {"locale_dir": "/usr/share/locale", "areas_file": "resources/gettext_areas.yaml",
               "areas": ["database", "version-control", "desktop"], "min_chars": 16, "min_words": 3, "dev_fraction": 0.15, "test_fraction": 0.15}}
    body = {"options": options, "languages": ["en", "de", "fr", "es", "ru"], "seed": replicate_seed(0, 0),
            "available": {"train": {lang: 9000 for lang in ["en", "de", "fr", "es", "ru"]}, "dev": {}, "test": {}}}
    manifest.write_text(json.dumps(body))
    try:
        code, output = _dry(workdir, config="tasks: {gettext-topic: {source: gettext-topic, gettext: {areas: [database, version-control, desktop]}, size: {train: 10000, dev: 100, test: 100}}}\ninfluence: {k: 10}\n")
    finally:
        manifest.unlink()
    assert code != 0
    assert "config key 'tasks.gettext-topic.size.train' is 10000, but only 9000 train examples of language 'en' are available" in output


def test_the_study_config_gives_both_papers_seven_replicates_and_lth_replicates_limits_paper_003(workdir):
    """config/study.yaml runs paper 003's claims at paper 000's 7 replicates; lth.replicates limits them."""
    result = snakemake(workdir, "-n", "--cores", "1", "findings", "--configfile", "config/study.yaml", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    assert "results/shares/gettext-topic/rep6/sft/own.csv" in output
    assert "results/lth/gettext-topic/rep6/" in output
    (workdir / "three.yaml").write_text("lth: {replicates: 3}\n")
    result = snakemake(workdir, "-n", "--cores", "1", "findings", "--configfile", "config/study.yaml", "three.yaml",
                       timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    assert "results/lth/gettext-topic/rep2/" in output and "results/lth/gettext-topic/rep3/" not in output


def _without_hub(offline: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env["HF_HUB_CACHE"] = "/nonexistent/hub-cache"  # nothing cached, whatever this machine holds
    return {**env, "HF_HUB_OFFLINE": "1"} if offline else env


@pytest.mark.parametrize("offline", [True, False])
def test_the_paper_config_plans_without_the_hub(workdir, offline):
    """A dry run of the paper config needs no hub: one note per model or dataset it could not check."""
    result = snakemake(workdir, "-n", "results/figures/fig4.pdf", "--configfile", "config/paper.yaml", timeout=300,
                       env=_without_hub(offline))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-2000:]
    notes = [line for line in output.splitlines() if line.startswith("langspec: note: planned without checking")]
    assert len(notes) == 1, output[-2000:]
    assert "model.name 'xlm-roberta-base'" in notes[0] and "tasks.xnli.hub_id 'facebook/xnli'" in notes[0]
    assert ("HF_HUB_OFFLINE is set and the Hugging Face cache lacks them" if offline else "cannot be reached") in notes[0]
    assert "Traceback" not in output and "rule finetune" in output


@pytest.mark.parametrize("offline", [True, False])
def test_a_real_run_without_the_hub_fails_before_any_job_naming_the_way_out(workdir, offline):
    result = snakemake(workdir, "--cores", "1", "results/data/xnli/rep0/train.parquet", "--configfile", "config/paper.yaml",
                       timeout=300, env=_without_hub(offline))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output and "rule data:" not in output, output[-2000:]
    assert not (workdir / "results/data/xnli").exists(), "no job ran"
    line = next(line for line in output.splitlines() if line.startswith("config key 'model.name' is '"))
    if offline:
        assert "not in the Hugging Face cache and HF_HUB_OFFLINE is set" in line and "network" in line
    else:
        assert "cannot be reached" in line and "connect to the network, or set HF_HUB_OFFLINE=1" in line
