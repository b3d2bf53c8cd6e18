"""Accent- and typo-tolerant word search over projects and contacts (pure, no I/O)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from traam_bot.domain.model import Contact, Project
from traam_bot.domain.text import fold, words

MIN_PREFIX = 4  # "techno" finds "technologie"; "art" does not find "artificielle"
MIN_FUZZY = 5  # typo tolerance only for words long enough to carry it
FUZZY_RATIO = 0.85  # "besanson" ~ "besancon", "tecnologie" ~ "technologie"
SUGGEST_RATIO = 0.75  # below this, suggest() prefers saying nothing

# Folded French function words, politeness and question verbs. `!projets` keeps every
# filter word as typed; the free-text question module drops these before searching.
STOPWORDS = frozenset(
    """
    a ai as au aux avec c ca ce ces cet cette chez d dans de des du e elle elles en est
    et etre eu il ils j je l la le les leur leurs lui m ma me mes moi mon n ne ni nos
    notre nous on ont ou par pas pour qu que quel quelle quelles quels qui quoi s sa se
    ses si son sont sur t ta te tes toi ton tu un une vos votre vous y ya
    ici plus tres bien tout tous toutes toute aussi alors donc mais car comme
    bonjour bonsoir salut hello coucou hey merci mercii svp stp plait please
    pourriez pourrais pourrait pouvez peux peut pouvons voudrais voulez veux aimerais
    dire dis dites donner donne donnez montrer montre montrez afficher affiche indiquer
    indique savoir sais connaitre connais trouver trouve chercher cherche voir
    existe existent exister avoir avez avons souhaite souhaiterais souhaiterait
    concernant propos parle parlent quelqu quelque quelques certains
    """.split()
)

_NAMING_WEIGHT, _ACADEMIE_WEIGHT, _OTHER_WEIGHT = 3.0, 2.0, 1.0
_IA_PARTS = ("intelligence", "artificielle")


def word_quality(query: str, word: str) -> float:
    """How well a folded filter word matches a folded field word: 1 equal, 0.9 prefix,
    0.8 × ratio when fuzzy, 0 otherwise."""
    if query == word:
        return 1.0
    if not _is_alpha_word(query):
        return 0.0
    if len(query) >= MIN_PREFIX and word.startswith(query):
        return 0.9
    ratio = _fuzzy_ratio(query, word)
    return 0.8 * ratio if ratio >= FUZZY_RATIO else 0.0


def word_matches(query: str, word: str) -> bool:
    """True when a folded filter word matches a folded field word."""
    return word_quality(query, word) > 0.0


def normalize_filters(filters: Sequence[str]) -> list[str]:
    """Fold filter words and read "intelligence(s) artificielle(s)" as "ia"."""
    folded = words(" ".join(filters))
    out: list[str] = []
    i = 0
    while i < len(folded):
        if i + 1 < len(folded) and _is_ia_pair(folded[i], folded[i + 1]):
            out.append("ia")
            i += 2
        else:
            out.append(folded[i])
            i += 1
    return out


def _is_ia_pair(first: str, second: str) -> bool:
    return word_matches(_IA_PARTS[0], first) and word_matches(_IA_PARTS[1], second)


def _is_alpha_word(word: str) -> bool:
    return word.isalpha()


def _fuzzy_ratio(query: str, word: str) -> float:
    if len(query) < MIN_FUZZY or not _length_compatible(len(query), len(word)):
        return 0.0
    matcher = SequenceMatcher(None, query, word, autojunk=False)
    if matcher.real_quick_ratio() < FUZZY_RATIO or matcher.quick_ratio() < FUZZY_RATIO:
        return 0.0
    return matcher.ratio()


def _length_compatible(a: int, b: int) -> bool:
    """A ratio ≥ FUZZY_RATIO is impossible when lengths differ too much."""
    return 2 * min(a, b) >= FUZZY_RATIO * (a + b)


class Vocabulary:
    """A set of folded words with cached lookup of the words a filter word matches."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._words = frozenset(vocabulary)
        self._sorted = sorted(self._words)
        self._by_length: dict[int, list[str]] = {}
        for word in self._sorted:
            if _is_alpha_word(word):
                self._by_length.setdefault(len(word), []).append(word)
        self._cache: dict[str, frozenset[str]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._words

    def expand(self, query: str) -> frozenset[str]:
        """Every vocabulary word that the folded filter word `query` matches."""
        found = self._cache.get(query)
        if found is None:
            found = frozenset(self._compute(query))
            if len(self._cache) < 10_000:
                self._cache[query] = found
        return found

    def closest(self, query: str, floor: float) -> dict[str, float]:
        """Vocabulary words whose difflib ratio to `query` is at least `floor`."""
        out: dict[str, float] = {}
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(query)
        for word in self._sorted:
            if 2 * min(len(word), len(query)) < floor * (len(word) + len(query)):
                continue
            matcher.set_seq1(word)
            if matcher.real_quick_ratio() >= floor and matcher.quick_ratio() >= floor:
                ratio = matcher.ratio()
                if ratio >= floor:
                    out[word] = ratio
        return out

    def _compute(self, query: str) -> set[str]:
        found = {query} if query in self._words else set()
        if not _is_alpha_word(query):
            return found
        if len(query) >= MIN_PREFIX:
            found.update(self._with_prefix(query))
        if len(query) >= MIN_FUZZY:
            found.update(self._fuzzy(query))
        return found

    def _with_prefix(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self._sorted, prefix)
        end = bisect.bisect_left(self._sorted, prefix + "\uffff")
        return self._sorted[start:end]

    def _fuzzy(self, query: str) -> list[str]:
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(query)
        found = []
        for length, bucket in self._by_length.items():
            if not _length_compatible(len(query), length):
                continue
            for word in bucket:
                matcher.set_seq1(word)
                if (
                    matcher.real_quick_ratio() >= FUZZY_RATIO
                    and matcher.quick_ratio() >= FUZZY_RATIO
                    and matcher.ratio() >= FUZZY_RATIO
                ):
                    found.append(word)
        return found


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


def _sort_key(project: Project) -> tuple[str, str, str]:
    return (fold(project.academie), fold(project.discipline), project.id)


class ProjectIndex:
    """Active projects with precomputed folded words; build once, query many times."""

    def __init__(self, projects: Iterable[Project]) -> None:
        self.projects: tuple[Project, ...] = tuple(
            sorted((p for p in projects if not p.archived), key=_sort_key)
        )
        self._postings: dict[str, set[int]] = {}  # word -> positions in self.projects
        self._naming: dict[str, set[int]] = {}  # id and discipline words only
        self._academie: dict[str, set[int]] = {}  # académie words only
        for position, project in enumerate(self.projects):
            _post(self._postings, project_words(project), position)
            _post(self._naming, words(f"{project.id} {project.discipline}"), position)
            _post(self._academie, words(project.academie), position)
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
