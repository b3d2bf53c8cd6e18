"""What both config files share: the error the deployer reads, strict models, YAML
reading and the wording of validation errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from traam_bot.domain.text import storable

USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")


class ConfigError(Exception):
    """A configuration problem, worded for the person deploying the bot."""


class ConfigFileError(ConfigError):
    """A config file that cannot be read at all: the message names the file."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def check_user_id(value: str) -> str:
    if not USER_ID.match(value):
        raise ValueError(f"identifiant Matrix invalide « {value} » (attendu : @nom:serveur)")
    return value


_PLAIN_KEY = re.compile(r"[\w-]{1,60}")
_UNUSABLE = re.compile("[\x00\ud800-\udfff]")
# pydantic's reasons, in French ({…}: the error's context, e.g. the bound)
_REASONS = {
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "float_type": "nombre attendu",
    "bool_type": "true ou false attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "dict_type": "dictionnaire attendu (clé: valeur)",
    "model_type": "dictionnaire attendu (clé: valeur)",
    "model_attributes_type": "dictionnaire attendu (clé: valeur)",
    "string_unicode": "texte illisible (caractère invalide)",
    "finite_number": "nombre fini attendu",
    "greater_than_equal": "doit valoir au moins {ge}",
    "greater_than": "doit valoir plus de {gt}",
    "less_than_equal": "doit valoir au plus {le}",
    "less_than": "doit valoir moins de {lt}",
}


def key_path(loc: tuple[Any, ...]) -> str:
    """"matrix.password", "admins.0"; a key that is empty, odd or long is shown quoted
    (« », « pass word », « xxx… »); "(racine)" for the whole document."""
    shown = []
    for part in loc:
        text = storable(str(part))
        if not text:
            text = "« »"
        elif _PLAIN_KEY.fullmatch(text) is None:
            text = "« " + (text[:40] + "…" if len(text) > 40 else text) + " »"
        shown.append(text)
    return ".".join(shown) or "(racine)"


def check_text(raw: Any, where: tuple[Any, ...] = ()) -> None:
    """ConfigError for what YAML (an escape) or the environment can carry but nothing
    downstream can use — a NUL character, a lone surrogate — in a key or a value, named by
    its path (validation could not even report it)."""
    items = raw.items() if isinstance(raw, dict) else enumerate(raw) if isinstance(
        raw, list) else ()
    for key, value in items:
        path = (*where, key)
        if isinstance(key, str) and _UNUSABLE.search(key):
            raise ConfigError(f"clé illisible (caractère nul ou invalide) : {key_path(path)}")
        if isinstance(value, str) and _UNUSABLE.search(value):
            raise ConfigError(f"{key_path(path)} : texte illisible (caractère nul ou invalide)")
        check_text(value, path)


def format_error(err: ValidationError) -> str:
    first = err.errors()[0]
    path = key_path(tuple(first["loc"]))
    kind = first["type"]
    if kind in ("extra_forbidden", "invalid_key"):
        return f"clé inconnue : {path}"
    if kind == "missing":
        return f"clé obligatoire manquante : {path}"
    reason = _REASONS.get(kind)
    bounds = {k: int(v) if isinstance(v, float) and v.is_integer() else v
              for k, v in first.get("ctx", {}).items()}  # "720", not "720.0"
    msg = (reason.format(**bounds) if reason is not None
           else first["msg"].removeprefix("Value error, "))
    if not first["loc"] and kind == "value_error":
        return msg  # a whole-document check: the message names its own path
    if kind.endswith("_type"):
        msg = f"type incorrect ({msg})"
    return f"{path} : {msg}"


@dataclass(frozen=True)
class Source:
    """Which of the two files is read, for the messages: its name and where it is set."""

    noun: str  # « fichier de configuration », « annuaire »
    hint: str  # where its path comes from


SETTINGS_FILE = Source("fichier de configuration", "option --config")
DIRECTORY_FILE = Source("annuaire", "clé directory de la configuration")


def read_yaml(path: Path, source: Source = SETTINGS_FILE) -> Any:
    """The YAML document of `path`; every way reading it can fail is one ConfigFileError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigFileError(f"{source.noun} introuvable : {path} ({source.hint})") from None
    except IsADirectoryError:
        raise ConfigFileError(f"{source.noun} : {path} est un dossier, pas un fichier "
                              f"({source.hint})") from None
    except PermissionError:
        raise ConfigFileError(f"{source.noun} illisible : {path} (permission refusée à "
                              "l’utilisateur qui lance traam-bot)") from None
    except OSError as exc:
        raise ConfigFileError(f"{source.noun} illisible : {path} ({exc.strerror})") from None
    try:
        text = data.decode("utf-8-sig")  # a BOM (Windows editors) is accepted
    except UnicodeDecodeError as exc:
        raise ConfigFileError(f"{source.noun} {path} : le fichier n’est pas en UTF-8 "
                              f"({_position(exc.object, exc.start)}) ; réenregistrez-le en UTF-8"
                              ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1})" if mark else ""
        raise ConfigFileError(f"{source.noun} : YAML invalide dans {path}{where}") from None


def _position(data: bytes, offset: int) -> str:
    line_start = data.rfind(b"\n", 0, offset) + 1
    line, column = data.count(b"\n", 0, offset) + 1, offset - line_start + 1
    return f"octet 0x{data[offset]:02X} invalide à la ligne {line}, colonne {column}"
