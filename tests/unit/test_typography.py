"""French typography of outgoing messages (domain.typography) and where it is applied."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.model import Reply
from traam_bot.domain.render import B, Code, Doc, sendable
from traam_bot.domain.text import format_date, plural
from traam_bot.domain.typography import (
    NBSP,
    NNBSP,
    apostrophes,
    typeset,
    typeset_html,
    violations,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("raw", "expected"), [
    ("Commandes disponibles ici :", f"Commandes disponibles ici{NBSP}:"),
    ("Vraiment ? Oui !", f"Vraiment{NNBSP}? Oui{NNBSP}!"),
    ("(ou !remind ; list)", f"(ou !remind{NNBSP}; list)"),
    ("« Réunion »", f"«{NNBSP}Réunion{NNBSP}»"),
    ("«Réunion»", f"«{NNBSP}Réunion{NNBSP}»"),
    ("l'académie d'Aix", "l’académie d’Aix"),
    ("« dijon » :", f"«{NNBSP}dijon{NNBSP}»{NBSP}:"),
    ("C'est quoi ?", f"C’est quoi{NNBSP}?"),
])
def test_prose_gets_french_spaces_and_apostrophes(raw: str, expected: str) -> None:
    assert typeset(raw) == expected
    assert violations(typeset(raw)) == []


@pytest.mark.parametrize("machine", [
    "Tapez !aide pour voir les commandes.",  # a « ! » that starts a command
    "https://edubase.example/fiche?id=3&x='a'",  # a URL, its ? and its quotes
    "écrivez à @alice:localhost ou dans #traam-nsi:localhost",  # Matrix ids and aliases
    "salon !abc:localhost",
    "réunion à 14:30 ou à 9h30",  # times
    'cron "0 9 * * 1" ; ok',  # the quoted rule keeps its spaces, not the rest
    "julie.o'neil@exemple.fr",  # e-mail address
    "`code l'ici`",
])
def test_machine_read_text_is_left_alone(machine: str) -> None:
    typed = typeset(machine)
    for kept in ("!aide", "https://edubase.example/fiche?id=3&x='a'", "@alice:localhost",
                 "#traam-nsi:localhost", "!abc:localhost", "14:30", "9h30", '"0 9 * * 1"',
                 "julie.o'neil@exemple.fr", "`code l'ici`"):
        if kept in machine:
            assert kept in typed
    assert typeset(typed) == typed  # idempotent


def test_only_the_rest_of_a_cron_line_is_typeset() -> None:
    assert typeset('cron "0 9 * * 1" ; ok') == f'cron "0 9 * * 1"{NNBSP}; ok'


def test_html_text_nodes_only() -> None:
    body = ('<p>Usage : <code>!point &lt;projet&gt; : texte</code></p>'
            '<a href="https://x.fr/?a=1 ;b">lien : ici</a><p>l&#x27;équipe ?</p>')
    assert typeset_html(body) == (
        f'<p>Usage{NBSP}: <code>!point &lt;projet&gt; : texte</code></p>'
        f'<a href="https://x.fr/?a=1 ;b">lien{NBSP}: ici</a><p>l’équipe{NNBSP}?</p>')


def test_the_cli_only_gets_apostrophes() -> None:
    assert apostrophes("l'année : ok ? voir https://a.fr/l'x") == \
        "l’année : ok ? voir https://a.fr/l'x"


@pytest.mark.parametrize(("text", "rule"), [
    ("Commandes disponibles ici :", "espace ordinaire avant :"),
    ("Vraiment ?", "espace ordinaire avant ; ! ?"),
    ("« Réunion »", "guillemets"),
    ("l'équipe", "apostrophe droite"),
    ("lundi 1 décembre 2025", "1er"),
    ("0 modifiés", "pluriel"),
    ("1 projets", "pluriel"),
    ("NSI (académie de Besançon) (besancon-nsi-egalite)", "parenthèses doublées"),
    ("!digest desabonner", "accent manquant"),
])
def test_the_checker_names_each_broken_rule(text: str, rule: str) -> None:
    found = violations(text)
    assert found and all(rule in f for f in found)


@pytest.mark.parametrize("fine", [
    "2 modifiés", "1 mois", "0 fois", "lundi 1er décembre 2025", "le 11 décembre",
    "NSI (académie de Besançon, besancon-nsi-egalite)", "!digest désabonner",
    "réunion à 14:30", "https://x.fr/?id=3",
])
def test_the_checker_accepts_what_is_right(fine: str) -> None:
    assert violations(typeset(fine)) == []


def test_dates_and_plurals_helpers() -> None:
    assert format_date(datetime(2025, 12, 1, 9, tzinfo=UTC), PARIS) == "lundi 1er décembre 2025"
    assert [plural(n, "modifié") for n in (0, 1, 2)] == ["0 modifié", "1 modifié", "2 modifiés"]


def test_the_outbox_parts_are_typeset_and_still_escaped() -> None:
    reply = Doc().para("Projet ", B("<b>l'équipe</b>"), " : ", Code("!point a : b")).reply()
    [part] = sendable(reply)
    assert part.plain == f"Projet <b>l’équipe</b>{NBSP}: !point a{NBSP}: b"
    assert part.html == (f"<p>Projet <strong>&lt;b&gt;l’équipe&lt;/b&gt;</strong>{NBSP}: "
                         "<code>!point a : b</code></p>")
    assert sendable(Reply(plain="", html="", reaction="✅")) == []


def test_the_help_examples_agree_on_their_dates() -> None:
    """Every one-off reminder example names the same day, a future one, and the example a
    <quand> error shows is that one too."""
    from traam_bot.commands.router import build_registry
    from traam_bot.domain import when

    examples = [e for spec in build_registry().specs for e in spec.all_examples]
    examples += [when._EX_ONCE, when._EXAMPLES]  # what a <quand> error suggests
    days = {m for e in examples for m in re.findall(r"\ble (\d{2}/\d{2}/\d{4})", e)}
    assert len(days) == 1, days
    assert datetime.strptime(days.pop(), "%d/%m/%Y").year >= 2027
