"""Resources a project produces (Édubase fiches, M@gistère parcours, other https links):
the link rules, the `!ressource` arguments, and how a resource is shown. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from traam_bot.domain.limits import thousands
from traam_bot.domain.render import B, Doc, I
from traam_bot.domain.text import format_date

MAX_LINK_CHARS = 2000
MAX_TITLE_CHARS = 300

EDUBASE = "edubase"
MAGISTERE = "magistere"
OTHER = "autre"
KIND_LABELS = {EDUBASE: "fiche Édubase", MAGISTERE: "parcours M@gistère", OTHER: "autre"}

_EDUBASE_HOST = "edubase.eduscol.education.fr"
_EDUBASE_PATH = re.compile(r"^/fiche/\d+/?$")
_MAGISTERE_HOST = "magistere.education.fr"
# /<ac-…>/course/view.php?id=<n> or /<ac-…>/enrol/index.php?id=<n> (Moodle)
_MAGISTERE_PATH = re.compile(r"^/[^/]+/(?:course/view|enrol/index)\.php$")
# characters a link may not hold as typed: spaces, controls, and what would end it in
# Markdown or HTML (a real link percent-encodes them)
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>\"`\\]")
_EXAMPLE = "https://edubase.eduscol.education.fr/fiche/12345 Séquence IA en 1re"


class ResourceError(ValueError):
    """A French message explaining why the resource cannot be recorded."""


@dataclass(frozen=True, slots=True)
class Resource:
    id: int
    project_id: str
    url: str
    title: str
    kind: str  # a key of KIND_LABELS
    author: str  # Matrix user id
    author_name: str  # display name when it was added
    room_id: str
    created_at: datetime  # aware, UTC

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, KIND_LABELS[OTHER])


@dataclass(frozen=True)
class NewResource:
    """A resource about to be recorded."""

    project_id: str
    url: str
    title: str
    kind: str
    author: str
    author_name: str
    room_id: str
    event_id: str
    created_at: datetime


def check_link(link: str) -> str:
    """The link as it will be stored, or ResourceError saying what is wrong with it."""
    link = link.strip()
    if len(link) > MAX_LINK_CHARS:
        raise ResourceError(f"Lien trop long : {thousands(len(link))} caractères pour "
                            f"{thousands(MAX_LINK_CHARS)} au maximum.")
    scheme = link.split(":", 1)[0].strip().lower() if ":" in link else ""
    if scheme in ("javascript", "data", "vbscript"):
        raise ResourceError(f"Les liens « {scheme}: » ne sont pas acceptés : donnez l’adresse "
                            "https:// de la ressource.")
    if _FORBIDDEN.search(link):
        raise ResourceError("Le lien contient des espaces ou des caractères interdits "
                            "(<, >, \", `, \\) : copiez l’adresse telle que le navigateur "
                            "l’affiche.")
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ResourceError("Lien illisible : donnez une adresse complète commençant par "
                            "https://.") from None
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ResourceError("Seuls les liens https:// sont acceptés (adresse complète, par "
                            "exemple https://edubase.eduscol.education.fr/fiche/12345).")
    return link


def link_kind(link: str) -> str:
    """EDUBASE, MAGISTERE or OTHER, from a link that passed `check_link`."""
    parts = urlsplit(link)
    host = (parts.hostname or "").lower()
    if host == _EDUBASE_HOST and _EDUBASE_PATH.match(parts.path):
        return EDUBASE
    if host == _MAGISTERE_HOST and _MAGISTERE_PATH.match(parts.path):
        ids = parse_qs(parts.query).get("id", [])
        if ids and ids[0].isascii() and ids[0].isdigit():
            return MAGISTERE
    return OTHER


def same_link(a: str, b: str) -> bool:
    """Two spellings of one link: scheme and host in any case, one trailing slash or not."""
    return _link_key(a) == _link_key(b)


def _link_key(link: str) -> str:
    parts = urlsplit(link)
    path = parts.path.rstrip("/")
    key = f"{(parts.hostname or '').lower()}:{parts.port or 443}{path}"
    return key + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")


def parse_resource(args: str) -> tuple[str, str, str]:
    """"<lien> <titre>" -> (link, title, kind); ResourceError when either is wrong."""
    parts = args.strip().split(maxsplit=1)
    if not parts:
        raise ResourceError(f"Indiquez le lien puis le titre, par exemple : {_EXAMPLE}")
    link, title = parts[0], (parts[1].strip() if len(parts) == 2 else "")
    if ":" not in link and "://" in args:
        raise ResourceError(f"Le lien vient en premier, puis le titre, par exemple : {_EXAMPLE}")
    link = check_link(link)
    if not title:
        raise ResourceError(f"Il manque le titre après le lien, par exemple : {_EXAMPLE}")
    if len(title) > MAX_TITLE_CHARS:
        raise ResourceError(f"Titre trop long : {thousands(len(title))} caractères pour "
                            f"{MAX_TITLE_CHARS} au maximum.")
    return link, " ".join(title.split()), link_kind(link)


_DM_FORM = re.compile(r"^\s*(?P<project>[^:]*?[^:\s])\s*:\s+(?P<rest>\S.*)$", re.DOTALL)


def split_dm_resource(args: str) -> tuple[str, str] | None:
    """"nsi : https://… Titre" -> ("nsi", "https://… Titre"); None without « <projet> : »
    (the colon of "https:" is not followed by a space, so it never counts)."""
    m = _DM_FORM.match(args)
    return (m.group("project"), m.group("rest")) if m else None


def resource_item(doc: Doc, n: int | None, r: Resource, tz: ZoneInfo) -> Doc:
    """One resource as a list item: number, title, kind, link, who added it and when."""
    head = [B(f"{n}. ")] if n is not None else []
    return doc.item(*head, I(r.title), f" ({r.kind_label}) — {r.url} — {r.author_name}, "
                    f"{format_date(r.created_at, tz)}")


def resources_section(doc: Doc, title: str, resources: Sequence[Resource], tz: ZoneInfo,
                      numbered: bool = False) -> Doc:
    """A titled list of resources; nothing at all when there are none."""
    if not resources:
        return doc
    doc.para(B(title))
    for n, r in enumerate(resources, start=1):
        resource_item(doc, n if numbered else None, r, tz)
    return doc
