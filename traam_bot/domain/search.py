"""Accent- and typo-tolerant search over projects and contacts (pure, no I/O).

Word-level matching lives in `domain.vocabulary`; this module scores and selects
whole projects (`ProjectIndex`) and contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from traam_bot.domain.model import Contact, Project, project_order
from traam_bot.domain.text import fold, words
from traam_bot.domain.vocabulary import (
    STOPWORDS,
    Vocabulary,
    normalize_filters,
    word_matches,
    word_quality,
)

SUGGEST_RATIO = 0.75  # below this, suggest() prefers saying nothing

_NAMING_WEIGHT, _ACADEMIE_WEIGHT, _OTHER_WEIGHT = 3.0, 2.0, 1.0


def project_key_words(project: Project) -> list[str]:
    """Words naming the project itself: id, discipline, académie, year."""
    return words(f"{project.id} {project.discipline} {project.academie} {project.year}")


def project_words(project: Project) -> set[str]:
    """Every folded word a filter may match: key words, theme, phase, region."""
    found = set(project_key_words(project))
    found.update(words(f"{project.theme} {project.phase} {project.region}"))
    if _mentions_ia(project.theme):
        found.add("ia")
    return found


def _mentions_ia(text: str) -> bool:
    return "ia" in normalize_filters([text])


class ProjectIndex:
    """Active projects with precomputed folded words; build once, query many times."""

    def __init__(self, projects: Iterable[Project]) -> None:
        self.projects: tuple[Project, ...] = tuple(
            sorted((p for p in projects if not p.archived), key=project_order)
        )
        self._postings: dict[str, set[int]] = {}  # word -> positions in self.projects
        self._naming: dict[str, set[int]] = {}  # id and discipline words only
        self._academie: dict[str, set[int]] = {}  # académie words only
        for position, project in enumerate(self.projects):
            _post(self._postings, project_words(project), position)
            _post(self._naming, words(f"{project.id} {project.discipline}"), position)
            _post(self._academie, words(project.academie), position)
        self._discipline_words = frozenset(w for p in self.projects for w in words(p.discipline))
        self.vocabulary = Vocabulary(self._postings)
        self.key_words = frozenset(w for p in self.projects for w in project_key_words(p))
        self._by_id = {fold(p.id): p for p in self.projects}

    def __len__(self) -> int:
        return len(self.projects)

    def match(self, filters: Sequence[str]) -> list[Project]:
        """Projects matching every filter word, sorted by académie then discipline."""
        selected = self._select(normalize_filters(filters))
        if selected is None:
            return list(self.projects)
        return [self.projects[i] for i in sorted(selected)]

    def match_any_of(self, filters: Sequence[str]) -> list[Project]:
        """The reading of a free-text question: words naming disciplines are alternatives
        (« lettres et documentation »), so are words naming académies (« Besançon ou
        Dijon »); those two groups and every other word must all match."""
        disciplines: list[str] = []
        academies: list[str] = []
        others: list[str] = []
        for query in normalize_filters(filters):
            found = self.vocabulary.expand(query)
            if not self._discipline_words.isdisjoint(found):
                disciplines.append(query)
            elif any(word in self._academie for word in found):
                academies.append(query)
            else:
                others.append(query)
        selected = self._select(others)
        for group in (disciplines, academies):
            if group:
                hits = set().union(*(self._positions(q) for q in group))
                selected = hits if selected is None else selected & hits
        if selected is None:
            return list(self.projects)
        return [self.projects[i] for i in sorted(selected)]

    def knows(self, query: str) -> bool:
        """True when the folded word matches some project's vocabulary."""
        return bool(self.vocabulary.expand(query))

    def is_key_word(self, query: str) -> bool:
        """True when the folded word matches an id, discipline, académie or year word."""
        return not self.key_words.isdisjoint(self.vocabulary.expand(query))

    def by_id(self, project_id: str) -> Project | None:
        return self._by_id.get(fold(project_id).strip())

    def find(self, query: str) -> Project | None:
        """Exact id first, else the best-scored project matching every word."""
        exact = self.by_id(query)
        if exact is not None:
            return exact
        filters = normalize_filters([query])
        candidates = self._select(filters) if filters else None
        if not candidates:
            return None
        return self.projects[self._best_scored(candidates, filters)]

    def suggest(self, query: str) -> Project | None:
        """The project closest to `query` when nothing matches, or None if none is close."""
        queries = [w for w in normalize_filters([query]) if w not in STOPWORDS]
        if not queries or not self.projects:
            return None
        totals = [0.0] * len(self.projects)
        for word in queries:
            for position, ratio in self._best_ratio_per_project(word).items():
                totals[position] += ratio
        best = max(range(len(totals)), key=lambda i: (totals[i], -i))
        return self.projects[best] if totals[best] / len(queries) >= SUGGEST_RATIO else None

    def _select(self, filters: Sequence[str]) -> set[int] | None:
        """Positions matching every folded filter word; None when there is no filter."""
        selected: set[int] | None = None
        for query in filters:
            hits = self._positions(query)
            selected = hits if selected is None else selected & hits
            if not selected:
                return set()
        return selected

    def _best_scored(self, candidates: set[int], filters: Sequence[str]) -> int:
        """Id and discipline words weigh more than académie, académie more than the rest;
        ties go to the first project in sort order."""
        totals = dict.fromkeys(candidates, 0.0)
        for query in filters:
            best: dict[int, float] = {}
            for word in self.vocabulary.expand(query):
                quality = word_quality(query, word)
                for position in self._postings[word] & candidates:
                    value = self._weight(word, position) * quality
                    best[position] = max(best.get(position, 0.0), value)
            for position, value in best.items():
                totals[position] += value
        return max(sorted(totals), key=totals.__getitem__)

    def _weight(self, word: str, position: int) -> float:
        if position in self._naming.get(word, ()):
            return _NAMING_WEIGHT
        if position in self._academie.get(word, ()):
            return _ACADEMIE_WEIGHT
        return _OTHER_WEIGHT

    def _positions(self, query: str) -> set[int]:
        hits: set[int] = set()
        for word in self.vocabulary.expand(query):
            hits |= self._postings[word]
        return hits

    def _best_ratio_per_project(self, query: str) -> dict[int, float]:
        best: dict[int, float] = {}
        for word, ratio in self.vocabulary.closest(query, SUGGEST_RATIO).items():
            for position in self._postings[word]:
                if ratio > best.get(position, 0.0):
                    best[position] = ratio
        return best


def _post(postings: dict[str, set[int]], found: Iterable[str], position: int) -> None:
    for word in found:
        postings.setdefault(word, set()).add(position)


def _as_index(projects: Iterable[Project] | ProjectIndex) -> ProjectIndex:
    return projects if isinstance(projects, ProjectIndex) else ProjectIndex(projects)


def match_projects(
    projects: Iterable[Project] | ProjectIndex, filters: Sequence[str]
) -> list[Project]:
    """Active projects matching every filter word (convenience over ProjectIndex)."""
    return _as_index(projects).match(filters)


def suggest(query: str, projects: Iterable[Project] | ProjectIndex) -> Project | None:
    """Closest active project to `query` for "Vouliez-vous dire … ?", or None."""
    return _as_index(projects).suggest(query)


def find_project(projects: Iterable[Project] | ProjectIndex, query: str) -> Project | None:
    """The one project meant by `!projet <id ou mots>`, or None."""
    return _as_index(projects).find(query)


def contact_words(contact: Contact) -> set[str]:
    """Folded words of a contact's name, role and e-mail address."""
    return set(words(f"{contact.name} {contact.role} {contact.email}"))


def match_contacts(contacts: Iterable[Contact], filters: Sequence[str]) -> list[Contact]:
    """Active contacts matching every filter word, in directory order."""
    active = [c for c in contacts if not c.archived]
    queries = normalize_filters(filters)
    return [c for c in active if _contact_matches(contact_words(c), queries)]


def _contact_matches(vocabulary: set[str], queries: Sequence[str]) -> bool:
    return all(any(word_matches(q, w) for w in vocabulary) for q in queries)
