"""`traam-bot user forget USER_ID`: an administrator forgets someone who left, with no
confirmation; the same erasure as `!oublier`, on the configured database."""

from __future__ import annotations

from pathlib import Path

from tests.store.test_privacy_repo import ALICE, ALICE_NAME, BOB, fill, traces
from tests.unit.test_cli import assert_one_clean_line, run, write_config
from traam_bot.domain.privacy import FORGOTTEN
from traam_bot.store.database import Database
from traam_bot.store.unit_of_work import UnitsOfWork


async def test_user_forget_erases_them_and_says_what_remains_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra=f'referents: ["{ALICE}"]\n')
    assert run("db", "upgrade", "--config", str(config)).returncode == 0
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'traam.db'}")
    try:
        await fill(db)
        done = run("user", "forget", "--config", str(config), ALICE, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert await traces(db, ALICE, ALICE_NAME) == []
        async with UnitsOfWork(db)() as uow:
            authors = [u.author_name for u in await uow.updates.list()]
    finally:
        await db.close()
    assert authors == [FORGOTTEN, "Bob Durand"]
    assert done.stdout.splitlines() == [
        f"Données de {ALICE} effacées :",
        f"- attribués désormais à « {FORGOTTEN} » : 1 point d’étape et 1 ressource ;",
        "- supprimés : 1 rappel, 1 relance et 1 abonnement au digest ;",
        "- 1 liaison de salon anonymisée ;",
        "- 5 autres lignes effacées ou caviardées (messages du bot, mentions dans d’autres "
        "textes).",
        f"Attention : {ALICE} figure encore dans referents de la configuration ({config}) ; "
        "retirez cet identifiant de la liste, sinon un référent recevra de nouveau le digest "
        "au prochain démarrage."]
    again = run("user", "forget", "--config", str(config), BOB, "--nom", "Bob Durand",
                cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"- attribués désormais à « {FORGOTTEN} » : 1 point d’étape et 1 ressource ;" in (
        again.stdout.splitlines())


def test_user_forget_refuses_what_is_not_a_matrix_id(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra=f'referents: ["{ALICE}"]\n')
    result = run("user", "forget", "--config", str(config), "alice", cwd=tmp_path)
    assert result.returncode == 2
    assert_one_clean_line(result, "identifiant Matrix invalide « alice » (attendu : @nom:serveur)")
