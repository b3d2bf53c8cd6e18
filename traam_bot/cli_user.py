"""`traam-bot user forget USER_ID`: an administrator erases the data of someone who left
(what `!oublier` does after its confirmation)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from traam_bot.cli_french import say
from traam_bot.config import load_settings
from traam_bot.config.files import check_user_id
from traam_bot.domain.privacy import FORGOTTEN, Erasure
from traam_bot.domain.privacy_replies import deleted_phrase, kept_phrase
from traam_bot.domain.text import plural

EXIT_OK, EXIT_USAGE = 0, 2


def add_user_parser(verbs: argparse._SubParsersAction,
                    with_config: Callable[[argparse.ArgumentParser], argparse.ArgumentParser],
                    ) -> None:
    user = verbs.add_parser("user", help="données personnelles d’une personne (RGPD)")
    user_verbs = user.add_subparsers(dest="user_verb", metavar="action",
                                     parser_class=type(user))
    user_verbs.required = True
    forget = user_verbs.add_parser(
        "forget", help="efface les données d’une personne (comme !oublier, sans confirmation)")
    with_config(forget)
    forget.add_argument("user_id", metavar="IDENTIFIANT",
                        help="identifiant Matrix de la personne, par ex. @nom:serveur")
    forget.add_argument("--nom", "--name", dest="names", action="append", default=[],
                        metavar="NOM", help="nom d’affichage à effacer aussi des textes "
                        "(ceux enregistrés avec ses messages le sont déjà) ; répétable")


def describe(user: str, erasure: Erasure) -> str:
    """What forgetting `user` changed, one French line per kind of change."""
    done = []
    kept = kept_phrase(erasure.updates, erasure.resources)
    if kept:
        done.append(f"attribués désormais à « {FORGOTTEN} » : {kept}")
    deleted = deleted_phrase(erasure.reminders, erasure.prompts, erasure.digests)
    if deleted:
        done.append(f"supprimés : {deleted}")
    if erasure.links:
        done.append(plural(erasure.links, "liaison de salon anonymisée",
                           "liaisons de salons anonymisées"))
    others = erasure.messages + erasure.mentions
    if others:
        done.append(plural(others, "autre ligne effacée ou caviardée",
                           "autres lignes effacées ou caviardées")
                    + " (messages du bot, mentions dans d’autres textes)")
    if not done:
        return f"Aucune donnée enregistrée pour {user} : rien à effacer."
    return f"Données de {user} effacées :\n" + "\n".join(f"- {part} ;" for part in done)[:-2] + "."


async def user_command(args: argparse.Namespace) -> int:
    from traam_bot.services.privacy import PrivacyService, no_timers
    from traam_bot.store.unit_of_work import one_unit

    try:
        user = check_user_id(args.user_id)
    except ValueError as err:
        say(f"traam-bot : {err}", file=sys.stderr)
        return EXIT_USAGE
    settings = load_settings(args.config, secret=False)
    async with one_unit(settings.database.url) as uow:
        erasure = await PrivacyService(settings.retention.years, no_timers).forget(
            uow, user, args.names)
    say(describe(user, erasure))
    roles = settings.listed_in(user)
    if roles:
        say(f"Attention : {user} figure encore dans {' et '.join(roles)} de la configuration "
            f"({args.config}) ; retirez cet identifiant de la liste, sinon un référent "
            "recevra de nouveau le digest au prochain démarrage.")
    if erasure.contacts:
        say(f"Attention : l’annuaire ({settings.directory}) donne {user} comme matrix_id d’un "
            "contact ; retirez-le du fichier, sinon le prochain import le remettra.")
    return EXIT_OK
