"""Helpers shared by the data tests (task specs with schema defaults, fake gettext catalogs),
and tests that the task schema and its defaults fit the data stage."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import polib
import pytest
import yaml

from langspec.data.tasks import SOURCES

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8"))
HUB_FIXTURES = REPO / "tests" / "fixtures" / "hub"
AREAS_FILE = REPO / "resources" / "gettext_areas.yaml"


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _fill(node: dict, value):
    """``value`` with the schema's defaults filled in, recursively."""
    node = _resolve(node)
    if "properties" not in node or not (value is None or isinstance(value, dict)):
        return value
    out = dict(value or {})
    for key, sub in node["properties"].items():
        sub = _resolve(sub)
        if key in out:
            out[key] = _fill(sub, out[key])
        elif "default" in sub:
            out[key] = _fill(sub, sub["default"])
    return out


def _merge(base: dict, overrides: dict) -> dict:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def task_spec(source: str, **overrides) -> dict:
    """A task config as the workflow hands it over: schema defaults filled in, ``overrides`` merged."""
    spec = _merge({"source": source}, overrides)
    spec = _fill(SCHEMA["definitions"]["task"], spec)
    jsonschema.validate({"tasks": {"t": spec}}, SCHEMA)
    return spec


def write_catalog(locale_dir: Path, locale: str, domain: str, messages: dict, plurals: dict | None = None) -> Path:
    """Compile ``messages`` (msgid -> msgstr, or (msgctxt, msgid) -> msgstr) into ``<locale>/LC_MESSAGES/<domain>.mo``."""
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": locale}
    for key, text in messages.items():
        context, msgid = key if isinstance(key, tuple) else (None, key)
        catalog.append(polib.POEntry(msgctxt=context, msgid=msgid, msgstr=text))
    for (singular, plural), forms in (plurals or {}).items():
        catalog.append(polib.POEntry(msgid=singular, msgid_plural=plural, msgstr_plural=dict(enumerate(forms))))
    path = locale_dir / locale / "LC_MESSAGES" / f"{domain}.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.save_as_mofile(str(path))
    return path


def test_task_defaults_validate_for_every_source():
    for source in SOURCES:
        spec = task_spec(source)
        assert spec["size"] == {"train": 2000, "dev": 500, "test": 500}
        assert set(spec["gettext"]) >= {"locale_dir", "areas_file", "min_chars", "min_words", "dev_fraction"}
        assert spec["local"]["columns"]["text_a"] == "text"


def test_schema_rejects_unknown_source_and_keys():
    with pytest.raises(jsonschema.ValidationError):
        task_spec("no-such-source")
    with pytest.raises(jsonschema.ValidationError):
        task_spec("gettext-topic", gettext={"areaz": ["database"]})


def test_default_areas_file_is_the_shipped_one():
    assert (REPO / task_spec("gettext-topic")["gettext"]["areas_file"]) == AREAS_FILE


def test_sources_match_the_schema_enum():
    assert list(SOURCES) == SCHEMA["definitions"]["task"]["properties"]["source"]["enum"]
