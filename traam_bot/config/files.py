"""What both config files share: the error the deployer reads, strict models, YAML
reading and the wording of validation errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

USER_ID = re.compile(r"^@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")


class ConfigError(Exception):
    """A configuration problem, worded for the person deploying the bot."""


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


def read_yaml(path: Path) -> Any:
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
