"""French text helpers: elision of « de », shortening at a word boundary, plurals."""

from __future__ import annotations

import pytest

from traam_bot.domain.text import academie_label, plural, shorten, storable


@pytest.mark.parametrize(("academie", "expected"), [
    ("Amiens", "académie d’Amiens"),
    ("Étampes", "académie d’Étampes"),  # accented capital: folded first
    ("Île-de-France", "académie d’Île-de-France"),
    ("Orléans-Tours", "académie d’Orléans-Tours"),
    ("Ulis", "académie d’Ulis"),
    ("Hauts-de-France", "académie d’Hauts-de-France"),
    ("Besançon", "académie de Besançon"),
    ("Dijon", "académie de Dijon"),
    ("Yvelines", "académie de Yvelines"),  # « y » is not in the elision list
])
def test_academie_label_elides_before_vowels_and_h(academie: str, expected: str) -> None:
    assert academie_label(academie) == expected


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("un deux trois", 13, "un deux trois"),  # exactly the limit: kept whole
    ("un deux trois", 12, "un deux…"),  # cut back to the last space before the limit
    ("un deux trois quatre", 15, "un deux trois…"),
    ("anticonstitutionnellement", 10, "anticonsti…"),  # no space: hard cut
    ("un  deux", 4, "un…"),  # trailing spaces of the cut are dropped
])
def test_shorten_cuts_at_the_last_space_before_the_limit(text: str, limit: int,
                                                          expected: str) -> None:
    assert shorten(text, limit) == expected


@pytest.mark.parametrize(("n", "expected"), [(0, "0 projet"), (1, "1 projet"),
                                             (2, "2 projets")])
def test_plural_is_singular_below_two(n: int, expected: str) -> None:
    assert plural(n, "projet") == expected
    assert plural(n, "travail", "travaux").endswith("travail" if n < 2 else "travaux")


@pytest.mark.parametrize(("text", "expected"), [
    ("séance 2 😀", "séance 2 😀"),
    ("a\x00b", "a\ufffdb"),
    ("\ud800 Fait : x \udfff", "\ufffd Fait : x \ufffd"),
])
def test_storable_replaces_what_no_database_takes(text: str, expected: str) -> None:
    assert storable(text) == expected
    storable(text).encode("utf-8")  # never raises
