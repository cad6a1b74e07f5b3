"""Bad input through the workflow: one clear line naming the key, task, language or figure."""

from __future__ import annotations

import pytest

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
    ],
)
def test_bad_config_is_one_line_naming_the_key(workdir, config, message):
    code, output = _dry(workdir, config=config)
    assert code != 0
    assert message in output, output[-2000:]
    assert "Traceback" not in output


def test_unknown_task_is_named_with_the_configured_ones(workdir):
    code, output = _dry(workdir, "results/data/wikipedia/train.parquet")
    assert code != 0
    assert "task 'wikipedia' is not in config.tasks (configured: gettext-topic)" in output


def test_mask_for_a_language_the_task_lacks_is_named(workdir):
    code, output = _dry(workdir, "results/masks/gettext-topic/ko.json")
    assert code != 0
    assert "language 'ko' is not a language of task 'gettext-topic' (it has en, de, fr, es, ru)" in output


def test_figure_without_its_task_says_what_to_add(workdir):
    code, output = _dry(workdir, "results/figures/fig14.pdf")
    assert code != 0
    assert ("fig14 draws no task: add a task under config.tasks (the paper uses pawsx) "
            "or set figures.fig14.task to one of gettext-topic") in output


def test_composition_of_an_unknown_language_is_named(workdir):
    code, output = _dry(workdir, "results/influence/gettext-topic/sft/intersection-es-ko.h5")
    assert code != 0
    assert "language 'ko' is not a language of task 'gettext-topic'" in output


def test_default_config_draws_every_figure_but_14_and_15(workdir):
    code, output = _dry(workdir, "all")
    assert code == 0, output[-2000:]
    for n in range(2, 20):
        assert (f"results/figures/fig{n}.pdf" in output) == (n not in (14, 15)), n
