"""Free-text question understanding: what a French question to the bot is about.

Decisions (kept deliberately simple and deterministic):
- contacts win over everything else when a contact cue is present ("contacter",
  "référente", "adresse", "mail", "coordonnées", "DRANE", "anime", a contact's name…);
- "about" needs a TraAM word plus a definition cue ("c'est quoi", "à quoi servent",
  "définition"…) and no project filter ("c'est quoi les TraAM de Dijon ?" is a
  projects question);
- projects needs a project cue ("projets", "TraAM", "liste", "qui travaille"…), or a
  filter naming an académie / discipline / id / year ("et en NSI ?"), or at least two
  theme words that together match a project ("égalité filles garçons ?"). A question
  about a theme ("qui travaille sur l'égalité filles garçons ?") is therefore a
  projects question: the theme belongs to a project, not to a contact;
- filters are only the words that match the projects' (or contacts') vocabulary, so
  `ProjectIndex.match_any_of(intent.filters)` answers the question (disciplines, and
  académies, are alternatives: « lettres et documentation »); the other content words
  are kept in `unmatched` so the caller can say what it did not understand;
- words are first normalised (domain.phrasing): SMS spellings (« kel », « cb »), everyday
  names (« maths », « doc », « français »); a message made only of greetings or thanks
  (and politeness) is `greeting` / `thanks`;
- a question about personal data (« RGPD », « que faites-vous de mes données ? », « qui
  voit mes messages ? ») is `privacy`, whatever else it names (domain.phrasing);
- « combien », « nombre » set `count`; a question about the programme itself (who
  steers it, national figures, Édubase, M@gistère, which disciplines or académies) is
  `programme` with its `topic` (domain.programme), unless it names a contact;
- an unmatched word naming a real discipline or académie (« maths », « Lyon ») goes to
  `missing`: the answer is « aucun projet … », never the whole list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from traam_bot.domain.model import Contact, Project
from traam_bot.domain.phrasing import (
    GREETING,
    PRIVACY_KIND,
    THANKS_KIND,
    about_privacy,
    known_elsewhere,
    normalize_words,
)
from traam_bot.domain.phrasing import small_talk as _small_talk
from traam_bot.domain.programme import topic_of
from traam_bot.domain.search import ProjectIndex, match_contacts
from traam_bot.domain.text import fold, words
from traam_bot.domain.vocabulary import STOPWORDS, normalize_filters, word_matches

PROJECTS, CONTACTS, ABOUT, UNKNOWN = "projects", "contacts", "about", "unknown"
PROGRAMME, GREETINGS, THANKS, PRIVACY = "programme", GREETING, THANKS_KIND, PRIVACY_KIND


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str  # projects | contacts | about | programme | privacy | greeting | thanks | unknown
    filters: tuple[str, ...] = ()  # folded words for match_projects / match_contacts
    unmatched: tuple[str, ...] = ()  # content words that matched nothing known
    count: bool = False  # « combien de projets… »: answer with the number first
    topic: str = ""  # a programme question's topic (domain.programme)
    # disciplines or académies the question names that no project of the directory has,
    # as an answer names them (« mathématiques », « Lyon »)
    missing: tuple[str, ...] = ()


_TRAAM = frozenset({"traam", "traams"})
_TRAAM_LONG = ("travaux", "academiques", "mutualises")

# Cue words are matched like filter words: exact, as a prefix (≥ 4 letters) of the
# question word ("contact" → "contacté"), or fuzzily ("referante" → "referente").
_CONTACT_STEMS = tuple(
    """
    contact joindr adress referen anim coordonn courriel telephon drane responsab
    interlocut email mail
    """.split()
)
_CONTACT_WORDS = tuple(
    """
    contacter joindre adresse adresser referente referent animation animatrice animateur
    coordonnees courriel telephone responsable interlocutrice interlocuteur
    """.split()
)
_CONTACT_EXACT = frozenset({"mel", "tel"})
# Contact cues that name a role: folded to the role word the directory uses.
_ROLE_ALIASES = (("anim", "animation"), ("referen", "referente"), ("referan", "referente"))

_ABOUT_CUES = frozenset(
    """
    quoi qu definition definitions definir signifie signification sert servent servir
    objectif objectifs but buts presentation presenter presente explique expliquer
    explication principe pourquoi comment fonctionne fonctionnent acronyme sigle
    dispositif veut
    """.split()
)

_PROJECT_CUES = frozenset(
    """
    projet projets traam traams equipe equipes liste lister travaux theme themes
    thematique thematiques sujet sujets experimentation experimentations travaille
    travaillent travail academie academies discipline disciplines retenus retenu groupe
    groupes region regions regional regionaux trucs truc choses
    """.split()
)

# Matrix user ids ("@traam-bot:localhost") and the bot's name ("traam-bot:", "TraAM bot").
_MENTION = re.compile(r"@[a-z0-9._=/-]+(?::[a-z0-9.-]+(?::\d+)?)?|\btraam[\s_-]?bot\b")
_MAGISTERE = re.compile(r"\bm@gist")  # « M@gistère » is not a Matrix id
_COUNT_CUES = frozenset({"combien", "nombre", "nb", "nbre"})


def classify(
    text: str,
    projects: Sequence[Project] | ProjectIndex,
    contacts: Sequence[Contact],
) -> Intent:
    """The intent of a free-text message addressed to the bot."""
    tokens = question_words(text)
    social = _small_talk(tokens, STOPWORDS)
    if social is not None:
        return Intent(social)
    if about_privacy(tokens):  # before the rest: « mes données » is no project search
        return Intent(PRIVACY)
    count = not _COUNT_CUES.isdisjoint(tokens)
    content = [w for w in tokens if w not in STOPWORDS and w not in _COUNT_CUES]
    if not content:
        return Intent(UNKNOWN)
    index = projects if isinstance(projects, ProjectIndex) else ProjectIndex(projects)
    has_key = any(index.is_key_word(w) for w in content if not _is_project_cue(w, index))
    topic = topic_of(content, count, has_key)
    if topic is not None and not _names_a_contact(content, contacts):
        return Intent(PROGRAMME, count=count, topic=topic)
    if _is_contact_question(content, contacts):
        return _contact_intent(content, contacts)
    filters, unmatched = _project_filters(content, index)
    missing = tuple(dict.fromkeys(n for w in unmatched if (n := known_elsewhere(w))))
    if _is_about_question(tokens, content, filters) and not count:
        return Intent(ABOUT, (), unmatched)
    if _is_projects_question(content, filters, index) or (missing and not filters
                                                          and len(missing) == len(content)):
        return Intent(PROJECTS, filters, unmatched, count=count, missing=missing)
    return Intent(UNKNOWN, (), unmatched)


def question_words(text: str) -> list[str]:
    """Folded words of the message without the bot's mention or Matrix ids, SMS spellings
    and everyday discipline names normalised (domain.phrasing)."""
    folded = _MAGISTERE.sub("magist", fold(text))
    return normalize_words(words(_MENTION.sub(" ", folded)))


# --- contacts ---------------------------------------------------------------------


def _is_contact_question(content: Sequence[str], contacts: Sequence[Contact]) -> bool:
    names = _contact_name_words(contacts)
    roles = _contact_role_words(contacts)
    return any(
        _is_contact_cue(w) or _matches_any(w, names) or _matches_any(w, roles) for w in content
    )


def _names_a_contact(content: Sequence[str], contacts: Sequence[Contact]) -> bool:
    names = _contact_name_words(contacts)
    return any(_matches_any(w, names) for w in content)


def _is_contact_cue(word: str) -> bool:
    if word in _CONTACT_EXACT:
        return True
    if any(word.startswith(stem) for stem in _CONTACT_STEMS):
        return True
    return any(word_matches(cue, word) for cue in _CONTACT_WORDS)


def _contact_intent(content: Sequence[str], contacts: Sequence[Contact]) -> Intent:
    filters: list[str] = []
    unmatched: list[str] = []
    for word in content:
        if word in _TRAAM:
            continue
        candidate = _role_alias(word)
        if match_contacts(contacts, [candidate]):
            _append_once(filters, candidate)
        elif not _is_contact_cue(word):
            _append_once(unmatched, word)
    return Intent(CONTACTS, tuple(filters), tuple(unmatched))


def _role_alias(word: str) -> str:
    for stem, role in _ROLE_ALIASES:
        if word.startswith(stem) or word_matches(role, word):
            return role
    return word


def _contact_name_words(contacts: Iterable[Contact]) -> set[str]:
    return {w for c in contacts if not c.archived for w in words(c.name) if len(w) >= 3}


def _contact_role_words(contacts: Iterable[Contact]) -> set[str]:
    found = {w for c in contacts if not c.archived for w in words(c.role)}
    return found - STOPWORDS - _TRAAM


# --- projects ---------------------------------------------------------------------


def _project_filters(
    content: Sequence[str], index: ProjectIndex
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    filters: list[str] = []
    unmatched: list[str] = []
    for word in normalize_filters(_without_cues(content, index)):
        if word in STOPWORDS:
            continue
        if index.knows(word):
            _append_once(filters, word)
        else:
            _append_once(unmatched, word)
    return tuple(filters), tuple(unmatched)


def _without_cues(content: Sequence[str], index: ProjectIndex) -> list[str]:
    return [
        w
        for w in content
        if not _is_project_cue(w, index) and w not in _ABOUT_CUES and w not in _TRAAM_LONG
    ]


def _is_project_cue(word: str, index: ProjectIndex) -> bool:
    """ "projets", "equipes", "thème"…; a word that names a project or a discipline or
    académie (an académie, a discipline…) is never a cue, even when close to one
    ("mathematiques" ~ "thematiques")."""
    if word in _PROJECT_CUES:
        return True
    if word in index.key_words or known_elsewhere(word):
        return False
    return _matches_any(word, _PROJECT_CUES)


def _is_projects_question(
    content: Sequence[str], filters: Sequence[str], index: ProjectIndex
) -> bool:
    if any(_matches_any(w, _PROJECT_CUES) for w in content):
        return True
    if any(index.is_key_word(f) for f in filters):
        return True
    return len(filters) >= 2 and bool(index.match(filters))


def _is_about_question(
    tokens: Sequence[str], content: Sequence[str], filters: Sequence[str]
) -> bool:
    """A TraAM word and a definition cue, but no project filter nor other project cue."""
    if filters or not _mentions_traam(tokens) or not _has_any(tokens, _ABOUT_CUES):
        return False
    others = _PROJECT_CUES - _TRAAM - set(_TRAAM_LONG)
    return not any(_matches_any(w, others) for w in content if w not in _TRAAM_LONG)


def _mentions_traam(tokens: Sequence[str]) -> bool:
    if _has_any(tokens, _TRAAM):
        return True
    return all(any(word_matches(part, w) for w in tokens) for part in _TRAAM_LONG)


# --- helpers ----------------------------------------------------------------------


def _matches_any(word: str, vocabulary: Iterable[str]) -> bool:
    return any(word_matches(known, word) or word_matches(word, known) for known in vocabulary)


def _has_any(tokens: Iterable[str], cues: frozenset[str]) -> bool:
    return not cues.isdisjoint(tokens)


def _append_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)
