"""Questions about the TraAM programme itself (pure, no I/O): who steers it, the national
figures, Édubase, M@gistère, which disciplines and académies take part.

The national facts are quoted from the programme's page (the seed document
`traam-bfc-2025-2026.txt`: « 700 enseignants, 18 disciplines scolaires, 120 équipes »,
« À l’initiative de la DNE… Co-pilotés par la DNE et l’IGESR », « ressources pédagogiques
indexées sur Édubase », « parcours d’auto-formation … m@gistère », « bilans nationaux …
sur Éduscol et conservés pendant trois ans »); nothing else is asserted. Regional figures
are always counted from the directory.
"""

from __future__ import annotations

from collections.abc import Sequence

from traam_bot.domain.model import Contact, Project, project_order
from traam_bot.domain.phrasing import KNOWN_ACADEMIES
from traam_bot.domain.render import B, Doc
from traam_bot.domain.text import academie_label, plural

PILOT, FIGURES, EDUBASE, MAGISTERE, DISCIPLINES, ACADEMIES = (
    "pilot", "figures", "edubase", "magistere", "disciplines", "academies")

NATIONAL_TEACHERS, NATIONAL_DISCIPLINES, NATIONAL_TEAMS = 700, 18, 120

STEERING = (
    "Les TraAM sont lancés à l’initiative de la direction du numérique pour l’éducation "
    "(DNE) et co-pilotés par la DNE et l’inspection générale de l’éducation, du sport et de "
    "la recherche (IGÉSR). Dans les académies, les équipes sont pilotées par l’inspection "
    "territoriale.")
FIGURES_TEXT = (
    f"Au niveau national, les TraAM réunissent environ {NATIONAL_TEACHERS} enseignants, de "
    f"l’école au post-bac (BTS), dans {NATIONAL_DISCIPLINES} disciplines et enseignements : "
    f"plus de {NATIONAL_TEAMS} équipes.")
EDUBASE_TEXT = (
    "Édubase est la plateforme où les TraAM indexent les ressources pédagogiques qu’ils "
    "produisent (scénarios pédagogiques), pour les diffuser auprès de l’ensemble de la "
    "communauté enseignante. Chaque fin d’année, des bilans nationaux par discipline sont "
    "aussi publiés sur Éduscol et conservés pendant trois ans.")
MAGISTERE_TEXT = (
    "M@gistère est la plateforme de formation où les TraAM publient leurs parcours "
    "d’autoformation, dans l’offre en libre accès : des modules de formation conçus par les "
    "équipes pour leurs pairs, dans le cadre de la stratégie pour le numérique.")

_STEER_STEMS = ("pilot", "copilot", "initiative", "organis", "dirige", "lance")
_FIGURE_WORDS = frozenset(
    """chiffre chiffres chiffres statistique statistiques stats national nationaux nationale
    nationales france pays""".split())
_SUBJECT_WORDS = frozenset("discipline disciplines matiere matieres".split())
_WHICH = frozenset(
    """quel quels quelle quelles participent participe engagees engages concernees
    concernes representees representes""".split())


def topic_of(content: Sequence[str], count: bool, has_key_filter: bool) -> str | None:
    """The programme topic of a question's content words (folded, SMS-normalised), if any."""
    if any(w.startswith("edubas") or w == "edu" for w in content):
        return EDUBASE
    if any(w.startswith("magist") for w in content):
        return MAGISTERE
    if any(w.startswith(_STEER_STEMS) for w in content):
        return PILOT
    if any(w in _FIGURE_WORDS for w in content) or (
            count and any(w.startswith("enseignant") for w in content)):
        return FIGURES
    if has_key_filter or any(w.startswith("projet") for w in content):
        return None
    if any(w in _SUBJECT_WORDS for w in content):
        return DISCIPLINES
    if any(w.startswith("academie") for w in content) and (
            count or any(w in _WHICH for w in content)):
        return ACADEMIES
    return None


def programme_doc(topic: str, projects: Sequence[Project], contacts: Sequence[Contact],
                  prefix: str = "!") -> Doc:
    """The answer to a programme question; regional figures counted from `projects`."""
    active = sorted((p for p in projects if not p.archived), key=project_order)
    if topic == PILOT:
        doc = Doc().para(STEERING)
        people = [c for c in contacts if not c.archived]
        if people:
            doc.para(f"Dans la région{_region(active)}, vos contacts à la DRANE :")
            for c in people:
                doc.item(B(c.name), f" — {c.role} — {c.email}")
        return doc
    if topic == FIGURES:
        return Doc().para(FIGURES_TEXT).para(regional_summary(active))
    if topic == EDUBASE:
        return Doc().para(EDUBASE_TEXT)
    if topic == MAGISTERE:
        return Doc().para(MAGISTERE_TEXT)
    if topic == ACADEMIES:
        return academies_doc(active)
    return disciplines_doc(active, prefix)


def regional_summary(projects: Sequence[Project]) -> str:
    """"Dans la région Bourgogne-Franche-Comté (2025-2026) : 6 projets, dans 2 académies."."""
    academies = {p.academie for p in projects}
    disciplines = _disciplines(projects)
    return (f"Dans la région{_region(projects)} : {plural(len(projects), 'projet')}, dans "
            f"{plural(len(academies), 'académie')} et {plural(len(disciplines), 'discipline')}.")


def disciplines_doc(projects: Sequence[Project], prefix: str = "!") -> Doc:
    disciplines = _disciplines(projects)
    doc = Doc().para(f"{plural(len(disciplines), 'discipline')} dans la région"
                     f"{_region(projects)} :")
    for academie in _academies(projects):
        names = [p.discipline for p in projects if p.academie == academie]
        doc.item(f"{academie_label(academie)} : {', '.join(dict.fromkeys(names))}")
    doc.para(f"Au niveau national, les TraAM couvrent {NATIONAL_DISCIPLINES} disciplines et "
             f"enseignements. Tapez {prefix}projets <discipline> pour voir les projets "
             "d’une discipline.")
    return doc


def academies_doc(projects: Sequence[Project]) -> Doc:
    academies = _academies(projects)
    doc = Doc().para(f"{plural(len(academies), 'académie')} dans la région"
                     f"{_region(projects)} :")
    for academie in academies:
        count = sum(1 for p in projects if p.academie == academie)
        doc.item(f"{academie_label(academie)} : {plural(count, 'projet')}")
    return doc


def _disciplines(projects: Sequence[Project]) -> list[str]:
    return list(dict.fromkeys(p.discipline for p in projects))


def _academies(projects: Sequence[Project]) -> list[str]:
    return list(dict.fromkeys(p.academie for p in projects))


def _region(projects: Sequence[Project]) -> str:
    """" Bourgogne-Franche-Comté (2025-2026)", or what of it the directory gives."""
    regions = list(dict.fromkeys(p.region for p in projects if p.region))
    years = sorted({p.year for p in projects if p.year})
    where = f" {regions[0]}" if len(regions) == 1 else ""
    return where + (f" ({', '.join(years)})" if years else "")


def missing_doc(missing: Sequence[str], projects: Sequence[Project], prefix: str = "!") -> Doc:
    """« Aucun projet TraAM en mathématiques… »: what the question names has no project;
    then what the directory does have, never the whole list."""
    active = sorted((p for p in projects if not p.archived), key=project_order)
    places = set(KNOWN_ACADEMIES.values())
    academies = [academie_label(m) for m in missing if m in places]
    subjects = [m for m in missing if m not in places]
    text = "Aucun projet TraAM"
    if subjects:
        text += " en " + " ni en ".join(subjects)
    text += (" dans l’" + " ni dans l’".join(academies) if academies
             else f" dans la région{_region(active)}")
    doc = Doc().para(text + ".")
    if active:
        doc.para(f"Les projets de la région sont en {', '.join(_disciplines(active))}, dans "
                 + " et ".join("l’" + academie_label(a) for a in _academies(active)) + ".")
    return doc.para(f"Tapez {prefix}projets pour voir la liste complète.")
