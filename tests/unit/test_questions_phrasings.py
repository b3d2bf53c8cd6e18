"""Free-text questions as coordinators and teachers type them (issue 11, §5): counting,
unions, disciplines and académies without a project, the programme itself, SMS spellings,
greetings and thanks. Each row checks the intent and, for projects, the projects the
answer would list (`ProjectIndex.match_any_of`)."""

from __future__ import annotations

import pytest

from tests.unit.conftest import SEED_IDS
from traam_bot.domain.programme import (
    ACADEMIES,
    DISCIPLINES,
    EDUBASE,
    FIGURES,
    MAGISTERE,
    PILOT,
)
from traam_bot.domain.questions import (
    ABOUT,
    CONTACTS,
    GREETINGS,
    PROGRAMME,
    PROJECTS,
    THANKS,
    UNKNOWN,
    classify,
)
from traam_bot.domain.search import ProjectIndex

ALL = frozenset(SEED_IDS)
BESANCON = frozenset(p for p in ALL if p.startswith("besancon"))
DIJON = frozenset(p for p in ALL if p.startswith("dijon"))
ARTS, LETTRES = "besancon-arts-plastiques-ia", "besancon-lettres-ia"
DOC, NSI = "besancon-documentation-ia", "besancon-nsi-egalite"
EPS, TECHNO = "dijon-eps-explicite", "dijon-technologie-projet"
IA = frozenset({ARTS, LETTRES, DOC})

# (question, count asked, projects the answer lists)
COUNTING = [
    ("combien de projets en lettres ?", {LETTRES}),
    ("Combien d'équipes ?", ALL),
    ("cb de projets a dijon", DIJON),
    ("Combien y a-t-il de TraAM dans l'académie de Besançon ?", BESANCON),
    ("nombre de projets en BFC", ALL),
    ("il y a combien de projets ?", ALL),
    ("combien de projets sur l'IA", IA),
    ("combien d equipes a besancon", BESANCON),
    ("cmb de traam en techno", {TECHNO}),
    ("Combien de projets TraAM cette année ?", ALL),
    ("combien de projets en lettres et en documentation ?", {LETTRES, DOC}),
]

UNIONS = [
    ("projets en lettres et documentation", {LETTRES, DOC}),
    ("lettres et documentation", {LETTRES, DOC}),
    ("projets lettres ou doc", {LETTRES, DOC}),
    ("les projets en EPS et en techno", {EPS, TECHNO}),
    ("les TraAM de Besançon et de Dijon", ALL),
    ("NSI et arts plastiques ?", {NSI, ARTS}),
    ("y a quoi en lettres, doc et nsi", {LETTRES, DOC, NSI}),
    ("projets IA en lettres", {LETTRES}),  # a theme word still narrows
    ("projets en NSI à Dijon", set()),  # a discipline and an académie: both must hold
    ("Y a-t-il des projets en année 1 ?", ALL - {ARTS}),
]

# (question, what the answer names as having no project)
MISSING = [
    ("y a-t-il des projets en maths ?", ("mathématiques",)),
    ("projets de maths à dijon", ("mathématiques",)),
    ("des TraAM en physique-chimie ?", ("physique-chimie",)),
    ("projets à Lyon", ("Lyon",)),
    ("et à Lyon ?", ("Lyon",)),
    ("y a t il des traam en svt", ("SVT",)),
    ("projets en histoire géo", ("histoire-géographie",)),
    ("projets en anglais", ("anglais",)),
    ("quels projets dans l'académie de Créteil ?", ("Créteil",)),
    ("projets philo", ("philosophie",)),
    ("combien de projets en maths", ("mathématiques",)),
    ("projets lyon lettres", ("Lyon",)),
]

TOPICS = [
    ("qui pilote les TraAM ?", PILOT),
    ("qui est à l'initiative des TraAM", PILOT),
    ("c'est qui qui copilote le dispositif ?", PILOT),
    ("les TraAM sont pilotés par qui ?", PILOT),
    ("les chiffres nationaux des traam", FIGURES),
    ("combien d'enseignants participent aux TraAM ?", FIGURES),
    ("combien de profs dans les traam au niveau national", FIGURES),
    ("ya combien d'équipes au national ?", FIGURES),
    ("c'est quoi Édubase ?", EDUBASE),
    ("c koi edubase", EDUBASE),
    ("où trouver les ressources sur edubase", EDUBASE),
    ("M@gistère c'est quoi ?", MAGISTERE),
    ("c'est quoi magistère", MAGISTERE),
    ("les parcours magistere des traam", MAGISTERE),
    ("quelles disciplines participent ?", DISCIPLINES),
    ("quelles matières sont concernées", DISCIPLINES),
    ("combien de disciplines", DISCIPLINES),
    ("kelles disciplines ?", DISCIPLINES),
    ("quelles académies participent ?", ACADEMIES),
    ("combien d'académies ?", ACADEMIES),
]

INFORMAL = [
    ("kel projets a besac", BESANCON),
    ("projs en nsi stp", {NSI}),
    ("slt kels sont les projs en lettres", {LETTRES}),
    ("y a des trucs en sport ?", {EPS}),
    ("projets en français", {LETTRES}),
    ("les projets du cdi", {DOC}),
    ("ya koi comme traam a dijon", DIJON),
    ("vs avez la liste des proj ?", ALL),
    ("jveux les projets de techno", {TECHNO}),
    ("projets documentaliste", {DOC}),
    ("stp les projets info", {NSI}),
    ("mrc, et en EPS ?", {EPS}),
]

SMALL_TALK = [
    ("bjr", GREETINGS),
    ("bonjour !", GREETINGS),
    ("Salut, ça va ?", GREETINGS),
    ("comment ça va ?", GREETINGS),
    ("cc", GREETINGS),
    ("coucou le bot", GREETINGS),
    ("Bonsoir", GREETINGS),
    ("hello", GREETINGS),
    ("merci !", THANKS),
    ("merci beaucoup", THANKS),
    ("mrc", THANKS),
    ("top merci", THANKS),
    ("Bonjour, merci pour ta réponse", THANKS),
    ("super, merci bcp !", THANKS),
    ("ok merci", THANKS),
    ("parfait, merci infiniment", THANKS),
    ("thx", THANKS),
    ("Merci bien, bonne journée", THANKS),
]


def listed(question: str, projects, contacts) -> set[str]:  # type: ignore[no-untyped-def]
    intent = classify(question, projects, contacts)
    assert intent.kind == PROJECTS, intent
    assert intent.missing == (), intent
    return {p.id for p in ProjectIndex(projects).match_any_of(intent.filters)}


def test_the_table_holds_at_least_sixty_new_phrasings() -> None:
    tables = (COUNTING, UNIONS, MISSING, TOPICS, INFORMAL, SMALL_TALK)
    assert sum(len(t) for t in tables) >= 60


@pytest.mark.parametrize(("question", "expected"), COUNTING)
def test_counting_questions(projects, contacts, question, expected):
    assert classify(question, projects, contacts).count
    assert listed(question, projects, contacts) == set(expected)


@pytest.mark.parametrize(("question", "expected"), UNIONS)
def test_unions_of_disciplines_and_academies(projects, contacts, question, expected):
    assert not classify(question, projects, contacts).count
    assert listed(question, projects, contacts) == set(expected)


@pytest.mark.parametrize(("question", "missing"), MISSING)
def test_a_discipline_or_academie_without_project_is_named(projects, contacts, question,
                                                           missing):
    intent = classify(question, projects, contacts)
    assert (intent.kind, intent.missing) == (PROJECTS, missing)


@pytest.mark.parametrize(("question", "topic"), TOPICS)
def test_questions_about_the_programme(projects, contacts, question, topic):
    intent = classify(question, projects, contacts)
    assert (intent.kind, intent.topic) == (PROGRAMME, topic)


@pytest.mark.parametrize(("question", "expected"), INFORMAL)
def test_informal_and_sms_spellings(projects, contacts, question, expected):
    assert listed(question, projects, contacts) == set(expected)


@pytest.mark.parametrize(("question", "kind"), SMALL_TALK)
def test_greetings_and_thanks(projects, contacts, question, kind):
    assert classify(question, projects, contacts).kind == kind


@pytest.mark.parametrize(("question", "kind"), [
    ("ki est la referente", CONTACTS),
    ("c koi les traam", ABOUT),
    ("pk les traam", ABOUT),
    ("bonjour, quelle heure est-il ?", UNKNOWN),  # a greeting with a real question
    ("quel temps fait-il à Paris ?", UNKNOWN),  # an académie's name is not enough
    ("qui pilote ? Julie Marchaland ?", CONTACTS),  # a contact's name wins
])
def test_informal_questions_keep_their_kind(projects, contacts, question, kind):
    assert classify(question, projects, contacts).kind == kind
