"""The influence browser: the long table against the influence arrays, the sample, and the page in Chromium.

The page test drives Debian's Chromium (installed with apt-get when missing)
headless through the DevTools protocol over a pipe, offline: the page loads,
shows the expected rows, searching and per-column filtering narrow them,
clicking a header sorts, texts are shown verbatim, nothing is fetched from the
network, and the page also works inside an iframe as the Snakemake report
embeds it (a data: URI).
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from langspec.attribution.influence import Influence, read_influence, write_influence
from langspec.browser import COLUMNS, PAIR_SEPARATOR, long_table, read_label_names, sample, write_examples
from langspec.core.atomic import write_json, write_parquet
from langspec.core.errors import LangspecError

from .system import can_install, install_chromium

LANGS = ("en", "de", "ru")
LABELS = ["database", "version-control", "desktop"]
WORDS = {
    "en": "database table connection row column window button branch commit merge remote query index",
    "de": "Datenbank Tabelle Verbindung Zeile Spalte Fenster Knopf Zweig Commit Zusammenführen Abfrage Index",
    "ru": "база таблица соединение строка столбец окно кнопка ветка коммит слияние запрос индекс",
}
#: A test text that must be shown verbatim: markup, an ampersand and a closing script tag.
TRICKY = '<b>not bold</b> & "quoted" </script> tricky'


def _split(prefix: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        words = WORDS[lang].split()
        text_a = " ".join(rng.choice(words, int(rng.integers(2, 9))))
        text_b = " ".join(rng.choice(words, 3)) if i % 7 == 3 else None  # a few pairs
        rows.append({"uid": f"{prefix}-{i:03d}", "lang": lang, "text_a": text_a, "text_b": text_b, "label": int(rng.integers(0, 3))})
    frame = pd.DataFrame(rows)
    if prefix == "test":
        frame.loc[0, ["text_a", "text_b"]] = [TRICKY, None]
    return frame


def make_results(root: Path, replicate: int = 0, n_train: int = 90, n_test: int = 45, k: int = 12, seed: int = 0,
                 task: str = "toy", regime: str = "sft", condition: str = "own", score_seed: int = 0) -> dict:
    """A results tree with one replicate's data splits (drawn with ``seed``), manifest and influence file (2 checkpoints)."""
    rng = np.random.default_rng(seed)
    train, test = _split("train", n_train, rng), _split("test", n_test, rng)
    rng = np.random.default_rng([seed, score_seed])
    data = root / "data" / task / f"rep{replicate}"
    write_parquet(data / "train.parquet", train)
    write_parquet(data / "test.parquet", test)
    write_json(data / "manifest.json", {"task": task, "label_names": LABELS})

    def top(scores):
        pos = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        neg = np.argsort(scores, axis=1, kind="stable")[:, :k]
        return pos, np.take_along_axis(scores, pos, 1), neg, np.take_along_axis(scores, neg, 1)

    per_epoch = rng.normal(size=(2, n_test, n_train))
    epoch_pred = rng.integers(0, 3, size=(2, n_test))
    epoch_correct = epoch_pred == test["label"].to_numpy()
    pos_idx, pos_score, neg_idx, neg_score = top(per_epoch.sum(0))
    stacked = [top(s) for s in per_epoch]
    influence = Influence(
        test_uid=test["uid"].to_numpy(), test_lang=test["lang"].to_numpy(), test_label=test["label"].to_numpy(),
        test_pred=epoch_pred[-1], train_uid=train["uid"].to_numpy()[::-1].copy(), train_lang=train["lang"].to_numpy()[::-1].copy(),
        correct=epoch_correct[-1], pos_idx=pos_idx, pos_score=pos_score, neg_idx=neg_idx, neg_score=neg_score,
        epoch_correct=epoch_correct,
        epoch={name: np.stack([s[i] for s in stacked]) for i, name in enumerate(("pos_idx", "pos_score", "neg_idx", "neg_score"))},
        attrs={"k": k, "similarity": "cosine", "checkpoints": json.dumps(["epoch1", "epoch2"])},
    )
    path = root / "influence" / task / f"rep{replicate}" / regime / f"{condition}.h5"
    write_influence(path, influence)
    return {"influence": path, "train": data / "train.parquet", "test": data / "test.parquet",
            "manifest": data / "manifest.json", "train_frame": train, "test_frame": test, "k": k}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("results"))


# ---------------------------------------------------------------- the table


def test_long_table_follows_the_influence_arrays(made):
    influence = read_influence(made["influence"])
    train, test = made["train_frame"].set_index("uid"), made["test_frame"].set_index("uid")
    frame = long_table(influence, made["train_frame"], made["test_frame"], LABELS)
    k = made["k"]
    assert tuple(frame.columns) == COLUMNS
    assert len(frame) == len(influence.test_uid) * 2 * k
    for t in (0, 3, 17, 44):
        rows = frame[frame["test_uid"] == influence.test_uid[t]]
        assert list(rows["sign"]) == ["pos"] * k + ["neg"] * k and list(rows["rank"]) == [*range(1, k + 1)] * 2
        for sign in ("pos", "neg"):
            part = rows[rows["sign"] == sign]
            idx = getattr(influence, f"{sign}_idx")[t]
            assert list(part["train_uid"]) == list(influence.train_uid[idx])
            assert np.allclose(part["score"], getattr(influence, f"{sign}_score")[t])
            uid = part["train_uid"].iloc[0]
            assert part["train_lang"].iloc[0] == train.loc[uid, "lang"]
            assert part["train_label"].iloc[0] == LABELS[train.loc[uid, "label"]]
        assert (rows["gold"] == LABELS[test.loc[influence.test_uid[t], "label"]]).all()
        assert (rows["prediction"] == LABELS[influence.test_pred[t]]).all()
        assert (rows["correct"] == bool(influence.correct[t])).all()
    assert frame.loc[frame["rank"] == 1].groupby("test_uid")["score"].agg(list).map(lambda s: s[0] > s[1]).all()
    assert (frame["test_text"] == TRICKY).sum() == 2 * k


def test_pairs_are_joined_and_labels_stay_ids_without_names(made):
    influence = read_influence(made["influence"])
    train = made["train_frame"].set_index("uid")
    # the first test example's positive ranking: pairs first, then single texts
    pairs = [j for j, uid in enumerate(influence.train_uid) if not pd.isna(train.loc[uid, "text_b"])]
    singles = [j for j, uid in enumerate(influence.train_uid) if pd.isna(train.loc[uid, "text_b"])]
    k = influence.pos_idx.shape[1]
    influence.pos_idx[0] = (pairs + singles)[:k]
    frame = long_table(influence, made["train_frame"], made["test_frame"], rows=[0])
    assert len(pairs) >= 3 and len(frame) == 2 * k
    for uid, text in zip(frame["train_uid"], frame["train_text"]):
        row = train.loc[uid]
        expected = row["text_a"] if pd.isna(row["text_b"]) else row["text_a"] + PAIR_SEPARATOR + row["text_b"]
        assert text == expected
    assert frame["train_text"].str.contains(PAIR_SEPARATOR).sum() >= 3
    assert set(frame["train_label"]) <= {"0", "1", "2"} and set(frame["gold"]) <= {"0", "1", "2"}


def test_epoch_and_k_select_the_checkpoint_ranking(made):
    influence = read_influence(made["influence"])
    frame = long_table(influence, made["train_frame"], made["test_frame"], LABELS, k=3, epoch=2)
    assert len(frame) == len(influence.test_uid) * 6
    first = frame[frame["test_uid"] == influence.test_uid[5]]
    assert list(first["train_uid"][:3]) == list(influence.train_uid[influence.epoch["pos_idx"][1, 5, :3]])
    assert (first["correct"] == bool(influence.epoch_correct[1, 5])).all()
    with pytest.raises(LangspecError, match="epoch 3 is not among"):
        long_table(influence, made["train_frame"], made["test_frame"], epoch=3)


def test_a_split_without_the_files_examples_fails_with_one_line(made):
    influence = read_influence(made["influence"])
    with pytest.raises(LangspecError, match=r"data file x.parquet lacks 1 of the influence file's training examples") as error:
        long_table(influence, made["train_frame"].iloc[1:], made["test_frame"], where=("data file x.parquet", "test"))
    assert "\n" not in str(error.value)


def test_sample_is_seeded_per_language_and_takes_all_where_few():
    langs = np.array(["en"] * 30 + ["de"] * 4 + ["ru"] * 12)
    chosen = sample(langs, 10, seed=3)
    assert np.array_equal(chosen, np.sort(chosen)) and len(set(chosen)) == len(chosen)
    counts = pd.Series(langs[chosen]).value_counts()
    assert counts.to_dict() == {"en": 10, "ru": 10, "de": 4}
    assert np.array_equal(chosen, sample(langs, 10, seed=3))
    assert not np.array_equal(chosen, sample(langs, 10, seed=4))
    # another language added (after the others) leaves their samples unchanged
    more = np.concatenate([langs, ["fr"] * 20])
    assert np.array_equal(sample(more, 10, seed=3)[:24], chosen)
    with pytest.raises(LangspecError):
        sample(langs, 0, seed=3)


def test_label_names_come_from_the_manifest(made, tmp_path):
    assert read_label_names(made["manifest"]) == LABELS
    with pytest.raises(LangspecError, match="does not exist"):
        read_label_names(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(LangspecError, match="label_names"):
        read_label_names(tmp_path / "bad.json")


@pytest.fixture(scope="module")
def page(made, tmp_path_factory):
    out = tmp_path_factory.mktemp("examples") / "toy" / "rep0" / "sft" / "own"
    frame = write_examples(made["influence"], made["train"], made["test"], made["manifest"],
                           out / "examples.csv", out / "examples.html", per_language=10, k=10, seed=0)
    return {"frame": frame, "csv": out / "examples.csv", "html": out / "examples.html"}


def test_write_examples_writes_the_sample_as_csv_and_a_self_contained_page(page, made):
    frame = page["frame"]
    assert len(frame) == 30 * 20 and frame["test_uid"].nunique() == 30
    assert frame.drop_duplicates("test_uid")["test_lang"].value_counts().to_dict() == {"en": 10, "de": 10, "ru": 10}
    back = pd.read_csv(page["csv"], keep_default_na=False)
    assert list(back.columns) == list(COLUMNS) and len(back) == len(frame)
    assert list(back["train_text"]) == list(frame["train_text"])
    assert np.allclose(back["score"], frame["score"], rtol=1e-5)
    text = page["html"].read_text(encoding="utf-8")
    assert "Influence examples: task toy, replicate 0, regime sft, condition own" in text
    for attribute in ("src=", "href="):
        for chunk in text.split(attribute)[1:]:
            assert not chunk.lstrip("'\"").startswith(("http:", "https:", "//")), chunk[:80]
    assert "</script> tricky" not in text  # the payload cannot close its script element
    assert page["html"].stat().st_size < 1_200_000
    assert not [p for p in page["html"].parent.iterdir() if p.name.startswith(".")]  # no temporary files left


# ---------------------------------------------------------------- Chromium


class Chromium:
    """Headless Chromium driven through the DevTools protocol over a pipe (no network, no extra packages)."""

    FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--remote-debugging-pipe", "--window-size=1400,1000")
    # Chromium reads commands on fd 3 and answers on fd 4: move the pipe ends there, then exec it
    TRAMPOLINE = ("import os, sys; r, w = os.dup(int(sys.argv[1])), os.dup(int(sys.argv[2])); "
                  "os.dup2(r, 3); os.dup2(w, 4); os.set_inheritable(3, True); os.set_inheritable(4, True); "
                  "os.execv(sys.argv[3], sys.argv[3:])")

    def __init__(self, executable: str, profile: Path, log: Path) -> None:
        to_browser, self._out = os.pipe()
        self._in, from_browser = os.pipe()
        command = [sys.executable, "-c", self.TRAMPOLINE, str(to_browser), str(from_browser), executable,
                   *self.FLAGS, f"--user-data-dir={profile}", "about:blank"]
        with open(log, "wb") as stderr:
            self.process = subprocess.Popen(command, pass_fds=(to_browser, from_browser),
                                            stdout=subprocess.DEVNULL, stderr=stderr)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._id, self.session, self.events = b"", 0, None, []
        target = next(t for t in self.send("Target.getTargets")["targetInfos"] if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)["sessionId"]
        self.send("Network.enable")
        self.send("Page.enable")

    def send(self, method: str, timeout: float = 30, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self._id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
                if "method" in reply:
                    self.events.append(reply)
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer {method} within {timeout} s")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk

    def js(self, expression: str, context: int | None = None):
        extra = {"contextId": context} if context is not None else {}
        reply = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True, **extra)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30, context: int | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.js(expression, context):
                return
            time.sleep(0.05)
        raise TimeoutError(f"{expression} still false after {timeout} s")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete'")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        x, y = self.js(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                       " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        """Click into a text box, clear it and type ``text`` as keyboard input."""
        self.click(selector)
        self.js(f"document.querySelector({json.dumps(selector)}).select()")
        self.send("Input.dispatchKeyEvent", type="rawKeyDown", key="Backspace", code="Backspace", windowsVirtualKeyCode=8)
        self.send("Input.dispatchKeyEvent", type="keyUp", key="Backspace", code="Backspace", windowsVirtualKeyCode=8)
        if text:
            self.send("Input.insertText", text=text)

    def screenshot(self, path: Path) -> None:
        self.js("window.scrollTo(0, 0)")
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._out)
        os.close(self._in)


@pytest.fixture(scope="session")
def chromium_executable(tmp_path_factory):
    """Debian's Chromium, installed with apt-get when missing (needs root, as the SLURM test does)."""
    if shutil.which("chromium") is None and (why := can_install()):
        pytest.skip(f"Chromium is not installed and {why} (Debian: apt-get install chromium)")
    try:
        return install_chromium(tmp_path_factory.mktemp("apt") / "apt.log")
    except RuntimeError as err:
        pytest.fail(str(err))


@pytest.fixture
def browser(chromium_executable, tmp_path):
    chromium = Chromium(chromium_executable, tmp_path / "profile", tmp_path / "chromium.log")
    yield chromium
    chromium.close()


READY = "document.body && document.body.dataset.ready === 'true'"
ROWS = "document.querySelectorAll('#examples tbody tr').length"
INFO = "document.querySelector('.dt-info').textContent"
SCORES = "[...document.querySelectorAll('#examples tbody td.score')].map(td => Number(td.textContent))"


def _filtered(frame: pd.DataFrame, word: str) -> int:
    """Rows in which some cell contains ``word`` (case-insensitive), as DataTables' search finds them."""
    shown = frame.assign(correct=frame["correct"].map({True: "yes", False: "no"}), score=frame["score"].round(4))
    return int(shown.astype(str).apply(lambda column: column.str.contains(word, case=False, regex=False)).any(axis=1).sum())


def test_the_page_loads_searches_filters_and_sorts_in_chromium(page, browser, tmp_path):
    frame, started = page["frame"], time.monotonic()
    browser.open(page["html"].as_uri())
    browser.wait_for(READY)
    n = len(frame)
    assert browser.js(INFO) == f"Showing 1 to 20 of {n} entries"
    assert browser.js(ROWS) == 20
    first = browser.js("[...document.querySelectorAll('#examples tbody tr:first-child td')].map(td => td.textContent)")
    assert first[:3] == list(frame.iloc[0][["test_uid", "test_lang", "test_text"]]) and first[6:8] == ["pos", "1"]
    browser.screenshot(tmp_path / "examples.png")

    # every row, through the page-length menu
    browser.js("(() => { const s = document.querySelector('.dt-length select'); s.value = '-1';"
               " s.dispatchEvent(new Event('change', {bubbles: true})); })()")
    browser.wait_for(f"{ROWS} === {n}")

    # the search box filters on all columns
    word = frame.loc[frame["test_lang"] == "de", "test_text"].iloc[0].split()[0]
    browser.type_into(".dt-search input", word)
    browser.wait_for(f"{ROWS} === {_filtered(frame, word)}")
    assert 0 < _filtered(frame, word) < n
    # texts are shown verbatim, markup included
    browser.type_into(".dt-search input", "tricky")
    browser.wait_for(f"{ROWS} === 20")
    assert browser.js("document.querySelector('#examples tbody td.test_text').textContent") == TRICKY
    assert browser.js("document.querySelector('#examples tbody td.test_text b')") is None
    browser.type_into(".dt-search input", "")
    browser.wait_for(f"{ROWS} === {n}")

    # a column's own box filters that column
    browser.type_into("#examples tfoot th:nth-child(7) input", "neg")
    browser.wait_for(f"{ROWS} === {n // 2}")
    assert set(browser.js("[...document.querySelectorAll('#examples tbody td.sign')].map(td => td.textContent)")) == {"neg"}
    browser.type_into("#examples tfoot th:nth-child(7) input", "")
    browser.wait_for(f"{ROWS} === {n}")

    # a click on the score header sorts ascending, a second one descending
    expected = np.sort(frame["score"].round(4).to_numpy())
    browser.click("#examples thead th:nth-child(13)")
    browser.wait_for(f"{SCORES}[0] === {expected[0]}")
    assert np.allclose(browser.js(SCORES), expected)
    browser.click("#examples thead th:nth-child(13)")
    browser.wait_for(f"{SCORES}[0] === {expected[-1]}")
    assert np.allclose(browser.js(SCORES), expected[::-1])
    # and the text column sorts as text
    langs = "[...document.querySelectorAll('#examples tbody td.test_lang')].map(td => td.textContent)"
    browser.click("#examples thead th:nth-child(2)")
    browser.wait_for(f"{langs}.every((lang, i, all) => i === 0 || all[i - 1] <= lang)")
    assert browser.js(langs) == sorted(frame["test_lang"])

    requests = [e["params"]["request"]["url"] for e in browser.events if e["method"] == "Network.requestWillBeSent"]
    assert requests and all(url.split(":", 1)[0] in ("file", "blob", "data") for url in requests), requests
    print(f"page test: {time.monotonic() - started:.1f} s; screenshot {tmp_path / 'examples.png'}")


def test_the_page_works_inside_the_snakemake_report_iframe(page, browser, tmp_path):
    """The single-file report shows a result page in an iframe whose src is the file as a data: URI."""
    from snakemake.report.common import data_uri_from_file

    uri = data_uri_from_file(page["html"])
    assert len(uri) < 1_900_000  # Chromium does not open data: URIs in frames beyond 2 MB
    (tmp_path / "report.html").write_text(f"<iframe id=result style='width:1300px;height:900px' src='{uri}'></iframe>")
    browser.open((tmp_path / "report.html").as_uri())
    deadline = time.monotonic() + 30
    while True:
        frames = browser.send("Page.getFrameTree")["frameTree"].get("childFrames", [])
        if frames and frames[0]["frame"]["url"].startswith("data:"):
            break
        assert time.monotonic() < deadline, "the iframe did not load its data: URI"
        time.sleep(0.1)
    context = browser.send("Page.createIsolatedWorld", frameId=frames[0]["frame"]["id"])["executionContextId"]
    browser.wait_for(READY, context=context)
    assert browser.js(INFO, context=context) == f"Showing 1 to 20 of {len(page['frame'])} entries"
