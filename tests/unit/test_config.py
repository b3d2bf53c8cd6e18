"""Bot settings and directory file: defaults, path resolution, refusals with the key path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from traam_bot.config import (
    ConfigError,
    Settings,
    load_directory,
    load_settings,
    parse_directory,
    parse_settings,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "bot.example.yaml"
DIRECTORY = REPO / "config" / "traam.yaml"
SHIPPED = REPO / "traam_bot" / "resources" / "traam.yaml"

BASE = Path("/srv/traam/config")
MATRIX = {
    "homeserver": "http://127.0.0.1:8008",
    "user_id": "@traam-bot:localhost",
    "password": "s3cret-réel",
}


def minimal(**top: Any) -> dict[str, Any]:
    return {"matrix": dict(MATRIX), **top}


def with_matrix(**keys: Any) -> dict[str, Any]:
    matrix = {k: v for k, v in {**MATRIX, **keys}.items() if v is not None}
    return {"matrix": matrix}


def parse(raw: Any, env: dict[str, str] | None = None) -> Settings:
    # env is always explicit: the developer's own TRAAM_BOT_* must not leak into tests
    return parse_settings(raw, BASE, {} if env is None else env)


def refused(raw: Any, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse(raw, env)
    return str(info.value)


# ------------------------------------------------------------------ defaults


def test_minimal_config_gets_every_default() -> None:
    s = parse(minimal())
    assert s.matrix.homeserver == "http://127.0.0.1:8008"
    assert s.matrix.user_id == "@traam-bot:localhost"
    assert s.matrix.password == "s3cret-réel"
    assert s.matrix.access_token is None
    assert s.matrix.device_id is None
    assert s.matrix.device_name == "traam-bot"
    assert s.matrix.store_path == str(BASE / "data" / "store")
    assert s.database.url == f"sqlite+aiosqlite:///{BASE}/data/traam.db"
    assert s.timezone == "Europe/Paris"
    assert s.tz.key == "Europe/Paris"
    # no traam.yaml beside /srv/traam/config/bot.yaml: the directory shipped in the package
    assert s.directory == str(SHIPPED)
    assert load_directory(s.directory) == load_directory(DIRECTORY)
    assert s.admins == ()
    assert s.referents == ()
    assert s.allowed_servers is None
    assert s.servers == ("localhost",)
    assert s.command_prefix == "!"
    assert s.limits.min_interval_minutes == 60
    assert s.limits.reminders_per_room == 20


def test_allowed_servers_default_to_the_bots_own_server() -> None:
    s = parse(with_matrix(user_id="@traam-bot:drane.example.fr:8448"))
    assert s.servers == ("drane.example.fr:8448",)


def test_academic_and_tchap_style_names_with_dashes_are_accepted() -> None:
    s = parse(minimal(
        allowed_servers=["ac-besancon.fr", "matrix.ac-dijon.fr:8448",
                         "agent.mon-ministere.tchap.gouv.fr", "[2001:db8::1]:8448"],
        admins=["@prenom.nom-ac-besancon.fr:agent.mon-ministere.tchap.gouv.fr"],
        referents=["@referente:matrix.ac-dijon.fr:8448"],
    ))
    assert s.servers == ("ac-besancon.fr", "matrix.ac-dijon.fr:8448",
                         "agent.mon-ministere.tchap.gouv.fr", "[2001:db8::1]:8448")
    assert s.admins == ("@prenom.nom-ac-besancon.fr:agent.mon-ministere.tchap.gouv.fr",)
    assert parse(with_matrix(user_id="@traam-bot:ac-besancon.fr")).servers == ("ac-besancon.fr",)


@pytest.mark.parametrize("bad", ["https://ac-besancon.fr", "@ian:ac-besancon.fr",
                                 "ac besancon.fr", "", "ac-besancon.fr/"])
def test_a_server_name_that_is_not_one_is_refused_with_the_key(bad: str) -> None:
    message = refused(minimal(allowed_servers=["ac-dijon.fr", bad]))
    assert message.startswith("allowed_servers")
    assert f"« {bad} »" in message and "ac-besancon.fr" in message


def test_explicit_values_are_kept() -> None:
    s = parse(minimal(
        timezone="America/Cayenne",
        admins=["@coordinatrice:localhost"],
        referents=["@referente:localhost", "@autre:example.org"],
        allowed_servers=["localhost", "agent.tchap.gouv.fr"],
        command_prefix="?",
        directory="annuaire/traam.yaml",
    ))
    assert s.timezone == "America/Cayenne"
    assert s.admins == ("@coordinatrice:localhost",)
    assert s.referents == ("@referente:localhost", "@autre:example.org")
    assert s.servers == ("localhost", "agent.tchap.gouv.fr")
    assert s.command_prefix == "?"
    assert s.directory == str(BASE / "annuaire" / "traam.yaml")


def test_limits_are_kept() -> None:
    s = parse(minimal(limits={"min_interval_minutes": 15, "reminders_per_room": 3}))
    assert (s.limits.min_interval_minutes, s.limits.reminders_per_room) == (15, 3)
    assert parse(minimal(limits={"reminders_per_room": 3})).limits.min_interval_minutes == 60


def test_homeserver_trailing_slash_is_dropped() -> None:
    assert parse(with_matrix(homeserver="https://matrix.example.org/")).matrix.homeserver == (
        "https://matrix.example.org"
    )


def test_settings_are_frozen() -> None:
    s = parse(minimal())
    with pytest.raises(ValueError):
        s.command_prefix = "?"  # type: ignore[misc]


# ------------------------------------------------------------------ paths


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:///data/traam.db", f"sqlite+aiosqlite:///{BASE}/data/traam.db"),
        ("sqlite+aiosqlite:///../var/traam.db", "sqlite+aiosqlite:////srv/traam/var/traam.db"),
        ("sqlite+aiosqlite:////var/lib/traam/traam.db", "sqlite+aiosqlite:////var/lib/traam/traam.db"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql+asyncpg://traam:mdp@db.example.org:5432/traam",
         "postgresql+asyncpg://traam:mdp@db.example.org:5432/traam"),
    ],
)
def test_database_url_resolution(url: str, expected: str) -> None:
    assert parse(minimal(database={"url": url})).database.url == expected


@pytest.mark.parametrize(
    ("store_path", "directory", "expected_store", "expected_directory"),
    [
        ("data/store", "traam.yaml", f"{BASE}/data/store", f"{BASE}/traam.yaml"),
        ("/var/lib/traam/store", "/etc/traam/traam.yaml",
         "/var/lib/traam/store", "/etc/traam/traam.yaml"),
        ("../store", "../annuaire.yaml", "/srv/traam/store", "/srv/traam/annuaire.yaml"),
    ],
)
def test_relative_paths_resolve_from_the_config_folder(
    store_path: str, directory: str, expected_store: str, expected_directory: str
) -> None:
    s = parse({"matrix": {**MATRIX, "store_path": store_path}, "directory": directory})
    assert s.matrix.store_path == expected_store
    assert s.directory == expected_directory


def test_load_settings_resolves_from_the_file_folder(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "bot.yaml"
    path.write_text(
        "matrix:\n"
        "  homeserver: http://127.0.0.1:8008\n"
        '  user_id: "@traam-bot:localhost"\n'
        "  password: vrai-secret\n",
        encoding="utf-8",
    )
    s = load_settings(path, env={})
    assert s.directory == str(SHIPPED)  # nothing beside it yet
    (folder / "traam.yaml").write_text(DIRECTORY.read_text(encoding="utf-8"), encoding="utf-8")
    s = load_settings(path, env={})
    assert s.directory == str(folder.resolve() / "traam.yaml")
    assert s.matrix.store_path == str(folder.resolve() / "data" / "store")
    assert s.database.url == f"sqlite+aiosqlite:///{folder.resolve()}/data/traam.db"


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (minimal(databse={"url": "sqlite+aiosqlite:///x.db"}), "databse"),
        ({"matrix": {**MATRIX, "passwrod": "x"}}, "matrix.passwrod"),
        (minimal(database={"url": "sqlite+aiosqlite:///x.db", "pool": 5}), "database.pool"),
        (minimal(limits={"min_interval": 30}), "limits.min_interval"),
        (minimal(limits={"reminders_per_room": 5, "per_user": 2}), "limits.per_user"),
        (minimal(limit={"reminders_per_room": 5}), "limit"),
        (minimal(**{"": 1}), "« »"),
        ({"matrix": {**MATRIX, "pass word": "x"}}, "matrix.« pass word »"),
        (minimal(**{"x" * 100: 1}), "« " + "x" * 40 + "… »"),
        (minimal(limits={7: 1}), "limits.7"),
    ],
)
def test_unknown_keys_are_refused_with_their_path(raw: dict[str, Any], path: str) -> None:
    message = refused(raw)
    assert "clé inconnue" in message
    assert path in message


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (minimal(admins="x"), "admins"),
        (minimal(referents="@referente:localhost"), "referents"),
        (minimal(allowed_servers="localhost"), "allowed_servers"),
        (minimal(timezone=3), "timezone"),
        (minimal(command_prefix=""), "command_prefix"),
        (minimal(command_prefix="! "), "command_prefix"),
        (minimal(command_prefix=1), "command_prefix"),
        (minimal(database="sqlite+aiosqlite:///x.db"), "database"),
        ({"matrix": "http://127.0.0.1:8008"}, "matrix"),
        ({"matrix": {**MATRIX, "store_path": ["a"]}}, "matrix.store_path"),
        (minimal(timezone="Europe/Dijon"), "timezone"),
        (with_matrix(homeserver="matrix.example.org"), "matrix.homeserver"),
        (minimal(limits=60), "limits"),
        (minimal(limits={"min_interval_minutes": "60"}), "limits.min_interval_minutes"),
        (minimal(limits={"min_interval_minutes": 1.5}), "limits.min_interval_minutes"),
        (minimal(limits={"min_interval_minutes": True}), "limits.min_interval_minutes"),
        (minimal(limits={"min_interval_minutes": 0}), "limits.min_interval_minutes"),
        (minimal(limits={"min_interval_minutes": -5}), "limits.min_interval_minutes"),
        (minimal(limits={"reminders_per_room": None}), "limits.reminders_per_room"),
        (minimal(limits={"reminders_per_room": [20]}), "limits.reminders_per_room"),
        (minimal(limits={"reminders_per_room": 0}), "limits.reminders_per_room"),
    ],
)
def test_wrong_types_and_values_are_refused_with_their_path(
    raw: dict[str, Any], path: str
) -> None:
    message = refused(raw)
    assert message.startswith(f"{path} :"), message


@pytest.mark.parametrize(("raw", "expected"), [
    (minimal(directory="traam\x00.yaml"), "directory : texte illisible"),
    (with_matrix(store_path="data/\ud800"), "matrix.store_path : texte illisible"),
    (with_matrix(homeserver="http://\ud800"), "matrix.homeserver : texte illisible"),
    (minimal(admins=["@a:b", "\x00"]), "admins.1 : texte illisible"),
    (minimal(**{"\ud800": 1}), "clé illisible (caractère nul ou invalide) : « \ufffd »"),
])
def test_nul_and_lone_surrogates_are_refused_with_their_path(raw: dict[str, Any],
                                                             expected: str) -> None:
    assert refused(raw).startswith(expected)


def test_an_unreadable_environment_variable_is_refused_by_name() -> None:
    message = refused(with_matrix(password=None), {"TRAAM_BOT_PASSWORD": "mot\udcffpasse"})
    assert message.startswith("matrix.password : texte illisible")


def test_pydantic_reasons_are_said_in_french() -> None:
    assert refused(minimal(limits={"min_interval_minutes": "60"})) == (
        "limits.min_interval_minutes : type incorrect (nombre entier attendu)")
    assert refused(minimal(limits={"min_interval_minutes": 0})) == (
        "limits.min_interval_minutes : doit valoir au moins 1")
    assert refused(minimal(outbox={"max_age_hours": 10_000})) == (
        "outbox.max_age_hours : doit valoir au plus 720")
    assert refused(minimal(admins=[3])) == "admins.0 : type incorrect (texte attendu)"
    assert refused(minimal(limits=[1])) == (
        "limits : type incorrect (dictionnaire attendu (clé: valeur))")


@pytest.mark.parametrize(
    ("raw", "path", "bad"),
    [
        (with_matrix(user_id="traam-bot"), "matrix.user_id", "traam-bot"),
        (with_matrix(user_id="@traam-bot"), "matrix.user_id", "@traam-bot"),
        (with_matrix(user_id="traam-bot:localhost"), "matrix.user_id", "traam-bot:localhost"),
        (minimal(admins=["@coordinatrice:localhost", "coordinatrice"]), "admins", "coordinatrice"),
        (minimal(referents=["@ref erente:localhost"]), "referents", "@ref erente:localhost"),
    ],
)
def test_malformed_user_ids_are_refused(raw: dict[str, Any], path: str, bad: str) -> None:
    message = refused(raw)
    assert message.startswith(f"{path} :"), message
    assert f"« {bad} »" in message


@pytest.mark.parametrize(
    "password", ["changeme", "CHANGEME", "ChangeMe", "...", "…", "  changeme  ", "", "   "]
)
def test_placeholder_passwords_are_refused(password: str) -> None:
    message = refused(with_matrix(password=password))
    assert message.startswith("matrix.password :")
    assert "remplacer" in message


def test_placeholder_access_token_is_refused() -> None:
    message = refused(with_matrix(password=None, access_token="changeme"))
    assert message.startswith("matrix.access_token :")


def test_missing_password_and_token_is_refused() -> None:
    message = refused(with_matrix(password=None))
    assert "matrix.password ou matrix.access_token est requis" in message
    assert "TRAAM_BOT_PASSWORD" in message


@pytest.mark.parametrize("key", ["homeserver", "user_id"])
def test_required_matrix_keys(key: str) -> None:
    raw = {"matrix": {k: v for k, v in MATRIX.items() if k != key}}
    assert refused(raw) == f"clé obligatoire manquante : matrix.{key}"


@pytest.mark.parametrize("raw", [None, [], "matrix: x", 3])
def test_non_mapping_config_is_refused(raw: Any) -> None:
    assert "dictionnaire" in refused(raw)


def test_missing_matrix_section() -> None:
    assert refused({}) == "clé obligatoire manquante : matrix"


# ------------------------------------------------------------------ environment


def test_access_token_alone_is_enough() -> None:
    s = parse(with_matrix(password=None, access_token="syt_abc", device_id="DEVICE"))
    assert s.matrix.access_token == "syt_abc"
    assert s.matrix.device_id == "DEVICE"


@pytest.mark.parametrize(
    ("var", "value", "read"),
    [
        ("TRAAM_BOT_PASSWORD", "from-env", lambda s: s.matrix.password),
        ("TRAAM_BOT_ACCESS_TOKEN", "syt_from_env", lambda s: s.matrix.access_token),
        ("TRAAM_BOT_DATABASE_URL", "postgresql+asyncpg://u:p@db/traam",
         lambda s: s.database.url),
    ],
)
def test_environment_wins_over_the_file(var: str, value: str, read: Any) -> None:
    raw = minimal(database={"url": "sqlite+aiosqlite:///file.db"})
    raw["matrix"]["access_token"] = "syt_from_file"
    assert read(parse(raw, {var: value})) == value


def test_environment_supplies_missing_secrets() -> None:
    s = parse(with_matrix(password=None), {"TRAAM_BOT_PASSWORD": "from-env"})
    assert s.matrix.password == "from-env"
    s = parse(with_matrix(password=None), {"TRAAM_BOT_ACCESS_TOKEN": "syt_env"})
    assert s.matrix.access_token == "syt_env"


def test_environment_replaces_a_placeholder_in_the_file() -> None:
    s = parse(with_matrix(password="changeme"), {"TRAAM_BOT_PASSWORD": "vrai"})
    assert s.matrix.password == "vrai"


def test_empty_environment_variable_does_not_override() -> None:
    s = parse(minimal(), {"TRAAM_BOT_PASSWORD": "", "TRAAM_BOT_DATABASE_URL": ""})
    assert s.matrix.password == MATRIX["password"]
    assert s.database.url == f"sqlite+aiosqlite:///{BASE}/data/traam.db"


def test_relative_sqlite_url_from_environment_is_resolved_too() -> None:
    s = parse(minimal(), {"TRAAM_BOT_DATABASE_URL": "sqlite+aiosqlite:///env.db"})
    assert s.database.url == f"sqlite+aiosqlite:///{BASE}/env.db"


def test_parse_does_not_mutate_the_raw_data() -> None:
    raw = minimal(database={"url": "sqlite+aiosqlite:///x.db"})
    snapshot = repr(raw)
    parse(raw, {"TRAAM_BOT_PASSWORD": "p", "TRAAM_BOT_DATABASE_URL": "sqlite+aiosqlite:///y"})
    assert repr(raw) == snapshot


# ------------------------------------------------------------------ files


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "matrix:\n"
        "  homeserver: http://127.0.0.1:8008\n"
        '  user_id: "@traam-bot:localhost\n'
        "  password: x\n"
        "timezone: [Europe/Paris\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    message = str(info.value)
    assert str(path) in message
    assert re.search(r"\(ligne \d+\)", message), message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError, match="introuvable") as info:
        load_settings(path, env={})
    assert str(path) in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_directory(path)
    assert str(info.value) == (f"annuaire introuvable : {path} "
                               "(clé directory de la configuration)")


def test_committed_example_is_refused_for_its_placeholder_password() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(EXAMPLE, env={})
    assert str(info.value).startswith("matrix.password :")


def test_committed_example_is_accepted_with_the_password_from_environment() -> None:
    s = load_settings(EXAMPLE, env={"TRAAM_BOT_PASSWORD": "vrai-mot-de-passe"})
    folder = EXAMPLE.parent
    assert s.matrix.password == "vrai-mot-de-passe"
    assert s.matrix.homeserver == "http://127.0.0.1:8008"
    assert s.matrix.user_id == "@traam-bot:localhost"
    assert s.matrix.store_path == str(folder / "data" / "store")
    assert s.database.url == f"sqlite+aiosqlite:///{folder}/data/traam.db"
    assert s.directory == str(DIRECTORY)
    assert s.admins == ("@coordinatrice:localhost",)
    assert s.referents == ("@referente:localhost",)
    assert s.servers == ("localhost",)
    assert s.timezone == "Europe/Paris"
    assert s.command_prefix == "!"
    assert s.http is None  # commented out: no listener unless the operator asks
    assert (s.limits.min_interval_minutes, s.limits.reminders_per_room) == (60, 20)
    # the directory it points to is the committed one, and it loads
    assert len(load_directory(s.directory).projects) == 6


# ------------------------------------------------------------------ the directory

REGION = "Bourgogne-Franche-Comté"
# From /work/shared/seed/traam-bfc-2025-2026.txt (DRANE page updated 25/09/2025).
SEED_PROJECTS = [
    ("besancon-arts-plastiques-ia", "Besançon", "Arts plastiques",
     "Intelligence artificielle et arts plastiques", "Parcours de formation"),
    ("besancon-lettres-ia", "Besançon", "Lettres",
     "Les intelligences artificielles en lettres : quels usages ? Quelles plus-values "
     "pédagogiques ? Quels points de vigilance ?", "Année 1"),
    ("besancon-documentation-ia", "Besançon", "Documentation",
     "Développer une culture de l’IA par les pédagogies actives", "Année 1"),
    ("besancon-nsi-egalite", "Besançon", "NSI", "L’égalité filles garçons", "Année 1"),
    ("dijon-technologie-projet", "Dijon", "Technologie",
     "Mobiliser le numérique dans la conduite de projets en technologique", "Année 1"),
    ("dijon-eps-explicite", "Dijon", "EPS",
     "Rendre les apprentissages plus explicites avec les outils numériques", "Année 1"),
]
SEED_CONTACTS = [
    ("floria-dufoux", "Floria DUFOUX", "Chargée d’animation du réseau des IAN",
     "floria.dufoux@region-academique-bourgogne-franche-comte.fr"),
    ("julie-marchaland", "Julie MARCHALAND", "Référente TraAM",
     "julie.marchaland@region-academique-bourgogne-franche-comte.fr"),
]


def test_committed_directory_is_exactly_the_seed() -> None:
    d = load_directory(DIRECTORY)
    assert d.region == REGION
    assert d.year == "2025-2026"
    assert [(p.id, p.academie, p.discipline, p.theme, p.phase) for p in d.projects] == (
        SEED_PROJECTS
    )
    assert all(p.year == "2025-2026" and p.region == REGION for p in d.projects)
    assert all(p.room is None and not p.archived for p in d.projects)
    assert [(c.id, c.name, c.role, c.email) for c in d.contacts] == SEED_CONTACTS
    assert all(c.matrix_id is None and not c.archived for c in d.contacts)


def test_committed_directory_counts_per_academie() -> None:
    d = load_directory(DIRECTORY)
    academies = [p.academie for p in d.projects]
    assert academies.count("Besançon") == 4
    assert academies.count("Dijon") == 2


PROJECT = {"id": "dijon-eps", "academie": "Dijon", "discipline": "EPS", "theme": "Thème"}


def directory(*projects: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"region": REGION, "year": "2025-2026", "projects": list(projects), **extra}


def test_directory_defaults_and_year_written_otherwise() -> None:
    d = parse_directory({"region": REGION, "year": "2025/26", "projects": [PROJECT]})
    assert d.year == "2025-2026"
    (p,) = d.projects
    assert (p.phase, p.room, p.year, p.region) == ("Année 1", None, "2025-2026", REGION)
    assert d.contacts == ()
    assert d.years == ("2025-2026",)


@pytest.mark.parametrize("year", [2026, "2026", "2025-2027", "2026-2025", "vingt-six"])
def test_directory_year_must_be_a_school_year(year: Any) -> None:
    with pytest.raises(ConfigError) as info:
        parse_directory({"region": REGION, "year": year, "projects": [PROJECT]})
    message = str(info.value)
    assert message.startswith("annuaire : year : ") and "écrivez-la comme 2025-2026" in message


def test_a_project_carries_its_own_year_and_may_come_back_the_next_year() -> None:
    d = parse_directory(directory(
        {**PROJECT, "year": "2024-2025"},
        {**PROJECT, "phase": "Année 2"},
        {**PROJECT, "id": "dijon-lettres", "year": "2024/2025"},
    ))
    assert [(p.id, p.year, p.phase) for p in d.projects] == [
        ("dijon-eps", "2024-2025", "Année 1"), ("dijon-eps", "2025-2026", "Année 2"),
        ("dijon-lettres", "2024-2025", "Année 1")]
    assert d.year == "2025-2026"
    assert d.years == ("2024-2025", "2025-2026")


def test_a_project_twice_in_the_same_year_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_directory(directory({**PROJECT, "year": "2024-2025"},
                                  {**PROJECT, "year": "2024-2025", "phase": "Année 2"}))
    assert "projects.1.id" in str(info.value)
    assert "« dijon-eps (2024-2025) »" in str(info.value)


def test_a_project_year_is_checked_with_its_path() -> None:
    with pytest.raises(ConfigError) as info:
        parse_directory(directory({**PROJECT, "year": "2024"}))
    assert "projects.0.year" in str(info.value)
    assert "« 2024 »" in str(info.value)


def test_directory_room_and_contact_matrix_id_are_kept() -> None:
    d = parse_directory(directory(
        {**PROJECT, "room": "#traam-eps:localhost"},
        {**PROJECT, "id": "dijon-eps-2", "room": "!AbCdEf:localhost"},
        contacts=[{"name": "Élodie D’Artagnan", "role": "IAN", "email": "e@x.fr",
                   "matrix_id": "@elodie:localhost"}],
    ))
    assert [p.room for p in d.projects] == ["#traam-eps:localhost", "!AbCdEf:localhost"]
    (c,) = d.contacts
    assert c.matrix_id == "@elodie:localhost"
    assert c.id == "elodie-d-artagnan"


@pytest.mark.parametrize(
    ("raw", "path", "detail"),
    [
        (directory(PROJECT, {**PROJECT, "theme": "autre"}), "projects.1.id", "dijon-eps"),
        (directory(PROJECT, {**PROJECT, "id": "Dijon EPS"}), "projects.1.id", "Dijon EPS"),
        (directory({**PROJECT, "id": "-eps"}), "projects.0.id", "-eps"),
        (directory({**PROJECT, "id": "dijon_eps"}), "projects.0.id", "dijon_eps"),
        (directory({**PROJECT, "room": "traam-eps"}), "projects.0.room", "traam-eps"),
        (directory({**PROJECT, "room": "#traam eps:localhost"}), "projects.0.room",
         "#traam eps:localhost"),
        (directory({**PROJECT, "room": "@traam:localhost"}), "projects.0.room",
         "@traam:localhost"),
        (directory(PROJECT, {**PROJECT, "id": "x", "salon": "#a:b"}), "projects.1.salon",
         "clé inconnue"),
        (directory({k: v for k, v in PROJECT.items() if k != "theme"}), "projects.0.theme",
         "manquante"),
        (directory(PROJECT, contacts=[{"name": "A", "role": "r", "email": "e",
                                       "matrix_id": "alice"}]),
         "contacts.0.matrix_id", "alice"),
        (directory(PROJECT, contacts=[{"name": "A", "role": "r"}]), "contacts.0.email",
         "manquante"),
        (directory(PROJECT, contacts=[{"name": "Julie", "role": "r", "email": "a"},
                                      {"name": "JULIE", "role": "r", "email": "b"}]),
         "contacts.1", "julie"),
        ({"region": REGION, "projects": [PROJECT]}, "year", "manquante"),
        (directory(PROJECT, annee="2025"), "annee", "clé inconnue"),
    ],
)
def test_directory_errors_carry_the_path(raw: dict[str, Any], path: str, detail: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_directory(raw)
    message = str(info.value)
    assert message.startswith("annuaire : "), message
    assert path in message, message
    assert detail in message, message


@pytest.mark.parametrize("raw", [None, [], "projects"])
def test_directory_must_be_a_mapping(raw: Any) -> None:
    with pytest.raises(ConfigError, match="annuaire"):
        parse_directory(raw)


def test_load_directory_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "traam.yaml"
    path.write_text("region: x\nprojects:\n  - id: a\n   academie: b\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_directory(path)
    assert re.search(r"YAML invalide dans .*traam\.yaml \(ligne \d+\)", str(info.value))

