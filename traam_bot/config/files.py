"""What both config files share: the error the deployer reads, strict models, YAML
reading and the wording of validation errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

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


def format_error(err: ValidationError) -> str:
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
