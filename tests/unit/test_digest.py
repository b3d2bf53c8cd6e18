"""The referents' digest: period, blockers first, quiet teams, upcoming reminders, splitting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.digest import Upcoming, compose_digest
from traam_bot.domain.model import Project, Section, Update
from traam_bot.domain.render import MAX_MESSAGE_BYTES, Doc
from traam_bot.domain.text import academie_label
from traam_bot.domain.updates import parse_sections

from .conftest import SEED_PROJECTS

PARIS = ZoneInfo("Europe/Paris")
ZWSP = "\u200b"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=PARIS).astimezone(UTC)  # Monday 8h00, Paris
SINCE = datetime(2026, 11, 23, 8, 0, tzinfo=PARIS).astimezone(UTC)  # a week earlier
TITLE = ("Digest TraAM du lundi 30 novembre 2026 — "
         "mises à jour depuis le lundi 23 novembre 2026 à 8h00")
NOTHING_NEW = ("Rien de nouveau depuis le lundi 23 novembre 2026 à 8h00 : aucune mise à jour, "
               "aucune ressource, "
               "aucune équipe silencieuse, aucun rappel dans les 7 prochains jours.")
BY_ID = {p.id: p for p in SEED_PROJECTS}
NSI = "besancon-nsi-egalite"
EPS = "dijon-eps-explicite"
HOSTILE = "<script>alert(1)</script> @room"


def _update(project_id: str, number: int, created_at: datetime, text: str = "Fait : séance 1",
            author_name: str = "Alice Martin") -> Update:
    return Update(
        id=number, project_id=project_id, number=number, author="@alice:localhost",
        author_name=author_name, room_id=f"!{project_id}:localhost", event_id=f"$ev{number}",
        text=text, created_at=created_at, sections=parse_sections(text),
    )


def _all_fresh(projects: Sequence[Project] = SEED_PROJECTS) -> dict[str, datetime]:
    """Every project updated an hour ago: nobody is quiet."""
    return {p.id: NOW - timedelta(hours=1) for p in projects}


def _digest(updates: Sequence[Update] = (), *, projects: Sequence[Project] = SEED_PROJECTS,
            last_update: dict[str, datetime] | None = None,
            upcoming: Sequence[Upcoming] = (), since: datetime | None = SINCE,
            **kwargs: int) -> Doc:
    return compose_digest(
        projects=projects, updates=updates,
        last_update=_all_fresh(projects) if last_update is None else last_update,
        upcoming=upcoming, since=since, now=NOW, tz=PARIS, **kwargs)


def _lines(doc: Doc) -> list[str]:
    return doc.plain().split("\n")


# ------------------------------------------------------------------------------ title, nothing

def test_nothing_new_is_one_line_after_the_title() -> None:
    assert _lines(_digest()) == [TITLE, NOTHING_NEW]


def test_since_none_covers_everything_from_the_start() -> None:
    old = _update(NSI, 1, datetime(2020, 1, 6, 9, tzinfo=UTC))
    lines = _lines(_digest([old], since=None))
    assert lines[0] == "Digest TraAM du lundi 30 novembre 2026 — mises à jour depuis le début"
    assert "• n° 1 — Alice Martin — lundi 6 janvier 2020" in lines

    assert _lines(_digest(since=None))[1] == NOTHING_NEW.replace(
        "depuis le lundi 23 novembre 2026 à 8h00", "depuis le début")


@pytest.mark.parametrize(
    ("created_at", "kept"),
    [
        (SINCE - timedelta(days=3), False),
        (SINCE - timedelta(seconds=1), False),
        (SINCE, True),
        (SINCE + timedelta(days=2), True),
    ],
)
def test_updates_before_since_are_dropped_even_if_passed_in(created_at: datetime,
                                                           kept: bool) -> None:
    plain = _digest([_update(NSI, 7, created_at)]).plain()
    assert ("n° 7" in plain) is kept
    assert (plain.split("\n")[1] == NOTHING_NEW) is not kept


def test_updates_of_projects_out_of_scope_or_archived_are_ignored() -> None:
    archived = replace(BY_ID[NSI], archived=True)
    projects = [archived, BY_ID[EPS]]
    updates = [_update(NSI, 1, NOW - timedelta(days=1)), _update("inconnu", 2, NOW)]
    lines = _lines(_digest(updates, projects=projects))
    assert lines == [TITLE, NOTHING_NEW]


# ------------------------------------------------------------------------------------ sections

def test_sections_come_in_order_blockers_projects_quiet_upcoming() -> None:
    updates = [
        _update(NSI, 3, SINCE + timedelta(days=1), "Fait : séance 3\nBlocage : pas de salle"),
        _update(EPS, 5, SINCE + timedelta(days=2), "Fait : relais\nBesoin : des tablettes",
                author_name="Bruno Petit"),
    ]
    last = {**_all_fresh(), "besancon-lettres-ia": NOW - timedelta(days=20)}
    upcoming = [Upcoming(NOW + timedelta(days=1, hours=2), "rappel", "TraAM NSI", "Réunion")]
    lines = _lines(_digest(updates, last_update=last, upcoming=upcoming))
    headers = [
        "Blocages et besoins signalés — 2",
        "Mises à jour par projet",
        "NSI (académie de Besançon) — 1 mise à jour",
        "EPS (académie de Dijon) — 1 mise à jour",
        "Équipes sans nouvelles",
        "À venir dans les 7 prochains jours",
    ]
    positions = [lines.index(h) for h in headers]
    assert lines[0] == TITLE
    assert positions == sorted(positions)
    assert lines[1:3] == [
        "Blocages et besoins signalés — 2",
        "• ⚠️ Blocage : pas de salle — NSI (académie de Besançon), n° 3, Alice Martin, "
        "mardi 24 novembre 2026",
    ]
    assert lines[3] == ("• ⚠️ Besoin : des tablettes — EPS (académie de Dijon), n° 5, "
                        "Bruno Petit, mercredi 25 novembre 2026")
    # the blocker is highlighted again inside its update
    nsi = lines.index("NSI (académie de Besançon) — 1 mise à jour")
    assert lines[nsi + 1:nsi + 4] == [
        "• n° 3 — Alice Martin — mardi 24 novembre 2026",
        "  Fait : séance 3",
        "  ⚠️ Blocage : pas de salle",
    ]


def test_no_blocker_section_without_blockers() -> None:
    lines = _lines(_digest([_update(NSI, 1, SINCE + timedelta(hours=1))]))
    assert not any(line.startswith("Blocages") for line in lines)
    assert lines[1] == "Mises à jour par projet"


def test_projects_sorted_by_academie_then_discipline_updates_oldest_first() -> None:
    at = SINCE + timedelta(days=1)
    updates = [
        _update(EPS, 2, at + timedelta(hours=2)),
        _update("besancon-lettres-ia", 1, at),
        _update(EPS, 1, at),
        _update("besancon-arts-plastiques-ia", 4, at + timedelta(hours=5)),
    ]
    lines = _lines(_digest(updates))
    headers = [line for line in lines if "mise" in line and "—" in line and "•" not in line]
    assert headers[1:] == [
        "Arts plastiques (académie de Besançon) — 1 mise à jour",
        "Lettres (académie de Besançon) — 1 mise à jour",
        "EPS (académie de Dijon) — 2 mises à jour",
    ]
    eps = lines.index("EPS (académie de Dijon) — 2 mises à jour")
    assert [line[:6] for line in lines[eps + 1::2]] == ["• n° 1", "• n° 2"]


@pytest.mark.parametrize(
    ("length", "max_chars", "shortened"),
    [
        (499, 500, False),
        (500, 500, False),
        (501, 500, True),
        (4000, 500, True),
        (120, 100, True),
    ],
)
def test_long_updates_are_shortened_with_an_ellipsis(length: int, max_chars: int,
                                                     shortened: bool) -> None:
    text = ("mot " * length)[:length]
    doc = _digest([_update(NSI, 1, SINCE + timedelta(hours=1), text)], max_chars=max_chars)
    quote = next(line for line in _lines(doc) if line.startswith("  "))[2:]
    assert quote.endswith("…") is shortened
    assert len(quote) <= max_chars + 1
    if not shortened:
        assert quote == text


@pytest.mark.parametrize(
    ("academie", "expected"),
    [
        ("Besançon", "académie de Besançon"),
        ("Dijon", "académie de Dijon"),
        ("Aix-Marseille", "académie d’Aix-Marseille"),
        ("Orléans-Tours", "académie d’Orléans-Tours"),
        ("Amiens", "académie d’Amiens"),
    ],
)
def test_academie_label_elides_before_a_vowel(academie: str, expected: str) -> None:
    assert academie_label(academie) == expected
    assert replace(BY_ID[NSI], academie=academie).label == f"NSI ({expected})"


# ---------------------------------------------------------------------------------- quiet teams

@pytest.mark.parametrize(
    ("silence", "expected"),
    [
        (timedelta(days=13, hours=23), None),
        (timedelta(days=13, hours=23, minutes=59, seconds=59), None),
        (timedelta(days=14), "sans nouvelles depuis 14 jours"),
        (timedelta(days=17), "sans nouvelles depuis 17 jours"),
        (timedelta(days=17, hours=23), "sans nouvelles depuis 17 jours"),
        (timedelta(days=400), "sans nouvelles depuis 400 jours"),
    ],
)
def test_quiet_from_fourteen_days(silence: timedelta, expected: str | None) -> None:
    doc = _digest(last_update={**_all_fresh(), NSI: NOW - silence})
    line = f"• NSI (académie de Besançon) : {expected}"
    if expected is None:
        assert _lines(doc) == [TITLE, NOTHING_NEW]
    else:
        assert _lines(doc) == [TITLE, "Équipes sans nouvelles", line]


def test_quiet_days_is_a_parameter() -> None:
    doc = _digest(last_update={**_all_fresh(), NSI: NOW - timedelta(days=3)}, quiet_days=3)
    assert "• NSI (académie de Besançon) : sans nouvelles depuis 3 jours" in _lines(doc)


def test_quiet_teams_longest_silence_first_never_updated_on_top() -> None:
    last = {
        **_all_fresh(),
        "besancon-lettres-ia": NOW - timedelta(days=15),
        "dijon-technologie-projet": NOW - timedelta(days=30),
        EPS: NOW - timedelta(days=20),
    }
    del last[NSI]
    lines = _lines(_digest(last_update=last))
    assert lines[1:] == [
        "Équipes sans nouvelles",
        "• NSI (académie de Besançon) : aucune mise à jour depuis le début",
        "• Technologie (académie de Dijon) : sans nouvelles depuis 30 jours",
        "• EPS (académie de Dijon) : sans nouvelles depuis 20 jours",
        "• Lettres (académie de Besançon) : sans nouvelles depuis 15 jours",
    ]


def test_last_update_covers_all_time_not_only_the_period() -> None:
    # nothing in the period, but an update 10 days ago: not quiet
    last = {**_all_fresh(), NSI: NOW - timedelta(days=10)}
    assert _lines(_digest(last_update=last)) == [TITLE, NOTHING_NEW]


def test_an_update_of_the_period_beats_a_stale_last_update() -> None:
    last = {**_all_fresh(), NSI: NOW - timedelta(days=30)}
    plain = _digest([_update(NSI, 9, NOW - timedelta(days=1))], last_update=last).plain()
    assert "sans nouvelles" not in plain


# ------------------------------------------------------------------------------------ upcoming

def _item(hours: float, kind: str = "rappel", label: str = "TraAM NSI",
          text: str = "Réunion d’équipe") -> Upcoming:
    return Upcoming(NOW + timedelta(hours=hours), kind, label, text)


def test_upcoming_within_seven_days_sorted_by_time() -> None:
    upcoming = [
        _item(7 * 24, text="trop tard"),
        _item(24 * 3, "relance", "EPS (académie de Dijon)", ""),
        _item(-1, text="déjà passé"),
        _item(25),
        _item(0, text="maintenant"),
        _item(7 * 24 - 1 / 60, text="juste à temps"),
    ]
    lines = _lines(_digest(upcoming=upcoming))
    assert lines[1:] == [
        "À venir dans les 7 prochains jours",
        "• lundi 30 novembre 2026 à 8h00 — rappel — TraAM NSI : maintenant",
        "• mardi 1er décembre 2026 à 9h00 — rappel — TraAM NSI : Réunion d’équipe",
        "• jeudi 3 décembre 2026 à 8h00 — relance — EPS (académie de Dijon)",
        "• lundi 7 décembre 2026 à 7h59 — rappel — TraAM NSI : juste à temps",
    ]


def test_only_past_or_far_reminders_is_nothing_new() -> None:
    upcoming = [_item(-2), _item(24 * 8)]
    assert _lines(_digest(upcoming=upcoming)) == [TITLE, NOTHING_NEW]


# ------------------------------------------------------------------------------------ escaping

def test_user_text_is_escaped_and_room_pings_defused() -> None:
    update = _update(NSI, 1, SINCE + timedelta(hours=2),
                     f"Fait : {HOSTILE}\nBlocage : {HOSTILE}", author_name=HOSTILE)
    upcoming = [_item(2, label=HOSTILE, text=HOSTILE)]
    reply = _digest([update], upcoming=upcoming).reply()
    html, plain = reply.html, reply.plain
    assert "<script" not in html
    # blocker line: text + author; update: author, two quoted lines; reminder: 2
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 7
    assert "@room" not in html
    assert "@room" not in plain
    assert plain.count(f"@{ZWSP}room") == 7
    assert f"rappel — {HOSTILE.replace('@room', f'@{ZWSP}room')}" in plain


# ---------------------------------------------------------------------------- the big digest

# a project header or the first line of an update, in the plain rendering
_LANDMARK = re.compile(r"^(?:(.+) — \d+ mises? à jour|• n° (\d+) — )", re.MULTILINE)


def _big_case(n_projects: int, per_project: int) -> tuple[list[Project], list[Update]]:
    projects = [
        Project(id=f"p{i:03d}", academie=f"Académie {i // 10:02d}",
                discipline=f"Discipline {i % 10}", theme="Thème", phase="Année 1",
                year="2025-2026")
        for i in range(n_projects)
    ]
    blocker = (Section("blocage", "pas de salle"),)
    second = timedelta(seconds=1)
    updates = [
        Update(id=k, project_id=p.id, number=n + 1, author="@a:localhost",
               author_name="Alice Martin", room_id="!r:localhost", event_id="$e",
               text="Fait : séance sur les algorithmes de tri", created_at=SINCE + k * second,
               sections=blocker if k % 20 == 0 else ())
        for n in range(per_project)
        for i, p in enumerate(projects)
        for k in (n * n_projects + i,)
    ]
    return projects, updates


@pytest.mark.slow  # 240,000 updates: left out of mutation runs, smaller digests cover the rules
def test_big_digest_splits_in_order_and_keeps_every_update() -> None:
    projects, updates = _big_case(120, 2000)
    doc = _digest(updates, projects=projects, last_update={})
    messages = doc.reply().messages()
    assert len(messages) > 100
    for m in messages:
        assert len(m.plain.encode()) + len(m.html.encode()) <= MAX_MESSAGE_BYTES
    plain = doc.plain()
    assert "\n".join(m.plain for m in messages) == plain  # split between blocks, in order

    seen: dict[str, list[int]] = {}
    current: list[int] = []
    for header, number in _LANDMARK.findall(plain):
        if header:
            current = seen.setdefault(header, [])
        else:
            current.append(int(number))
    assert list(seen) == [p.label for p in projects]
    assert all(numbers == list(range(1, 2001)) for numbers in seen.values())
