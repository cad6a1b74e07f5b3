"""langspec.results: the read API a notebook uses, on a small results tree made here."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest

from langspec import results
from langspec.attribution.influence import read_influence
from langspec.attribution.shares import compare
from langspec.browser import COLUMNS
from langspec.core.atomic import write_json
from langspec.core.errors import LangspecError
from langspec.heads.masks import save_mask
from langspec.stats.claims import Evidence, findings
from langspec.stats.replicates import aggregate_shares, method_note
from langspec.stats.source_data.heads import fig8, write_source_data

from .test_browser import LABELS, LANGS, make_results
from .workspace import REPO

TASK = "gettext-topic"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Two replicates' data, influence (sft/own and the full/full baseline), shares and masks, and their aggregate."""
    root = tmp_path_factory.mktemp("workdir") / "results"
    tables = []
    for r in (0, 1):
        made = make_results(root, replicate=r, seed=10 + r, task=TASK, regime="sft", condition="own")
        make_results(root, replicate=r, seed=10 + r, task=TASK, regime="full", condition="full", score_seed=1)
        table = compare(read_influence(made["influence"]), read_influence(root / "influence" / TASK / f"rep{r}" / "full" / "full.h5"), list(LANGS))
        path = root / "shares" / TASK / f"rep{r}" / "sft" / "own.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(path, index=False, float_format="%.4f")
        tables.append(pd.read_csv(path))
        save_mask(root / "masks" / TASK / f"rep{r}" / "de.json", np.array([[1, 0, 1], [1, 1, 0]]), "de", "pruned", seed=r,
                  trajectory=[{"heads_kept": 4, "metric": 0.9, "ratio": 0.97}])
    aggregated = root / "shares" / TASK / "sft" / "own.csv"
    aggregated.parent.mkdir(parents=True)
    aggregate_shares(tables).to_csv(aggregated, index=False, float_format="%.6g")
    write_json(aggregated.with_name("own.interval.json"), method_note(len(tables)))
    with open(aggregated.with_name("own.epochs.csv"), "w") as out:  # notes in leading '#' lines are skipped
        out.write("# a note\n# another\n")
        aggregate_shares(tables).to_csv(out, index=False)
    (root / "findings" / "lth").mkdir(parents=True)
    findings(Evidence(shares={"full/own": tables})).to_csv(root / "findings" / f"{TASK}.csv", index=False)
    overlap = pd.DataFrame({"rep": ["0", "1"], "kind": "pair", "a": "de", "b": "en", "layer": "all",
                            "jaccard": [0.8, 0.82], "sparsity": 0.5})
    (root / "lth" / TASK).mkdir(parents=True)
    overlap.to_csv(root / "lth" / TASK / "overlap.csv", index=False)
    findings(Evidence(lth={"overlap": overlap}, settings={"overlap_sparsity": 0.5})).to_csv(
        root / "findings" / "lth" / f"{TASK}.csv", index=False)
    rng = np.random.default_rng(3)  # figure 8's source data, as the workflow writes it beside the figure
    masks = [{lang: (rng.random((2, 3)) < 0.6).astype(int) for lang in LANGS} for _ in tables]
    (root / "figures").mkdir()
    write_source_data(root / "figures" / "fig8.data.csv", fig8({TASK: masks}, {TASK: tables}))
    return root


def test_shares_of_one_replicate_and_of_the_aggregate(root):
    one = results.shares(root, TASK, "sft", "own", replicate=1)
    assert list(one.columns[:3]) == ["test_lang", "train_lang", "sign"] and len(one) == 2 * len(LANGS) ** 2
    assert "change_pct" in one
    mean = results.shares(root, TASK, "sft", "own")
    assert {"measure", "mean", "ci_low", "ci_high", "robust"} <= set(mean.columns)
    assert mean.attrs["interval"]["replicates"] == 2 and "t-interval" in mean.attrs["interval"]["method"]
    noted = results.shares(root, TASK, "sft", "own", epochs=True)
    assert noted.attrs["notes"] == ["a note", "another"] and len(noted) == len(mean)
    cell = mean[(mean["measure"] == "change_pct") & (mean["test_lang"] == "de") & (mean["train_lang"] == "en") & (mean["sign"] == "neg")]
    both = [results.shares(root, TASK, "sft", "own", replicate=r) for r in (0, 1)]
    values = [t[(t["test_lang"] == "de") & (t["train_lang"] == "en") & (t["sign"] == "neg")]["change_pct"].item() for t in both]
    assert cell["mean"].item() == pytest.approx(np.nanmean(values), abs=1e-3)


def test_influence_is_a_long_frame_with_texts(root):
    frame = results.influence(root, TASK, 0, "sft", "own")
    raw = read_influence(root / "influence" / TASK / "rep0" / "sft" / "own.h5")
    k = raw.pos_idx.shape[1]
    assert tuple(frame.columns) == COLUMNS and len(frame) == len(raw.test_uid) * 2 * k
    assert frame.attrs["k"] == k and frame.attrs["similarity"] == "cosine"
    assert set(frame["gold"]) <= set(LABELS) and set(frame["train_lang"]) == set(LANGS)
    split = results.data(root, TASK, 0, "train").set_index("uid")
    row = frame.iloc[5]
    assert row["train_text"].startswith(split.loc[row["train_uid"], "text_a"])
    assert len(results.influence(root, TASK, 0, "sft", "own", k=2, epoch=1)) == len(raw.test_uid) * 4
    pd.concat([frame, frame])  # attrs hold plain values, so frames still concatenate


def test_mask_as_frame_and_array(root):
    frame = results.mask(root, TASK, 0, "de")
    assert list(frame.columns) == ["layer", "head", "enabled"] and len(frame) == 6
    assert frame.loc[(frame["layer"] == 0) & (frame["head"] == 1), "enabled"].item() is False
    assert frame.attrs["lang"] == "de" and frame.attrs["heads_disabled"] == 2
    assert np.array_equal(results.mask(root, TASK, 0, "de", array=True), [[1, 0, 1], [1, 1, 0]])
    assert results.label_names(root, TASK, 0) == LABELS


@pytest.mark.parametrize("call, named", [
    (lambda root: results.shares(root, TASK, "sft", "own", replicate=7), "shares/gettext-topic/rep7/sft/own.csv"),
    (lambda root: results.shares(root, TASK, "sft", "random1"), "shares/gettext-topic/sft/random1.csv"),
    (lambda root: results.influence(root, TASK, 0, "sft", "fr"), "influence/gettext-topic/rep0/sft/fr.h5"),
    (lambda root: results.mask(root, TASK, 0, "ko"), "masks/gettext-topic/rep0/ko.json"),
    (lambda root: results.data(root, TASK, 3), "data/gettext-topic/rep3/test.parquet"),
])
def test_a_missing_file_is_one_line_naming_it(root, call, named):
    with pytest.raises(LangspecError) as error:
        call(root)
    message = str(error.value)
    assert named in message and "does not exist" in message and "\n" not in message


def test_findings_and_lottery_ticket_tables(root):
    claims = results.findings(root, TASK)
    row = claims.set_index("id").loc["000-fig2-own-diagonal"]
    assert row["n_replicates"] == 2 and row["verdict"] in ("supported", "contradicted", "absent", "not resolved")
    assert (claims["paper"].isin(["000", "003", "neurons"])).all()
    lth = results.findings(root, TASK, paper="003").set_index("id")
    assert lth.loc["003-fig3-above-random", "mean"] == pytest.approx(81 - 100 / 3, abs=1e-3)
    assert list(results.tickets(root, TASK, "overlap")["jaccard"]) == [0.8, 0.82]
    with pytest.raises(LangspecError, match="paper 003's tables are"):
        results.tickets(root, TASK, "winners")
    with pytest.raises(LangspecError, match="lth/gettext-topic/transfer.csv.*does not exist"):
        results.tickets(root, TASK, "transfer")


def test_source_data_of_a_figure_by_its_id(root):
    """The numbers behind a figure, read back by figure id; a missing or unknown one is a one-line error."""
    frame = results.source_data(root, "fig8")
    cells = frame[frame["part"] == "similarity"]
    assert len(cells) == len(LANGS) ** 2 and {"mean", "p_value", "robust", "rep0", "rep1"} <= set(frame.columns)
    assert sorted(set(frame.loc[frame["part"] == "pairs", "replicate"].astype(int))) == [0, 1]
    with pytest.raises(LangspecError) as error:
        results.source_data(root, "fig4")
    message = str(error.value)
    assert "figures/fig4.data.csv" in message and "does not exist" in message and "\n" not in message
    with pytest.raises(LangspecError, match="no figure or table 'fig99'"):
        results.source_data(root, "fig99")


def test_bad_arguments_are_one_line(root):
    with pytest.raises(LangspecError, match="replicate must be"):
        results.influence(root, TASK, "0", "sft", "own")
    with pytest.raises(LangspecError, match="split must be"):
        results.data(root, TASK, 0, "validation")


def _example(text: str) -> str:
    """The indented code block after 'Example' in the module docstring."""
    block = text.split("::\n\n", 1)[1]
    return "\n".join(line[4:] for line in block.splitlines() if line.startswith("    ") or not line.strip())


def test_the_docstring_example_runs_in_a_notebook_directory(root, monkeypatch):
    monkeypatch.chdir(root.parent)
    code = _example(results.__doc__)
    assert "results.influence(" in code and "results.shares(" in code and "results.mask(" in code
    exec(compile(code, "langspec.results example", "exec"), {})


def test_the_readme_example_runs(root, monkeypatch):
    readme = (REPO / "README.md").read_text()
    blocks = [b for b in re.findall(r"```python\n(.*?)\n```", readme, re.S) if "from langspec import results" in b]
    if not blocks:
        pytest.skip("README has no `from langspec import results` example yet (issue 11, part 4)")
    monkeypatch.chdir(root.parent)
    for block in blocks:
        exec(compile(block, "README example", "exec"), {})
    assert os.getcwd() == str(root.parent)
