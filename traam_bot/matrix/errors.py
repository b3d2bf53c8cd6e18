"""The errors that stop the bot before (or instead of) talking to Matrix."""

from __future__ import annotations

RESET_HINT = ("lancez « traam-bot device reset » avec la même configuration (nouvel appareil "
              "signé par l’identité du bot, l’ancien est supprimé), puis relancez le bot")


class MatrixStartError(Exception):
    """The bot cannot start talking to Matrix; message is for the operator."""


class LostKeys(MatrixStartError):
    """The saved device's keys are gone: the message names `traam-bot device reset`."""


def lost_keys(user_id: str, device_id: str, what: str) -> LostKeys:
    return LostKeys(f"clés de chiffrement de l’appareil {device_id} ({user_id}) perdues : "
                    f"{what}. Démarrage refusé, le bot serait muet dans les salons chiffrés ; "
                    f"{RESET_HINT}")
