"""What an operator installs: the built wheel in a clean venv (no editable install, no dev
extras), run from a folder that holds nothing but its bot.yaml.

The wheel must carry the migrations and the shipped directory; the bot then upgrades its
database, imports the directory, exports the year and answers on a real homeserver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.helpers import ask, body, room_with_bot
from traam_bot.devtools.sandbox import BotSubprocess, Sandbox

REPO = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """This environment minus anything that would lead Python back to the source tree."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}


def run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ folder of a fresh venv holding only the wheel and its dependencies."""
    root = tmp_path_factory.mktemp("wheel")
    built = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                 "--wheel-dir", str(root / "dist"), str(REPO)], cwd=root)
    assert built.returncode == 0, built.stderr
    wheels = list((root / "dist").glob("traam_bot-*.whl"))
    assert len(wheels) == 1
    made = run([sys.executable, "-m", "venv", str(root / "venv")], cwd=root)
    assert made.returncode == 0, made.stderr
    bin_dir = root / "venv" / "bin"
    pip = run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", str(wheels[0])], cwd=root)
    assert pip.returncode == 0, pip.stderr
    yield bin_dir


def test_the_wheel_alone_upgrades_imports_and_exports(installed: Path, tmp_path: Path) -> None:
    where = run([str(installed / "python"), "-c",
                 "import traam_bot, importlib.util; print(traam_bot.__file__); "
                 "print(importlib.util.find_spec('synapse') is None)"], cwd=tmp_path)
    location, no_synapse = where.stdout.split()
    assert "site-packages" in location and not location.startswith(str(REPO))
    assert no_synapse == "True"  # the installed bot does not need Synapse

    (tmp_path / "bot.yaml").write_text(yaml.safe_dump({"matrix": {
        "homeserver": "http://127.0.0.1:9", "user_id": "@traam-bot:localhost",
        "password": "un-vrai-secret"}}), encoding="utf-8")
    bot = str(installed / "traam-bot")

    upgraded = run([bot, "db", "upgrade", "--config", "bot.yaml"], cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "data" / "traam.db").is_file()

    # no `directory` key and no traam.yaml beside bot.yaml: the shipped directory
    imported = run([bot, "directory", "import", "--config", "bot.yaml"], cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "6 projets, 2 contacts (8 ajoutés" in imported.stdout

    exported = run([bot, "export", "--config", "bot.yaml", "--format", "md", "--out",
                    "bilan.md"], cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    bilan = (tmp_path / "bilan.md").read_text(encoding="utf-8")
    assert bilan.startswith("# Bilan TraAM 2025-2026")
    assert "6 projets" in bilan and "## Lettres" in bilan


async def test_the_wheel_answers_on_a_real_homeserver(installed: Path, tmp_path: Path) -> None:
    async with Sandbox() as sandbox:
        config = yaml.safe_load(sandbox.config_path.read_text(encoding="utf-8"))
        del config["directory"]  # the shipped one
        config["database"]["url"] = "sqlite+aiosqlite:///data/traam.db"  # relative to bot.yaml
        config["matrix"]["store_path"] = "data/store"
        (tmp_path / "bot.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                           encoding="utf-8")
        bot = BotSubprocess(tmp_path / "bot.yaml", tmp_path / "bot.log",
                            command=[str(installed / "traam-bot")], cwd=tmp_path,
                            env=clean_env())
        await bot.start()
        try:
            coord = await sandbox.user("coordinatrice")
            room = await room_with_bot(coord, sandbox.bot_id)
            answer = await ask(coord, room, "!projet besancon-lettres-ia")
            assert "Les intelligences artificielles en lettres" in body(answer)
        finally:
            assert bot.terminate() == 0
        assert (tmp_path / "data" / "traam.db").is_file()
        assert (tmp_path / "data" / "store").is_dir()
