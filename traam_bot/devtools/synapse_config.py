"""A fresh homeserver.yaml for the throwaway Synapse (devserver.py): listener, SQLite,
secrets, quiet logging, and rate limits relaxed unless the caller keeps Synapse's own;
free loopback ports to put it on."""

from __future__ import annotations

import base64
import os
import secrets
import socket
from pathlib import Path
from typing import Any

_RELAXED = {"per_second": 1000, "burst_count": 10000}
_RATE_LIMITS = """
    rc_message rc_registration rc_registration_token_validity
    rc_login.address rc_login.account rc_login.failed_attempts
    rc_joins.local rc_joins.remote rc_joins_per_room
    rc_invites.per_room rc_invites.per_user rc_invites.per_issuer rc_third_party_invite
    rc_admin_redaction rc_3pid_validation rc_room_creation rc_delayed_event_mgmt
    rc_key_requests rc_media_create rc_presence.per_user rc_reports rc_user_directory
    rc_profile
""".split()


def free_port() -> int:
    """Return a TCP port that is currently free on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True unless something listens on the port (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def signing_key() -> str:
    """An ed25519 signing key in Synapse's file format (any 32-byte seed is valid)."""
    seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    return f"ed25519 a_{secrets.token_hex(2)} {seed}\n"


# Static part of a fresh homeserver.yaml; paths, port and secrets are added in code.
_STATIC_CONFIG = """
listeners:
- {type: http, port: 0, bind_addresses: [127.0.0.1], tls: false, x_forwarded: false,
   resources: [{names: [client], compress: false}]}
enable_registration: true
enable_registration_without_verification: true
trusted_key_servers: []
suppress_key_server_warning: true
report_stats: false
enable_metrics: false
bcrypt_rounds: 4  # throwaway accounts: fast registration and login
presence: {enabled: false}
url_preview_enabled: false
"""
LOG_CONFIG = """
version: 1
formatters: {precise: {format: "%(asctime)s %(name)s %(levelname)s %(message)s"}}
handlers: {file: {class: logging.FileHandler, formatter: precise, filename: "PATH"}}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
"""


def fresh_config(workdir: Path, server_name: str, port: int) -> dict[str, Any]:
    import yaml

    config: dict[str, Any] = yaml.safe_load(_STATIC_CONFIG)
    config["listeners"][0]["port"] = port
    config |= {
        "server_name": server_name,
        "database": {"name": "sqlite3", "args": {"database": str(workdir / "homeserver.db")}},
        "log_config": str(workdir / "log.config.yaml"),
        "media_store_path": str(workdir / "media_store"),
        "signing_key_path": str(workdir / f"{server_name}.signing.key"),
    }
    for key in ("registration_shared_secret", "macaroon_secret_key", "form_secret"):
        config[key] = secrets.token_urlsafe(32)
    return config


def relax_rate_limits(config: dict[str, Any]) -> None:
    for dotted in _RATE_LIMITS:
        parent, _, child = dotted.partition(".")
        if child:
            config.setdefault(parent, {})[child] = dict(_RELAXED)
        else:
            config[parent] = dict(_RELAXED)


def override_rate_limits(config: dict[str, Any],
                         limits: dict[str, dict[str, float] | None]) -> None:
    """Set single limits ("rc_login.address" style names): None removes the key, so that
    Synapse applies its own default."""
    for dotted, value in limits.items():
        parent, _, child = dotted.partition(".")
        holder = config.setdefault(parent, {}) if child else config
        key = child or parent
        if value is None:
            holder.pop(key, None)
        else:
            holder[key] = dict(value)
