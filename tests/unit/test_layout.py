"""Product and tooling apart: starting the bot never loads the developer tools nor Synapse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FORBIDDEN = ("traam_bot.devtools", "synapse")


def test_the_bot_never_imports_devtools_nor_synapse() -> None:
    code = ("import sys\n"
            "import traam_bot.app, traam_bot.cli, traam_bot.config\n"
            "print('\\n'.join(sorted(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    modules = result.stdout.split()
    assert "traam_bot.app" in modules
    assert [m for m in modules if m.startswith(FORBIDDEN)] == []
