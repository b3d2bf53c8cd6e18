"""Word-level matching of folded filter words: exact, prefix, typo-tolerant (pure, no I/O).

`Vocabulary` finds every known word a filter word matches; `normalize_filters` folds
filter words and reads "intelligence artificielle" as "ia"; `STOPWORDS` are the words
free-text questions drop before searching.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher

from traam_bot.domain.text import words

MIN_PREFIX = 4  # "techno" finds "technologie"; "art" does not find "artificielle"
MIN_FUZZY = 5  # typo tolerance only for words long enough to carry it
FUZZY_RATIO = 0.85  # "besanson" ~ "besancon", "tecnologie" ~ "technologie"

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
