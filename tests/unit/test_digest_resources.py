"""The digest's « Nouvelles ressources »: the period's resources of the projects in scope,
in the digest's project order, escaped, and counted as news."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.unit.conftest import SEED_PROJECTS
from tests.unit.test_digest import NOTHING_NEW, NOW, PARIS, SINCE, TITLE, _all_fresh
from traam_bot.domain.digest import compose_digest
from traam_bot.domain.resources import EDUBASE, MAGISTERE, OTHER, Resource

NSI = "besancon-nsi-egalite"
EPS = "dijon-eps-explicite"
LETTRES = "besancon-lettres-ia"


def _resource(n: int, project_id: str, at: datetime, kind: str = EDUBASE,
              title: str = "Séquence") -> Resource:
    return Resource(id=n, project_id=project_id, url=f"https://exemple.fr/{n}", title=title,
                    kind=kind, author="@bob:localhost", author_name="Bob",
                    room_id="!r:localhost", created_at=at)


def _plain(*resources: Resource) -> list[str]:
    return compose_digest(projects=SEED_PROJECTS, updates=(), last_update=_all_fresh(),
                          upcoming=(), since=SINCE, now=NOW, tz=PARIS,
                          resources=resources).plain().split("\n")


def test_new_resources_are_listed_by_project_in_the_digest_order() -> None:
    at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    lines = _plain(_resource(1, EPS, at, OTHER, "Vidéo <b>EPS</b> @room"),
                   _resource(2, NSI, at + timedelta(hours=1), MAGISTERE, "Parcours"),
                   _resource(3, NSI, at, EDUBASE, "Fiche"))
    assert lines == [
        TITLE,
        "Nouvelles ressources — 3",
        "• NSI (académie de Besançon) : Fiche (fiche Édubase) — https://exemple.fr/3 — Bob, "
        "mercredi 25 novembre 2026",
        "• NSI (académie de Besançon) : Parcours (parcours M@gistère) — https://exemple.fr/2 "
        "— Bob, mercredi 25 novembre 2026",
        "• EPS (académie de Dijon) : Vidéo <b>EPS</b> @\u200broom (autre) — "
        "https://exemple.fr/1 — Bob, mercredi 25 novembre 2026",
    ]
    html = compose_digest(projects=SEED_PROJECTS, updates=(), last_update=_all_fresh(),
                          upcoming=(), since=SINCE, now=NOW, tz=PARIS,
                          resources=[_resource(1, EPS, SINCE, title="<b>x</b>")]).html()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html


def test_resources_outside_the_period_or_the_scope_are_not_news() -> None:
    before = _resource(1, NSI, SINCE - timedelta(seconds=1))
    after = _resource(2, NSI, NOW + timedelta(seconds=1))
    elsewhere = _resource(3, "ailleurs-projet", SINCE + timedelta(days=1))
    assert _plain(before, after, elsewhere) == [TITLE, NOTHING_NEW]
    assert _plain(_resource(4, LETTRES, SINCE))[1] == "Nouvelles ressources — 1"
