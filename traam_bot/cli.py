"""Command line: argument parsing, logging, and one clear line on stderr for any failure."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import re
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from traam_bot.cli_db import db_command
from traam_bot.cli_export import export_command
from traam_bot.cli_french import FrenchHelp, say
from traam_bot.cli_french import install as install_french
from traam_bot.cli_user import add_user_parser, user_command
from traam_bot.config import ConfigError, ConfigFileError, load_directory, load_settings
from traam_bot.config.private import PRIVATE_UMASK
from traam_bot.domain.text import plural
from traam_bot.domain.years import years_status

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = "config/bot.yaml"
_JSON_LOG = False  # the config asked for JSON log lines (set by _configure_logging)


# a refused option value, worded for options whose values have a name of their own
OPTION_REFUSALS = {"--format": "format d’export inconnu « {value} »"}
INVALID_CHOICE = re.compile(r"argument (\S+): invalid choice: '?(.*?)'? \(choose from (.*)\)$")


class FrenchParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", FrenchHelp)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        match = INVALID_CHOICE.search(message)
        if match and match.group(1).startswith("-"):
            option, value = match.group(1).split("/")[0], match.group(2)
            choices = ", ".join(c.strip(" '") for c in match.group(3).split(","))
            refusal = OPTION_REFUSALS.get(option, "valeur inconnue « {value} » pour {option}")
            message = f"{refusal.format(value=value, option=option)} (au choix : {choices})"
        elif match:
            message = f"commande inconnue « {match.group(2)} »"
        elif "obligatoires" in message and "--" in message:
            message = message.replace("arguments obligatoires manquants",
                                      "option obligatoire manquante")
        elif "obligatoires" in message or "required" in message:
            message = "commande incomplète"
        self.exit(EXIT_USAGE, f"traam-bot : {message} (voir traam-bot --help)\n")


def build_parser() -> argparse.ArgumentParser:
    install_french()
    parser = FrenchParser(prog="traam-bot", description="Bot Matrix du réseau TraAM.")
    parser.add_argument("-v", "--verbose", action="store_true", help="journal détaillé")
    verbs = parser.add_subparsers(dest="verb", metavar="commande", parser_class=FrenchParser)
    verbs.required = True

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", default=DEFAULT_CONFIG, metavar="FICHIER",
                       help=f"fichier de configuration (défaut : {DEFAULT_CONFIG})")
        return p

    run = with_config(verbs.add_parser("run", help="lance le bot"))
    run.add_argument("--standby", action="store_true",
                     help="relève : attend que l’instance active s’arrête, puis prend le relais")
    db = verbs.add_parser("db", help="base de données")
    db_verbs = db.add_subparsers(dest="db_verb", metavar="action", parser_class=FrenchParser)
    db_verbs.required = True
    with_config(db_verbs.add_parser("upgrade", help="applique les migrations"))
    backup = with_config(db_verbs.add_parser(
        "backup", help="copie de la base (SQLite) et archive du magasin de clés"))
    backup.add_argument("--out", required=True, metavar="FICHIER",
                        help="copie de la base ; l’archive des clés est écrite à côté "
                             "(FICHIER.store.tar.gz)")
    copy = db_verbs.add_parser("copy", help="copie toutes les tables vers une autre base vide")
    copy.add_argument("--from", dest="source", required=True, metavar="URL",
                      help="base source, par ex. sqlite+aiosqlite:///data/traam.db")
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="base cible, migrée d’abord, qui doit être vide")
    directory = verbs.add_parser("directory", help="annuaire des projets et contacts")
    dir_verbs = directory.add_subparsers(dest="dir_verb", metavar="action",
                                         parser_class=FrenchParser)
    dir_verbs.required = True
    with_config(dir_verbs.add_parser("import", help="importe l’annuaire dans la base"))
    export = with_config(verbs.add_parser("export", help="bilan de l’année (md, csv ou xlsx)"))
    export.add_argument("--format", choices=("md", "csv", "xlsx"), default="md",
                        help="md (Markdown), csv (séparateur ;, UTF-8 avec BOM) ou xlsx "
                             "(classeur : mises à jour, ressources, projets ; avec --out)")
    export.add_argument("--annee", "--year", dest="year", default=None, metavar="ANNÉE",
                        help="année scolaire, par ex. 2024-2025 (défaut : l’année en cours)")
    export.add_argument("--out", default=None, metavar="FICHIER",
                        help="fichier de sortie (défaut : écran ; obligatoire pour xlsx)")
    device = verbs.add_parser("device", help="appareil Matrix du bot")
    dev_verbs = device.add_subparsers(dest="device_verb", metavar="action",
                                      parser_class=FrenchParser)
    dev_verbs.required = True
    with_config(dev_verbs.add_parser(
        "reset", help="nouvel appareil signé par la même identité, l’ancien est supprimé"))
    with_config(dev_verbs.add_parser(
        "recovery-key", help="crée le stockage de secrets et affiche la clé de récupération"))
    with_config(verbs.add_parser(
        "check-config", help="vérifie la configuration, la base, le serveur et la connexion"))
    add_user_parser(verbs, with_config)
    demo = verbs.add_parser("demo", help="conversation de démonstration sur un Synapse jetable")
    demo.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    return parser


async def _directory_import(args: argparse.Namespace) -> int:
    from traam_bot.app import prepare_database

    settings = load_settings(args.config, secret=False)
    directory = load_directory(settings.directory)
    db, report = await prepare_database(settings)
    await db.close()
    say(f"Annuaire importé : {plural(len(directory.projects), 'projet')}, "
        f"{plural(len(directory.contacts), 'contact')} "
        f"({plural(len(report.added), 'ajouté')}, {plural(len(report.updated), 'modifié')}, "
        f"{plural(len(report.archived), 'archivé')}, "
        f"{plural(report.unchanged, 'inchangé')}).")
    today = datetime.now(UTC).astimezone(settings.tz).date()
    say(f"Années : {years_status(report.years, today)}.")
    return EXIT_OK


async def _run(args: argparse.Namespace) -> int:
    from traam_bot.app import run_bot

    await run_bot(load_settings(args.config), standby=args.standby)
    return EXIT_OK


async def _device(args: argparse.Namespace) -> int:
    from traam_bot.matrix.device import create_recovery_key, reset_device

    settings = load_settings(args.config)
    if args.device_verb == "reset":
        report = await reset_device(settings.matrix)
        old = f" ; ancien appareil {report.old_device} supprimé" if report.old_device else ""
        say(f"Nouvel appareil {report.new_device}, signé par l’identité du bot{old}.")
        return EXIT_OK
    key = await create_recovery_key(settings.matrix)
    say("Stockage de secrets et sauvegarde de clés créés pour le compte du bot.\n"
        "Clé de récupération (affichée une seule fois, à conserver en lieu sûr) :\n\n"
        f"    {key}\n\n"
        "Elle permet à une personne de se connecter sous le compte du bot (Element, Tchap) "
        "et de vérifier cette session. Relancer cette commande crée une nouvelle clé et "
        "rend l’ancienne inutile.")
    return EXIT_OK


async def _check_config(args: argparse.Namespace) -> int:
    from traam_bot.app import check_config

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        say(f"✘ problème : {_explain(exc)}")
        return EXIT_FAIL
    say(f"✔ configuration valide ({args.config})")
    findings = await check_config(settings)
    for ok, text in findings:
        say(f"✔ {text}" if ok else f"✘ problème : {text}")
    return EXIT_OK if all(ok for ok, _ in findings) else EXIT_FAIL


async def _demo(args: argparse.Namespace) -> int:
    # The demo is a developer tool: checked and imported here only, so that a bot installed
    # without the dev extra never loads Synapse or traam_bot.devtools.
    if importlib.util.find_spec("synapse") is None:
        say("traam-bot : la démo a besoin de Synapse, installez l’extra dev "
            "(pip install -e '.[dev]')", file=sys.stderr)
        return EXIT_FAIL
    from traam_bot.devtools.demo import run_demo

    return await run_demo(keep=args.keep)


def _handler(args: argparse.Namespace) -> Callable[[argparse.Namespace], Coroutine[Any, Any, int]]:
    if args.verb == "db":
        return db_command
    if args.verb == "directory":
        return _directory_import
    if args.verb == "user":
        return user_command
    return {"run": _run, "export": export_command, "demo": _demo, "device": _device,
            "check-config": _check_config}[args.verb]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _configure_logging(args)
    # Everything the bot writes (key store, credentials, database, journals, including the
    # files libraries create) is readable by its owner only.
    os.umask(PRIVATE_UMASK)
    try:
        return asyncio.run(_handler(args)(args))
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception as exc:  # the one place that turns any failure into one line
        if _JSON_LOG:  # with `format: json`, even this line is a JSON object
            logging.getLogger("traam_bot").error("traam-bot : %s", _explain(exc))
        else:
            say(f"traam-bot : {_explain(exc)}", file=sys.stderr)
        logging.getLogger(__name__).debug("details", exc_info=True)
        return EXIT_FAIL


# A file system error names its path: the operator fixes the path, not the code.
OS_ERRORS: dict[type[OSError], str] = {
    PermissionError: "droits insuffisants (lecture ou écriture refusée)",
    FileNotFoundError: "fichier ou dossier introuvable",
    IsADirectoryError: "dossier à la place d’un fichier",
    NotADirectoryError: "fichier à la place d’un dossier",
    FileExistsError: "existe déjà",
}


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError with a path that `exc` is, or was raised from."""
    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return None
        if isinstance(current, OSError) and current.filename:
            return current
        current = current.__cause__ or current.__context__
    return None


def _configure_logging(args: argparse.Namespace) -> None:
    """The config's `logging` section (a config that cannot be read leaves the defaults:
    the verb says what is wrong with it); `-v` forces DEBUG."""
    from traam_bot.ops.logs import configure_logging

    level, fmt, secrets = "INFO", "text", [os.environ.get("TRAAM_BOT_PASSWORD"),
                                           os.environ.get("TRAAM_BOT_ACCESS_TOKEN")]
    if getattr(args, "config", None):
        try:
            settings = load_settings(args.config, secret=False)
        except Exception:  # reported by the verb itself
            pass
        else:
            level, fmt = settings.logging.level, settings.logging.format
            secrets.append(os.environ.get("TRAAM_BOT_RECOVERY_KEY"))
            m = settings.matrix
            secrets += [m.password, m.access_token, m.recovery_key]
    configure_logging("DEBUG" if args.verbose else level, fmt, secrets=secrets)
    global _JSON_LOG
    _JSON_LOG = fmt == "json"


def _explain(exc: BaseException) -> str:
    from traam_bot.matrix.session import MatrixStartError
    from traam_bot.ops.http import ListenError
    from traam_bot.services.instance import InstanceError
    from traam_bot.services.units import StoreUnavailable
    from traam_bot.store.database import StoreError

    if isinstance(exc, ConfigFileError):
        return str(exc)  # names the file and what is wrong with it
    if isinstance(exc, ConfigError):
        return f"configuration invalide : {exc}"
    missing = _os_error(exc)
    if missing is not None:
        what = OS_ERRORS.get(type(missing), f"accès impossible ({missing.strerror})")
        return f"{what} : {missing.filename}"
    if isinstance(exc, StoreUnavailable):  # `db upgrade`, `export`: `run` waits instead
        return f"base de données injoignable ({exc.reason})"
    if isinstance(exc, (MatrixStartError, StoreError, ListenError, InstanceError)):
        return str(exc)
    return f"erreur inattendue ({type(exc).__name__}) : {exc}"


if __name__ == "__main__":
    sys.exit(main())
