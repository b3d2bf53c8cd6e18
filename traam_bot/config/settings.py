"""config/bot.yaml: validated, frozen settings, with environment overrides and paths
resolved from the config file's folder."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator

from traam_bot import resources
from traam_bot.config.files import (
    ConfigError,
    Strict,
    check_text,
    check_user_id,
    format_error,
    read_yaml,
)

# The session the bot saves in its key store after its first login (matrix/session.py).
CREDENTIALS_FILE = "credentials.json"
PLACEHOLDERS = {"changeme", "change-me", "change_me", "password", "motdepasse", "secret", "xxx",
                "…", "..."}
# A Matrix server name: a DNS name (academic ones have dashes: ac-besancon.fr) or an IP
# literal, with an optional port; no scheme, no user.
SERVER_NAME = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+)(:[0-9]{1,5})?$")
ENV_OVERRIDES = {
    "TRAAM_BOT_PASSWORD": ("matrix", "password"),
    "TRAAM_BOT_ACCESS_TOKEN": ("matrix", "access_token"),
    "TRAAM_BOT_RECOVERY_KEY": ("matrix", "recovery_key"),
    "TRAAM_BOT_DATABASE_URL": ("database", "url"),
}


class MatrixSettings(Strict):
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
        return check_user_id(v)

    @field_validator("password", "access_token", "recovery_key")
    @classmethod
    def _not_placeholder(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or v.strip().lower() in PLACEHOLDERS):
            raise ValueError("valeur d’exemple à remplacer par le vrai secret")
        return v

    def require_secret(self) -> None:
        """`run` and `device …` log in: they need a password, a token, or the session the
        bot saved in its key store (credentials.json). `export`, `db …` and `directory
        import` never reach the homeserver and need none of them."""
        if self.password or self.access_token:
            return
        if (Path(self.store_path) / CREDENTIALS_FILE).is_file():
            return
        raise ConfigError(
            "matrix.password ou matrix.access_token est requis "
            "(ou TRAAM_BOT_PASSWORD / TRAAM_BOT_ACCESS_TOKEN), sauf si "
            f"{Path(self.store_path) / CREDENTIALS_FILE} contient déjà une session"
        )

    @property
    def server_name(self) -> str:
        return self.user_id.split(":", 1)[1]


# Drivers the bot ships with (aiosqlite, asyncpg), and the usual spellings of the same two
# databases, which mean the same thing.
DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
SCHEME_ALIASES = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
                  "postgres": "postgresql+asyncpg"}


class DatabaseSettings(Strict):
    url: str = "sqlite+aiosqlite:///data/traam.db"

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        # never echo the URL: it may carry the database password
        scheme, sep, rest = v.partition("://")
        supported = " ou ".join(f"{s}://…" for s in DATABASE_SCHEMES)
        if not sep or not re.fullmatch(r"[A-Za-z][\w+.\-]*", scheme):
            raise ValueError(f"adresse de base de données invalide (attendu : {supported})")
        scheme = SCHEME_ALIASES.get(scheme.lower(), scheme.lower())
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(f"type de base « {v.partition('://')[0]} » non pris en charge "
                             f"(pris en charge : {supported})")
        return f"{scheme}://{rest}"


class OutboxSettings(Strict):
    # a message still unsent after this long (homeserver unreachable) is given up, logged,
    # and the creator of a scheduled post is told
    max_age_hours: float = Field(default=24.0, gt=0, le=24 * 30)


class HttpSettings(Strict):
    """The operator's HTTP listener (`GET /health`); the whole section absent: no listener."""

    bind: str = "127.0.0.1"
    port: int = Field(default=9464, ge=1, le=65535)
class LoggingSettings(Strict):
    """The process's log on stderr: its level, and text or one JSON object per line."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.upper() if isinstance(v, str) else v


class LimitsSettings(Strict):
    # shortest recurrence (gap between two firings of a reminder, prompt or digest) that a
    # non-admin may schedule; admins may go lower
    min_interval_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # reminders a room may hold at once (listed by !rappel liste), admins included
    reminders_per_room: int = Field(default=20, ge=1, le=1000)


class HolidaysSettings(Strict):
    # recurring prompts and reminders skip school holidays (the room's zone) and public
    # holidays; false turns it off for every schedule
    skip: bool = True


class RetentionSettings(Strict):
    # updates and resources older than this many years are deleted by the daily purge
    # (the national bilans keep three years)
    years: int = Field(default=3, ge=1, le=30)


class PrivacySettings(Strict):
    # whom people write to about their personal data (the DPO, or the DRANE), shown by
    # !confidentialite; unset: the bot names its administrators instead
    contact: str | None = None

    @field_validator("contact")
    @classmethod
    def _contact(cls, v: str | None) -> str | None:
        if v is not None and (not v.strip() or v.strip() in PLACEHOLDERS
                              or v.strip().endswith("@…")):
            raise ValueError("contact à renseigner (adresse du délégué à la protection des "
                             "données ou de la DRANE)")
        return v.strip() if v is not None else None


class Settings(Strict):
    matrix: MatrixSettings
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    http: HttpSettings | None = None
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    holidays: HolidaysSettings = Field(default_factory=HolidaysSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    timezone: str = "Europe/Paris"
    # Unset (""): traam.yaml beside the config file if there is one, else the shipped one.
    directory: str = ""
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

    @field_validator("allowed_servers")
    @classmethod
    def _server_names(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for name in v or ():
            if not SERVER_NAME.match(name):
                raise ValueError(f"nom de serveur invalide « {name} » (attendu : le nom seul, "
                                 "comme ac-besancon.fr ou matrix.example.fr:8448, "
                                 "sans https:// ni @compte)")
        return v

    @field_validator("admins", "referents")
    @classmethod
    def _ids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_user_id(u) for u in v)

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

    def listed_in(self, user_id: str) -> tuple[str, ...]:
        """The keys of this file that name `user_id` ("admins", "referents"): what the bot
        cannot forget for them (an operator edits the file)."""
        return tuple(key for key, ids in (("admins", self.admins),
                                          ("referents", self.referents)) if user_id in ids)

    @property
    def servers(self) -> tuple[str, ...]:
        if self.allowed_servers is None:
            return (self.matrix.server_name,)
        return self.allowed_servers


def _resolve(base: Path, value: str) -> str:
    p = Path(value)
    return str(p if p.is_absolute() else (base / p).resolve())


def _resolve_db_url(base: Path, url: str) -> str:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + _resolve(base, url[len(prefix):])
    return url


def _directory_path(base: Path, value: str) -> str:
    if value:
        return _resolve(base, value)
    beside = base / "traam.yaml"
    if beside.is_file():
        return str(beside.resolve())
    with resources.shipped_directory() as shipped:
        return str(shipped)


def parse_settings(raw: Any, base: Path, env: dict[str, str] | None = None,
                   secret: bool = True) -> Settings:
    """Validate raw YAML data; relative paths are resolved from `base`. With `secret`
    (verbs that log in), the Matrix secret is required (MatrixSettings.require_secret)."""
    env = dict(os.environ) if env is None else env
    if not isinstance(raw, dict):
        raise ConfigError("la configuration doit être un dictionnaire YAML (clé: valeur)")
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items()}
    used = []
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            if not isinstance(data.get(section, {}), dict):
                continue  # validation reports the malformed section
            data.setdefault(section, {})[key] = env[var]
            used.append((var, f"{section}.{key}"))
    check_text(data)  # the file and the environment together
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        message = format_error(exc)
        source = next((var for var, key in used if message.startswith(key + " ")), None)
        raise ConfigError(message + (f" (valeur venue de {source})" if source else "")) from None
    matrix = settings.matrix.model_copy(
        update={"store_path": _resolve(base, settings.matrix.store_path)}
    )
    database = DatabaseSettings(url=_resolve_db_url(base, settings.database.url))
    if secret:
        matrix.require_secret()
    return settings.model_copy(
        update={
            "matrix": matrix,
            "database": database,
            "directory": _directory_path(base, settings.directory),
        }
    )


def load_settings(path: str | Path, env: dict[str, str] | None = None,
                  secret: bool = True) -> Settings:
    path = Path(path)
    return parse_settings(read_yaml(path), path.resolve().parent, env, secret)
