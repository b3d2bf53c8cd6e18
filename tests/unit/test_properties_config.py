"""Properties of the configuration loader over thousands of random documents: settings
and directories that are valid once a key is changed, added or dropped, random YAML-ish
trees, and random text read as YAML. The only error is ConfigError, one French line that
names the key when a key is at fault."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.strategies import hostile_text, sized
from traam_bot.config import ConfigError, Settings, parse_directory, parse_settings
from traam_bot.config.files import key_path
from traam_bot.domain.model import Directory

BASE = Path("/srv/traam/config")
VALID_SETTINGS: dict[str, Any] = {
    "matrix": {"homeserver": "http://127.0.0.1:8008", "user_id": "@traam-bot:localhost",
               "password": "s3cret-réel", "device_name": "traam-bot", "store_path": "data/store"},
    "database": {"url": "sqlite+aiosqlite:///data/traam.db"},
    "outbox": {"max_age_hours": 24},
    "limits": {"min_interval_minutes": 60, "reminders_per_room": 20},
    "timezone": "Europe/Paris",
    "directory": "traam.yaml",
    "admins": ["@coordinatrice:localhost"],
    "referents": ["@referente:localhost"],
    "allowed_servers": ["localhost"],
    "command_prefix": "!",
}
VALID_DIRECTORY: dict[str, Any] = {
    "region": "Bourgogne-Franche-Comté",
    "year": "2025-2026",
    "projects": [{"id": "besancon-nsi-egalite", "academie": "Besançon", "discipline": "NSI",
                  "theme": "L’égalité filles garçons", "phase": "Année 1",
                  "room": "#traam-nsi:localhost"}],
    "contacts": [{"name": "Julie MARCHALAND", "role": "Référente TraAM",
                  "email": "julie@example.fr", "matrix_id": None}],
}

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), hostile_text(),
    st.sampled_from([0, -1, 1, 10**30, float("nan"), float("inf"), "", " ", "60", "1e3",
                     "@room", "@a:b", "http://x", "sqlite+aiosqlite:///a\x00b", "..", "/",
                     "Europe/Paris", "Europe/", "changeme", "\x00", "data/\x00store",
                     "#salon:localhost", "!id:localhost", "a" * 300]),
)
KEYS = st.one_of(hostile_text(), st.integers(), st.none())
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(KEYS, SCALARS, max_size=3))
TREES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=6)


def _paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in `tree` (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*prefix, index))
    return found


def _mutated(valid: dict[str, Any], data: st.DataObject) -> tuple[dict[str, Any], tuple, str]:
    """`valid` with one value replaced, one key added or one key dropped; the path of what
    changed (for an added key, its own path) and the change."""
    doc = copy.deepcopy(valid)
    path = data.draw(st.sampled_from(_paths(doc)))
    *parents, last = path
    holder: Any = doc
    for key in parents:
        holder = holder[key]
    action = data.draw(st.sampled_from(["replace", "add", "drop"]))
    if action == "replace":
        holder[last] = data.draw(VALUES)
    elif action == "add" and isinstance(holder, dict):
        key = data.draw(hostile_text().filter(lambda k: k not in holder))
        holder[key] = data.draw(VALUES)
        path = (*parents, key)
    elif action == "drop" and isinstance(holder, dict):
        del holder[last]
    else:
        action = "none"
    return doc, path, action


def assert_config_error(err: ConfigError) -> str:
    message = str(err)
    assert message.strip(), "an empty message"
    assert "Traceback" not in message and "pydantic" not in message.lower()
    return message


ENV = st.dictionaries(st.sampled_from(["TRAAM_BOT_PASSWORD", "TRAAM_BOT_ACCESS_TOKEN",
                                       "TRAAM_BOT_DATABASE_URL", "TRAAM_BOT_RECOVERY_KEY"]),
                      hostile_text(), max_size=2)


@sized(400)
@given(data=st.data())
@example(data=None)  # a directory path with a NUL character once raised ValueError
def test_settings_one_change_away_from_valid(data: st.DataObject | None) -> None:
    if data is None:
        raw, path, action = {**VALID_SETTINGS, "directory": "\x00"}, ("directory",), "replace"
    else:
        raw, path, action = _mutated(VALID_SETTINGS, data)
    try:
        result = parse_settings(raw, BASE, {})
    except ConfigError as err:
        message = assert_config_error(err)
        assert key_path(path[:1]) in message, (path, message)  # the key at fault is named
        if action == "add":  # unknown, or unreadable (a NUL or a lone surrogate escape)
            assert key_path(path) in message, (path, message)
        return
    assert action != "add", path
    assert isinstance(result, Settings)
    assert result.limits.min_interval_minutes >= 1 and result.limits.reminders_per_room >= 1


@sized(100)
@given(env=ENV, database=st.one_of(st.none(), SCALARS))
def test_environment_overrides_are_validated_too(env: dict[str, str], database: Any) -> None:
    raw = copy.deepcopy(VALID_SETTINGS)
    if database is not None:
        raw["database"] = database
    try:
        result = parse_settings(raw, BASE, env)
    except ConfigError as err:
        assert_config_error(err)
        return
    if env.get("TRAAM_BOT_PASSWORD"):
        assert result.matrix.password == env["TRAAM_BOT_PASSWORD"]


@sized(200)
@given(data=st.data())
def test_directory_one_change_away_from_valid(data: st.DataObject) -> None:
    raw, path, action = _mutated(VALID_DIRECTORY, data)
    try:
        result = parse_directory(raw)
    except ConfigError as err:
        message = assert_config_error(err)
        assert message.startswith("annuaire")
        assert key_path(path[:1]) in message, (path, message)
        return
    assert action != "add", path
    assert isinstance(result, Directory)


@sized(200)
@given(raw=TREES)
def test_any_tree_is_settings_or_a_config_error(raw: Any) -> None:
    for parse in (lambda r: parse_settings(r, BASE, {}), parse_directory,
                  lambda r: parse_settings({"matrix": VALID_SETTINGS["matrix"], "x": r}, BASE,
                                           {})):
        try:
            parse(raw)
        except ConfigError as err:
            assert_config_error(err)


YAML_PIECES = st.sampled_from([
    "matrix:", "  homeserver: http://h", "  user_id: '@b:h'", "  password: x", "limits:",
    "  min_interval_minutes: 5", "  reminders_per_room: -3", "admins: [", "]", "- a", "  - b",
    "key: &a [1, 2]", "other: *a", "!!python/object:os.system", "!!binary aGk=", "? complex",
    ": value", "'unclosed", '"esc\\x00"', "\t", "---", "...", "%YAML 1.2", "{a: {b: {c: []}}}",
    "<<: *a", "year: 2025", "projects: []", "region: R", "null: ~", "1: 2", "true: false",
])


@sized(300)
@given(lines=st.lists(st.one_of(YAML_PIECES, hostile_text()), max_size=8))
def test_any_text_read_as_yaml_is_refused_cleanly(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # read_yaml turns it into a ConfigError naming the line (test_config.py)
    for parse in (lambda r: parse_settings(r, BASE, {}), parse_directory):
        try:
            parse(raw)
        except ConfigError as err:
            assert_config_error(err)
