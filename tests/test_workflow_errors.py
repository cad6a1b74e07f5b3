"""Bad input through the workflow: one clear line naming the key, task, language or figure."""

from __future__ import annotations

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
        ("tasks: {mine: {source: wikipedia}}\n", "config key 'tasks.mine.source' is 'wikipedia'; choose one of 'gettext-topic'"),
        ("languages: [en, German]\n", "config key 'languages.1': 'German' does not match"),
        ("sketch: {dim: '256'}\n", "config key 'sketch.dim': '256' is not of type 'integer'"),
        # what the config alone decides fails before any job (and before any output is deleted)
        ("sketch: {dim: 20}\n", "config key 'sketch.dim' is 20, not a square: each layer's sketch is √d × √d (e.g. 16 or 25)"),
        ("model: {name: no-such-org/no-such-model}\n", "config key 'model.name' is 'no-such-org/no-such-model'"),
        ("model: {name: ./missing-dir}\n", "config key 'model.name' is './missing-dir': that directory has no config.json"),
        ({"influence": {"k": 5000}}, "config key 'influence.k' is 5000, but task 'gettext-topic' has only 1000 training examples"),
        ({"sketch": {"shards": 9}}, "config key 'sketch.shards' is 9, but task 'gettext-topic' has 1000 training examples, 4 window(s)"),
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
    code, output = _dry(workdir, "results/data/wikipedia/rep0/train.parquet")
    assert code != 0
    assert "task 'wikipedia' is not in config.tasks (configured: gettext-topic)" in output


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
