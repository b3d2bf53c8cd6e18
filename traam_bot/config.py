"""Loads config/bot.yaml and the directory file into validated, frozen settings."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.text import words

USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")
PLACEHOLDERS = {"changeme", "change-me", "change_me", "password", "motdepasse", "secret", "xxx",
                "…", "..."}
ENV_OVERRIDES = {
    "TRAAM_BOT_PASSWORD": ("matrix", "password"),
    "TRAAM_BOT_ACCESS_TOKEN": ("matrix", "access_token"),
    "TRAAM_BOT_RECOVERY_KEY": ("matrix", "recovery_key"),
    "TRAAM_BOT_DATABASE_URL": ("database", "url"),
}


class ConfigError(Exception):
    """A configuration problem, worded for the person deploying the bot."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _check_user_id(value: str) -> str:
    if not USER_ID.match(value):
        raise ValueError(f"identifiant Matrix invalide « {value} » (attendu : @nom:serveur)")
    return value


class MatrixSettings(_Strict):
    homeserver: str
    user_id: str
    password: str | None = None
    access_token: str | None = None
    device_id: str | None = None
    device_name: str = "traam-bot"
    store_path: str = "data/store"
    # Secret storage key, to take over a cross-signing identity the bot lacks the keys of.
    recovery_key: str | None = None
    # Replace such an identity instead (users who verified the bot see it change).
    reset_cross_signing: bool = False

    @field_validator("homeserver")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError(f"adresse de serveur invalide « {v} » (attendu : http(s)://hôte[:port])")
        return v.rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _uid(cls, v: str) -> str:
        return _check_user_id(v)

    @field_validator("password", "access_token", "recovery_key")
    @classmethod
    def _not_placeholder(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or v.strip().lower() in PLACEHOLDERS):
            raise ValueError("valeur d'exemple à remplacer par le vrai secret")
        return v

    @model_validator(mode="after")
    def _credentials(self) -> MatrixSettings:
        if not self.password and not self.access_token:
            raise ValueError(
                "matrix.password ou matrix.access_token est requis "
                "(ou TRAAM_BOT_PASSWORD / TRAAM_BOT_ACCESS_TOKEN)"
            )
        return self

    @property
    def server_name(self) -> str:
        return self.user_id.split(":", 1)[1]


class DatabaseSettings(_Strict):
    url: str = "sqlite+aiosqlite:///data/traam.db"


class OutboxSettings(_Strict):
    # a message still unsent after this long (homeserver unreachable) is given up, logged,
    # and the creator of a scheduled post is told
    max_age_hours: float = Field(default=24.0, gt=0, le=24 * 30)


class Settings(_Strict):
    matrix: MatrixSettings
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    timezone: str = "Europe/Paris"
    directory: str = "traam.yaml"
    admins: tuple[str, ...] = ()
    referents: tuple[str, ...] = ()
    allowed_servers: tuple[str, ...] | None = None
    command_prefix: str = "!"

    @field_validator("admins", "referents", mode="before")
    @classmethod
    def _list(cls, v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    @field_validator("allowed_servers", mode="before")
    @classmethod
    def _servers(cls, v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    @field_validator("admins", "referents")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_user_id(u) for u in v)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"fuseau horaire inconnu « {v} »") from None
        return v

    @field_validator("command_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not v or any(c.isspace() for c in v):
            raise ValueError("le préfixe doit être non vide et sans espace")
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def servers(self) -> tuple[str, ...]:
        if self.allowed_servers is None:
            return (self.matrix.server_name,)
        return self.allowed_servers


def _format_error(err: ValidationError) -> str:
    first = err.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(racine)"
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"clé inconnue : {path}"
    if kind == "missing":
        return f"clé obligatoire manquante : {path}"
    msg = first["msg"].removeprefix("Value error, ")
    if not first["loc"] and kind == "value_error":
        return msg  # a whole-document check: the message names its own path
    if kind.endswith("_type"):
        msg = f"type incorrect ({msg})"
    return f"{path} : {msg}"


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"fichier de configuration introuvable : {path}") from None
    except OSError as exc:
        raise ConfigError(f"lecture impossible de {path} : {exc.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark else ""
        raise ConfigError(f"YAML invalide dans {path}{where}") from None


def _resolve(base: Path, value: str) -> str:
    p = Path(value)
    return str(p if p.is_absolute() else (base / p).resolve())


def _resolve_db_url(base: Path, url: str) -> str:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + _resolve(base, url[len(prefix):])
    return url


def parse_settings(raw: Any, base: Path, env: dict[str, str] | None = None) -> Settings:
    """Validate raw YAML data; relative paths are resolved from `base`."""
    env = dict(os.environ) if env is None else env
    if not isinstance(raw, dict):
        raise ConfigError("la configuration doit être un dictionnaire YAML (clé: valeur)")
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            if not isinstance(data.get(section, {}), dict):
                continue  # validation reports the malformed section
            data.setdefault(section, {})[key] = env[var]
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc)) from None
    matrix = settings.matrix.model_copy(
        update={"store_path": _resolve(base, settings.matrix.store_path)}
    )
    database = DatabaseSettings(url=_resolve_db_url(base, settings.database.url))
    return settings.model_copy(
        update={
            "matrix": matrix,
            "database": database,
            "directory": _resolve(base, settings.directory),
        }
    )


def load_settings(path: str | Path, env: dict[str, str] | None = None) -> Settings:
    path = Path(path)
    return parse_settings(_read_yaml(path), path.resolve().parent, env)


# ---------------------------------------------------------------- directory file


class _ProjectIn(_Strict):
    id: str
    academie: str
    discipline: str
    theme: str
    phase: str = "Année 1"
    room: str | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", v):
            raise ValueError(f"identifiant « {v} » : minuscules, chiffres et tirets seulement")
        return v

    @field_validator("room")
    @classmethod
    def _room(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^[#!][^:\s]+:[^\s]+$", v):
            raise ValueError(f"salon « {v} » : attendu #alias:serveur ou !id:serveur")
        return v


class _ContactIn(_Strict):
    name: str
    role: str
    email: str
    matrix_id: str | None = None
    id: str | None = None

    @field_validator("matrix_id")
    @classmethod
    def _uid(cls, v: str | None) -> str | None:
        return None if v is None else _check_user_id(v)


class _DirectoryIn(_Strict):
    region: str
    year: str
    projects: list[_ProjectIn]
    contacts: list[_ContactIn] = []

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @model_validator(mode="after")
    def _unique(self) -> _DirectoryIn:
        _check_unique("projects", ".id", "de projet", [p.id for p in self.projects])
        # two contacts with the same id would silently merge into one at import
        _check_unique("contacts", "", "de contact",
                      [c.id or contact_id(c.name) for c in self.contacts])
        return self


def _check_unique(section: str, suffix: str, what: str, ids: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, key in enumerate(ids):
        if key in seen:
            raise ValueError(f"{section}.{i}{suffix} : identifiant {what} en double « {key} » "
                             f"(déjà utilisé par {section}.{seen[key]})")
        seen[key] = i


def contact_id(name: str) -> str:
    return "-".join(words(name))


def parse_directory(raw: Any) -> Directory:
    if not isinstance(raw, dict):
        raise ConfigError("l'annuaire doit être un dictionnaire YAML "
                          "(region, year, projects, contacts)")
    try:
        d = _DirectoryIn.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError("annuaire : " + _format_error(exc)) from None
    projects = tuple(
        Project(id=p.id, academie=p.academie, discipline=p.discipline, theme=p.theme,
                phase=p.phase, year=d.year, region=d.region, room=p.room)
        for p in d.projects
    )
    contacts = tuple(
        Contact(id=c.id or contact_id(c.name), name=c.name, role=c.role, email=c.email,
                matrix_id=c.matrix_id)
        for c in d.contacts
    )
    return Directory(region=d.region, year=d.year, projects=projects, contacts=contacts)


def load_directory(path: str | Path) -> Directory:
    return parse_directory(_read_yaml(Path(path)))
