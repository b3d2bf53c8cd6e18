"""The directory file (config/traam.yaml): projects and contacts, validated."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from traam_bot.config.files import (
    DIRECTORY_FILE,
    ConfigError,
    Strict,
    check_text,
    check_user_id,
    format_error,
    read_yaml,
)
from traam_bot.domain.calendar import ZONES, Milestone
from traam_bot.domain.model import Contact, Directory, Project
from traam_bot.domain.text import words
from traam_bot.domain.years import YearError, parse_year


class _ProjectIn(Strict):
    id: str
    academie: str
    discipline: str
    theme: str
    phase: str = "Année 1"
    room: str | None = None
    year: str | None = None  # the directory's `year` when absent

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        return _school_year(v)

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


class _ContactIn(Strict):
    name: str
    role: str
    email: str
    matrix_id: str | None = None
    id: str | None = None

    @field_validator("matrix_id")
    @classmethod
    def _uid(cls, v: str | None) -> str | None:
        return None if v is None else check_user_id(v)


class _MilestoneIn(Strict):
    date: date
    titre: str
    academies: list[str] = Field(default_factory=list)
    indicatif: bool = False  # a date the public rhythm implies, not an official one

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, datetime):
            return v.date()
        if isinstance(v, str):
            for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
                try:
                    return datetime.strptime(v.strip(), pattern).date()
                except ValueError:
                    continue
            raise ValueError(f"date « {v} » : attendu JJ/MM/AAAA ou AAAA-MM-JJ")
        return v


class _DirectoryIn(Strict):
    region: str
    year: str
    projects: list[_ProjectIn]
    contacts: list[_ContactIn] = Field(default_factory=list)
    zones: dict[str, str] = Field(default_factory=dict)
    calendrier: list[_MilestoneIn] = Field(default_factory=list)

    @field_validator("zones")
    @classmethod
    def _zones(cls, v: dict[str, str]) -> dict[str, str]:
        for academie, zone in v.items():
            if zone not in ZONES:
                raise ValueError(f"zone « {zone} » de {academie} : attendu A, B ou C")
        return v

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, v: Any) -> Any:
        return _school_year(v)

    @model_validator(mode="after")
    def _unique(self) -> _DirectoryIn:
        # one id may come back in another year (Année 2 continuing Année 1), once per year
        _check_unique("projects", ".id", "de projet",
                      [f"{p.id} ({p.year or self.year})" for p in self.projects])
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


def _school_year(v: Any) -> Any:
    """"2025-2026" (also written 2025/2026 or 2025-26); other values are left to pydantic."""
    if not isinstance(v, str | int) or isinstance(v, bool):
        return v
    try:
        return parse_year(str(v))
    except YearError as err:
        raise ValueError(str(err)) from None


def contact_id(name: str) -> str:
    return "-".join(words(name))


def parse_directory(raw: Any, origin: str = "annuaire") -> Directory:
    """Validate the directory's YAML data; `origin` starts the error messages."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin} : le document doit être un dictionnaire YAML "
                          "(region, year, projects, contacts)")
    try:
        check_text(raw)
    except ConfigError as err:
        raise ConfigError(f"{origin} : {err}") from None
    try:
        d = _DirectoryIn.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin} : {format_error(exc)}") from None
    projects = tuple(
        Project(id=p.id, academie=p.academie, discipline=p.discipline, theme=p.theme,
                phase=p.phase, year=p.year or d.year, region=d.region, room=p.room)
        for p in d.projects
    )
    contacts = tuple(
        Contact(id=c.id or contact_id(c.name), name=c.name, role=c.role, email=c.email,
                matrix_id=c.matrix_id)
        for c in d.contacts
    )
    milestones = tuple(sorted(
        (Milestone(day=m.date, title=m.titre, academies=tuple(m.academies),
                   indicative=m.indicatif) for m in d.calendrier),
        key=lambda m: m.day))
    return Directory(region=d.region, year=d.year, projects=projects, contacts=contacts,
                     zones=tuple(d.zones.items()), milestones=milestones)


def load_directory(path: str | Path) -> Directory:
    return parse_directory(read_yaml(Path(path), DIRECTORY_FILE), f"annuaire {path}")
