"""What an operator deploys, checked by reading the files (no container engine runs here):
the Dockerfile, its build context, the compose stack and its configs, the systemd unit and
the lock file agree with each other and with the bot's configuration rules.

deploy/check-image-steps.sh (run by .ci/run) replays the Dockerfile's steps for real.
"""

from __future__ import annotations

import asyncio
import configparser
import fnmatch
import json
import re
import shlex
import socket
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from traam_bot.config import ConfigError, load_settings, parse_settings
from traam_bot.config.settings import ENV_OVERRIDES
from traam_bot.domain.health import Health
from traam_bot.ops.http import HttpListener

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKERFILE = REPO / "Dockerfile"
LOCK = DEPLOY / "requirements.lock"
SECRET = "un-vrai-secret-de-test"


# ------------------------------------------------------------------ Dockerfile


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def args(self, keyword: str) -> list[str]:
        return [arg for kw, arg in self.instructions if kw == keyword]


def dockerfile_stages(text: str) -> list[Stage]:
    """Instructions per stage: continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, arg = line.strip().partition(" ")
        keyword, arg = keyword.upper(), " ".join(arg.split())
        if keyword == "FROM":
            words = arg.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1].instructions.append((keyword, arg))
    return stages


def exec_form(arg: str) -> list[str]:
    value = json.loads(arg)
    assert isinstance(value, list), f"not the exec (JSON) form: {arg}"
    return value


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return dockerfile_stages(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def test_the_wheel_is_built_in_a_stage_of_its_own(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    build = stages[0]
    assert build.name == "build"
    assert build.base.startswith("python:3.11")
    runs = " ".join(build.args("RUN"))
    assert "pip wheel" in runs and "--no-deps" in runs


def test_the_final_stage_is_slim_and_holds_no_sources(final: Stage) -> None:
    assert final.base == "python:3.11-slim"
    copies = final.args("COPY")
    # only the lock file from the context, and the wheel from the build stage
    assert [c for c in copies if "--from" not in c] == [
        "deploy/requirements.lock /tmp/requirements.lock"]
    assert [c for c in copies if "--from" in c] == ["--from=build /dist/ /tmp/dist/"]
    everything = " ".join(arg for _, arg in final.instructions)
    assert not re.search(r"(^|\s)(-e|--editable)(\s|$)", everything)
    for tool in ("gcc", "build-essential", "apt-get", "cc ", "make "):
        assert tool not in everything, tool


def test_the_final_stage_installs_the_lock_with_hashes_then_the_wheel(final: Stage) -> None:
    commands = [c.strip() for run in final.args("RUN") for c in run.split("&&")]
    lock = next(c for c in commands if "requirements.lock" in c and "pip install" in c)
    assert "--require-hashes" in lock and "--no-deps" in lock
    assert "-r /tmp/requirements.lock" in lock
    wheel = next(c for c in commands if ".whl" in c and "pip install" in c)
    assert "--no-deps" in wheel and "/tmp/dist/traam_bot-" in wheel
    assert commands.index(lock) < commands.index(wheel)
    assert "pip check" in commands


def test_the_bot_runs_unprivileged_on_a_data_volume(final: Stage) -> None:
    (user,) = final.args("USER")
    assert user.split(":")[0] == "10001"
    runs = " ".join(final.args("RUN"))
    assert "--uid 10001" in runs and "chown 10001:10001 /data" in runs
    assert final.args("VOLUME") == ["/data"]
    assert final.args("WORKDIR")[-1] == "/data"
    env = " ".join(final.args("ENV"))
    assert "PYTHONUNBUFFERED=1" in env
    assert final.args("STOPSIGNAL") == ["SIGTERM"]
    (entrypoint,) = final.args("ENTRYPOINT")
    assert exec_form(entrypoint) == ["traam-bot"]
    (cmd,) = final.args("CMD")
    assert exec_form(cmd) == ["run", "--config", "/data/bot.yaml"]


def healthcheck_url(command: list[str]) -> str:
    (url,) = re.findall(r"https?://[^'\"]+", " ".join(command))
    return url


def test_the_healthcheck_asks_the_health_listener_of_deploy_bot_yaml(final: Stage) -> None:
    (check,) = final.args("HEALTHCHECK")
    options, _, command = check.partition(" CMD ")
    assert "--start-period=" in options and "--interval=" in options
    argv = exec_form(command)
    assert argv[:2] == ["python", "-c"]  # the stdlib: no curl in a slim image
    url = urlsplit(healthcheck_url(argv))
    http = container_settings().http
    assert http is not None
    assert (url.hostname, url.port, url.path) == (http.bind, http.port, "/health")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_healthcheck_command_passes_on_200_and_fails_on_503(final: Stage) -> None:
    """The HEALTHCHECK's own code, pointed at the bot's real listener on a free port."""
    argv = exec_form(final.args("HEALTHCHECK")[0].partition(" CMD ")[2])
    now = datetime(2025, 12, 1, 9, tzinfo=UTC)
    health = Health(lambda: now)
    port = free_port()
    listener = HttpListener(health, "127.0.0.1", port)
    await listener.start()
    try:
        code = argv[2].replace(healthcheck_url(argv), f"http://127.0.0.1:{port}/health")

        async def check() -> int:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-c", code, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL)
            return await asyncio.wait_for(proc.wait(), 60)

        health.synced()
        assert await check() == 0
        health.last_sync = now - timedelta(minutes=5)  # sync lost: 503
        assert await check() != 0
    finally:
        await listener.stop()


def dockerignore_admits(patterns: list[str], path: str) -> bool:
    """Docker's rule, for the patterns used here: the last pattern matching the path or one
    of its parent folders wins; `!` admits."""
    admitted = True
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.lstrip("!").rstrip("/")
        pattern = pattern.removeprefix("**/")
        deep = raw.lstrip("!").startswith("**/")
        candidates = [p for prefix in prefixes for p in
                      ([prefix] + ([prefix.rsplit("/", 1)[-1]] if deep else []))]
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            admitted = negate
    return admitted


def test_the_build_context_is_what_the_dockerfile_copies(stages: list[Stage]) -> None:
    patterns = [line.strip() for line in
                (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    sources = [src for stage in stages for copy in stage.args("COPY")
               if "--from" not in copy for src in copy.split()[:-1]]
    assert sources
    for src in sources:
        assert (REPO / src).exists(), src
        assert dockerignore_admits(patterns, src.rstrip("/")), src
    for secret in ("deploy/.env", "config/bot.yaml", "data/traam.db", ".venv/bin/python",
                   ".git/config", "traam_bot/__pycache__/app.cpython-311.pyc"):
        assert not dockerignore_admits(patterns, secret), secret
    assert dockerignore_admits(patterns, "traam_bot/resources/migrations")


# ------------------------------------------------------------------ the container's bot.yaml


def container_settings(env: dict[str, str] | None = None) -> Any:
    raw = yaml.safe_load((DEPLOY / "bot.yaml").read_text(encoding="utf-8"))
    return parse_settings(raw, Path("/data"), {"TRAAM_BOT_PASSWORD": SECRET, **(env or {})})


def test_the_container_config_keeps_its_data_right_in_data(tmp_path: Path) -> None:
    s = container_settings()
    assert s.matrix.store_path == "/data/store"
    assert s.database.url == "sqlite+aiosqlite:////data/traam.db"
    assert not s.directory.startswith("/data/data")
    # the same file, loaded from where it lies, as the image's CMD does with /data/bot.yaml
    (tmp_path / "bot.yaml").write_text((DEPLOY / "bot.yaml").read_text(encoding="utf-8"),
                                       encoding="utf-8")
    loaded = load_settings(tmp_path / "bot.yaml", {"TRAAM_BOT_PASSWORD": SECRET})
    assert Path(loaded.matrix.store_path).parent == tmp_path.resolve()
    database = Path(loaded.database.url.removeprefix("sqlite+aiosqlite:///"))
    assert database.parent == tmp_path.resolve()


def test_the_container_config_holds_no_secret() -> None:
    raw = yaml.safe_load((DEPLOY / "bot.yaml").read_text(encoding="utf-8"))
    for section, key in ENV_OVERRIDES.values():
        if key != "url":
            assert key not in raw.get(section, {}), f"{section}.{key}"
    with pytest.raises(ConfigError, match="password"):
        parse_settings(raw, Path("/data"), {})  # the secret comes from the environment


# ------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}."""
    def one(match: re.Match[str]) -> str:
        name, op, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        found = variables.get(name, "")
        if op == ":?" and not found:
            raise ValueError(rest)
        return found or (rest if op == ":-" else "")
    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def test_the_stack_has_its_three_services_restarting(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"synapse", "postgres", "bot"}
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name
    assert services["synapse"]["image"].startswith("matrixdotorg/synapse:")
    assert services["postgres"]["image"].startswith("postgres:")
    bot = services["bot"]
    assert (DEPLOY / bot["build"]["context"] / bot["build"]["dockerfile"]).resolve() == DOCKERFILE


def test_dependencies_exist_and_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for target, spec in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            assert spec["condition"] == "service_healthy", f"{name} -> {target}"
            assert "healthcheck" in services[target], target
    assert set(services["bot"]["depends_on"]) == {"synapse", "postgres"}


def test_volumes_are_declared_and_files_exist(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (DEPLOY / source).is_file(), f"{name}: {source}"
            else:
                used.add(source)
    assert used == declared == {"postgres-data", "synapse-data", "bot-data"}


def test_the_bot_service_matches_its_image_and_config(compose: dict[str, Any],
                                                      final: Stage) -> None:
    bot = compose["services"]["bot"]
    volumes = {v.split(":")[1]: v.split(":")[0] for v in bot["volumes"]}
    config_path = exec_form(final.args("CMD")[0])[2]
    assert volumes["/data"] == "bot-data"
    assert volumes[config_path] == "./bot.yaml" and f"{config_path}:ro" in " ".join(bot["volumes"])
    # the same health check as the image's, on the port deploy/bot.yaml listens on
    image_check = exec_form(final.args("HEALTHCHECK")[0].partition(" CMD ")[2])
    assert bot["healthcheck"]["test"] == ["CMD", *image_check]
    assert bot["stop_grace_period"]


def test_secrets_come_from_the_env_file_only(compose: dict[str, Any]) -> None:
    example = env_example()
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    for name in re.findall(r"\$\{(\w+)", text):
        assert name in example, f"{name} missing from deploy/.env.example"
    bot_env = compose["services"]["bot"]["environment"]
    for var in ("TRAAM_BOT_PASSWORD", "TRAAM_BOT_DATABASE_URL"):
        assert bot_env[var] == f"${{{var}:?{var} manque dans deploy/.env}}"
    assert all(var in ENV_OVERRIDES for var in bot_env)
    # nothing filled in: the example carries no secret, and compose refuses it as it is
    assert all(value == "" or "${" in value for value in example.values())
    with pytest.raises(ValueError, match="manque"):
        interpolate(bot_env["TRAAM_BOT_PASSWORD"], example)
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()


def test_the_bot_reaches_the_stacks_synapse_and_postgres(compose: dict[str, Any]) -> None:
    filled = {**env_example(), "POSTGRES_PASSWORD": "abc123", "TRAAM_BOT_PASSWORD": SECRET}
    filled = {k: interpolate(v, filled) for k, v in filled.items()}  # .env interpolates too
    bot_env = {k: interpolate(v, filled) for k, v in
               compose["services"]["bot"]["environment"].items()}
    s = container_settings({k: v for k, v in bot_env.items() if v})
    services = compose["services"]
    database = urlsplit(s.database.url)
    postgres = services["postgres"]["environment"]
    assert database.scheme == "postgresql+asyncpg"
    assert database.hostname == "postgres" and database.password == "abc123"
    assert (database.username, database.path) == (postgres["POSTGRES_USER"],
                                                  "/" + postgres["POSTGRES_DB"])
    homeserver = urlsplit(s.matrix.homeserver)
    assert homeserver.hostname == "synapse"
    assert any(p.endswith(f":{homeserver.port}") for p in services["synapse"]["ports"])
    # Synapse's own database: the stack's PostgreSQL, the database the init script creates
    override = yaml.safe_load((DEPLOY / "synapse" / "homeserver-compose.yaml").read_text(
        encoding="utf-8"))
    args = override["database"]["args"]
    assert override["database"]["name"] == "psycopg2" and "password" not in args
    assert (args["host"], args["user"]) == ("postgres", postgres["POSTGRES_USER"])
    init = (DEPLOY / "postgres" / "init-synapse.sql").read_text(encoding="utf-8")
    assert f"CREATE DATABASE {args['dbname']}" in init and "LC_COLLATE 'C'" in init
    assert "PGPASSWORD" in services["synapse"]["environment"]
    assert "/compose/homeserver-compose.yaml" in services["synapse"]["command"]


# ------------------------------------------------------------------ systemd


@pytest.fixture(scope="module")
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string((DEPLOY / "traam-bot.service").read_text(encoding="utf-8"))
    return parser


def test_the_unit_restarts_and_stops_cleanly(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["User"] == "traam"
    assert service["KillSignal"] == "SIGTERM"
    assert service["TimeoutStopSec"]
    assert service["WorkingDirectory"] == "/var/lib/traam-bot"
    argv = shlex.split(service["ExecStart"])
    assert argv == ["/opt/traam-bot/venv/bin/traam-bot", "run", "--config",
                    "/etc/traam-bot/bot.yaml"]
    assert service["EnvironmentFile"] == "/etc/traam-bot/traam-bot.env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "network-online.target" in unit["Unit"]["After"]


def test_the_unit_is_hardened(unit: configparser.ConfigParser) -> None:
    service = unit["Service"]
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
                       "UMask": "0077", "ReadWritePaths": "/var/lib/traam-bot",
                       "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes"}.items():
        assert service.get(key) == value, key


def test_the_systemd_config_writes_only_where_the_unit_lets_it() -> None:
    raw = yaml.safe_load((DEPLOY / "bot.systemd.yaml").read_text(encoding="utf-8"))
    s = parse_settings(raw, Path("/etc/traam-bot"), {"TRAAM_BOT_PASSWORD": SECRET})
    writable = Path("/var/lib/traam-bot")
    assert Path(s.matrix.store_path).parent == writable
    assert Path(s.database.url.removeprefix("sqlite+aiosqlite:///")).parent == writable
    example = (DEPLOY / "traam-bot.env.example").read_text(encoding="utf-8")
    names = set(re.findall(r"^#?\s*(TRAAM_BOT_\w+)=", example, re.MULTILINE))
    assert names == set(ENV_OVERRIDES)


# ------------------------------------------------------------------ lock file


def lock_pins() -> dict[str, str]:
    text = LOCK.read_text(encoding="utf-8")
    return {canonicalize_name(m.group(1)): m.group(2)
            for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)", text, re.MULTILINE)}


def runtime_requirements() -> list[Requirement]:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(r) for r in pyproject["project"]["dependencies"]]


def test_every_runtime_dependency_is_pinned_in_the_lock() -> None:
    pins = lock_pins()
    for req in runtime_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} missing from {LOCK.name}"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


def test_the_extras_requirements_are_pinned_too() -> None:
    pins = lock_pins()
    for req in runtime_requirements():
        try:
            declared = requires(req.name) or []
        except PackageNotFoundError:  # pragma: no cover - the venv has every runtime dep
            continue
        for extra in req.extras:
            for line in declared:
                wanted = Requirement(line)
                if wanted.marker and wanted.marker.evaluate({"extra": extra}) and \
                        not wanted.marker.evaluate({"extra": ""}):
                    assert canonicalize_name(wanted.name) in pins, f"{req.name}[{extra}]"


def test_the_lock_is_hashed_runtime_only_and_says_how_to_regenerate() -> None:
    lines = LOCK.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines[:20] if line.startswith("#")]
    assert any("make lock" in line for line in header)
    assert any("Python 3.11" in line for line in header)
    blocks: list[list[str]] = []
    for line in lines:
        if re.match(r"[A-Za-z0-9]", line):
            blocks.append([line])
        elif blocks and line.startswith(" "):
            blocks[-1].append(line)
    assert len(blocks) == len(lock_pins())
    for block in blocks:
        assert any("--hash=sha256:" in line for line in block), block[0]
    for dev in ("pytest", "matrix-synapse", "ruff", "mypy", "mutmut", "import-linter"):
        assert dev not in lock_pins(), dev
    assert re.search(r"^lock:", (REPO / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)


# ------------------------------------------------------------------ CI and documentation


def test_ci_replays_the_image_steps() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "deploy/check-image-steps.sh" in ci
    script = DEPLOY / "check-image-steps.sh"
    assert script.stat().st_mode & 0o111
    text = script.read_text(encoding="utf-8")
    assert "--require-hashes" in text and "deploy/requirements.lock" in text
    assert "runuser" in text and "chmod -R a-w" in text


def test_the_readme_points_to_the_deployment_files() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for needle in ("deploy/compose.yaml", "deploy/traam-bot.service", "docs/tchap.md",
                   "chown -R 10001:10001", "--restart unless-stopped", "make lock",
                   "register_new_matrix_user", "Sans conteneur (systemd)"):
        assert needle in readme, needle
    assert (REPO / "docs" / "tchap.md").is_file()
