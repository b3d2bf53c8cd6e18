"""The layer rules of pyproject.toml ([tool.importlinter]) fail when an import breaks them.

Each case copies the package to a temporary folder, adds one forbidden import and runs
`lint-imports` there on that one contract: it must be broken, and kept on the untouched copy.
Every contract is exercised.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
}

# contract id -> (file under traam_bot/, line that breaks it)
VIOLATIONS = {
    "domain-is-pure": ("domain/text.py", "import sqlalchemy"),
    "sqlalchemy-only-in-store": ("commands/registry.py", "from alembic import command"),
    "apscheduler-only-in-scheduling": ("services/updates.py", "import apscheduler"),
    "product-not-devtools": ("services/directory.py", "from traam_bot.devtools import tool"),
    "nio-only-in-matrix": ("services/outbox.py", "import nio"),
    "prometheus-only-in-ops": ("services/updates.py", "import prometheus_client"),
    "commands-not-store": ("commands/router.py", "from traam_bot.store import database"),
    # a service reaching up to the composition root
    "layers": ("services/updates.py", "import traam_bot.app"),
}


def copy_project(dest: Path) -> Path:
    shutil.copy2(REPO / "pyproject.toml", dest / "pyproject.toml")
    shutil.copytree(REPO / "traam_bot", dest / "traam_bot",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # a stand-in for the dev tooling package, so the devtools rule has something to forbid
    devtools = dest / "traam_bot" / "devtools"
    devtools.mkdir(exist_ok=True)
    (devtools / "__init__.py").touch()
    (devtools / "tool.py").write_text('"""A dev-only helper."""\n', "utf-8")
    return dest


def lint_imports(project: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    args = [str(LINT_IMPORTS), "--no-cache", "--no-logo"]
    for contract_id in contract_ids:
        args += ["--contract", contract_id]
    # lint-imports puts its working folder first on sys.path: the copy is the one analysed,
    # not the installed package.
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "200"}
    return subprocess.run([*args, str(project / "pyproject.toml")], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def report(result: subprocess.CompletedProcess[str]) -> str:
    """The output with its line wrapping undone (long contract names wrap on narrow terminals)."""
    return " ".join(result.stdout.split())


def test_every_exercised_contract_is_declared() -> None:
    assert set(VIOLATIONS) == set(CONTRACTS)  # every rule is shown to be able to fail


def test_untouched_copy_keeps_the_exercised_contracts(tmp_path: Path) -> None:
    result = lint_imports(copy_project(tmp_path), *VIOLATIONS)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract_id in VIOLATIONS:
        assert f"{CONTRACTS[contract_id]} KEPT" in report(result)


@pytest.mark.parametrize("contract_id", sorted(VIOLATIONS))
def test_a_forbidden_import_breaks_the_contract(tmp_path: Path, contract_id: str) -> None:
    project = copy_project(tmp_path)
    relative, line = VIOLATIONS[contract_id]
    target = project / "traam_bot" / relative
    target.write_text(target.read_text("utf-8") + f"\n{line}\n", "utf-8")

    result = lint_imports(project, contract_id)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{CONTRACTS[contract_id]} BROKEN" in report(result)
    importer = "traam_bot." + relative.removesuffix(".py").replace("/", ".")
    assert f"- {importer} -> " in report(result)
