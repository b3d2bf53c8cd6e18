"""Free-text questions: intent kind and, through the filters, the actual answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.conftest import SEED_IDS
from traam_bot.domain.questions import ABOUT, CONTACTS, PROJECTS, UNKNOWN, Intent, classify
from traam_bot.domain.search import ProjectIndex, match_contacts, match_projects

ALL = frozenset(SEED_IDS)
BESANCON = frozenset(p for p in ALL if p.startswith("besancon"))
DIJON = frozenset(p for p in ALL if p.startswith("dijon"))
IA = frozenset({"besancon-arts-plastiques-ia", "besancon-lettres-ia", "besancon-documentation-ia"})
TECHNO = frozenset({"dijon-technologie-projet"})
NSI = frozenset({"besancon-nsi-egalite"})
EPS = frozenset({"dijon-eps-explicite"})

FLORIA, JULIE = "Floria DUFOUX", "Julie MARCHALAND"
EVERYONE = frozenset({FLORIA, JULIE})

PROJECT_QUESTIONS = [
    ("Quels sont les projets de l'académie de Dijon ?", DIJON),
    ("Bonjour, pourriez-vous me dire quels sont les projets de Dijon ?", DIJON),
    ("projets à Besançon", BESANCON),
    ("projets a besancon", BESANCON),
    ("PROJETS BESANCON", BESANCON),
    ("projets besanson", BESANCON),
    ("et à Dijon ?", DIJON),
    ("y a-t-il un projet en NSI ?", NSI),
    ("y a t il un projet en nsi", NSI),
    ("NSI", NSI),
    ("quels TraAM en EPS", EPS),
    ("liste des projets", ALL),
    ("Est-ce que vous avez la liste des TraAM ?", ALL),
    ("TraAM", ALL),
    ("projets 2025-2026", ALL),
    ("projets sur l'intelligence artificielle", IA),
    ("des projets sur l'IA ?", IA),
    ("qui travaille sur l'égalité filles garçons", NSI),
    ("égalité filles garçons ?", NSI),
    ("technolgie", TECHNO),
    ("Quels projets en techno ?", TECHNO),
    ("quels sont les traam en technologie à dijon svp merci", TECHNO),
    ("c'est quoi les TraAM de Dijon ?", DIJON),
    ("projets en arts plastiques", frozenset({"besancon-arts-plastiques-ia"})),
    ("qui travaille en lettres ?", frozenset({"besancon-lettres-ia"})),
    ("projets documentation", frozenset({"besancon-documentation-ia"})),
    ("y a t il des projets sur la culture de l'IA", frozenset({"besancon-documentation-ia"})),
    ("Y a-t-il des projets en parcours de formation ?", frozenset({"besancon-arts-plastiques-ia"})),
    ("les projets sur le numérique", DIJON),
    ("projets de dijon en NSI", frozenset()),
    ("@traam-bot:localhost projets à Dijon", DIJON),
    ("traam-bot: quels projets en EPS ?", EPS),
]

CONTACT_QUESTIONS = [
    ("qui contacter pour les TraAM ?", EVERYONE),
    ("Qui est la référente TraAM ?", {JULIE}),
    ("QUI EST LA REFERENTE ?", {JULIE}),
    ("referente traam", {JULIE}),
    ("@traam-bot:localhost qui est la referante ?", {JULIE}),
    ("qui anime le réseau des IAN ?", {FLORIA}),
    ("Bonjour, qui est la chargée d'animation ?", {FLORIA}),
    ("l'adresse mail de la référente", {JULIE}),
    ("contact DRANE", EVERYONE),
    ("à qui m'adresser ?", EVERYONE),
    ("email de Julie Marchaland", {JULIE}),
    ("Floria Dufoux", {FLORIA}),
    ("coordonnées", EVERYONE),
    ("cordonnées svp", EVERYONE),
    ("qui contacté", EVERYONE),
    ("s'il vous plaît, qui contacter à la DRANE ? merci", EVERYONE),
]

ABOUT_QUESTIONS = [
    "c'est quoi les TraAM ?",
    "C EST QUOI LES TRAAM",
    "à quoi servent les TraAM",
    "TraAM définition",
    "Qu'est-ce que les travaux académiques mutualisés ?",
    "Quels sont les objectifs des TraAM ?",
    "traam-bot: c'est quoi les TraAM ?",
]

OFF_TOPIC = [
    "quelle heure est-il ?",
    "il fait beau",
    "blague",
    "raconte-moi une blague",
    "quel temps fait-il à Paris ?",
    "je voudrais commander une pizza",
    "2 + 2 ?",
    "",
    "???",
]


@pytest.mark.parametrize(("question", "expected"), PROJECT_QUESTIONS)
def test_project_questions(projects, contacts, question, expected):
    intent = classify(question, projects, contacts)
    assert intent.kind == PROJECTS
    assert {p.id for p in match_projects(projects, intent.filters)} == expected


@pytest.mark.parametrize(("question", "expected"), CONTACT_QUESTIONS)
def test_contact_questions(projects, contacts, question, expected):
    intent = classify(question, projects, contacts)
    assert intent.kind == CONTACTS
    assert {c.name for c in match_contacts(contacts, intent.filters)} == expected


@pytest.mark.parametrize("question", ABOUT_QUESTIONS)
def test_about_questions(projects, contacts, question):
    assert classify(question, projects, contacts) == Intent(ABOUT)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_is_unknown(projects, contacts, question):
    intent = classify(question, projects, contacts)
    assert intent.kind == UNKNOWN
    assert intent.filters == ()


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("Quels sont les projets de l'académie de Dijon ?", ("dijon",)),
        ("projets sur l'intelligence artificielle", ("ia",)),
        ("quels sont les traam en technologie à dijon", ("technologie", "dijon")),
        ("liste des projets", ()),
    ],
)
def test_project_filters_keep_only_known_words(projects, contacts, question, filters):
    assert classify(question, projects, contacts).filters == filters


def test_unknown_words_are_reported_not_filtered(projects, contacts):
    intent = classify("projets à Pétaouchnok", projects, contacts)
    assert intent == Intent(PROJECTS, (), ("petaouchnok",))


def test_an_academie_without_project_is_named_as_missing(projects, contacts):
    intent = classify("projets à Paris", projects, contacts)
    assert intent == Intent(PROJECTS, (), ("paris",), missing=("Paris",))


def test_contact_filters_are_role_words(projects, contacts):
    assert classify("qui anime le réseau des IAN ?", projects, contacts).filters == (
        "animation",
        "reseau",
        "ian",
    )
    assert classify("qui contacter pour les TraAM ?", projects, contacts).filters == ()


def test_classify_accepts_a_prebuilt_index(projects, contacts):
    index = ProjectIndex(projects)
    assert classify("projets à Dijon", index, contacts) == classify(
        "projets à Dijon", projects, contacts
    )


def test_classify_is_deterministic(projects, contacts):
    first = [classify(q, projects, contacts) for q, _ in PROJECT_QUESTIONS]
    again = [classify(q, projects, contacts) for q, _ in PROJECT_QUESTIONS]
    assert first == again


def test_without_contacts_contact_cues_still_give_contacts(projects):
    assert classify("qui contacter ?", projects, []).kind == CONTACTS


def test_a_discipline_close_to_a_cue_word_stays_a_filter(projects, contacts):
    maths = replace(projects[0], id="dijon-maths", academie="Dijon", discipline="Mathématiques")
    catalogue = [*projects, maths]
    intent = classify("projets en mathématiques", catalogue, contacts)
    assert intent.filters == ("mathematiques",)
    assert [p.id for p in match_projects(catalogue, intent.filters)] == ["dijon-maths"]
