"""`traam-bot check-config` against a real Synapse: all fine → exit 0, with the password
(no saved session yet: a login logged out at once) and then beside the running bot (its
saved session, checked with whoami, and its key store)."""

from __future__ import annotations

import pytest

from traam_bot.cli import EXIT_OK, _check_config, build_parser
from traam_bot.devtools.sandbox import Sandbox


async def test_check_config_passes_before_and_beside_the_bot(
        capsys: pytest.CaptureFixture[str]) -> None:
    async with Sandbox() as sb:
        args = build_parser().parse_args(["check-config", "--config", str(sb.config_path)])
        assert await _check_config(args) == EXIT_OK
        before = capsys.readouterr().out.splitlines()
        assert all(line.startswith("✔") for line in before), before
        assert f"✔ mot de passe accepté pour {sb.bot_id}" in before
        assert not (sb.workdir / "store" / "credentials.json").exists()
        await sb.start_bot()
        assert await _check_config(args) == EXIT_OK  # the bot runs: no lock taken
        beside = capsys.readouterr().out.splitlines()
        assert all(line.startswith("✔") for line in beside), beside
        assert any("session enregistrée" in line for line in beside)
        assert any("magasin de clés de l’appareil" in line for line in beside)
