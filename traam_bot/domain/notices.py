"""Notices of the bot's own: to a room whose member's device keeps its room keys from the
bot, and to someone whose message could not be handled."""

from __future__ import annotations

import hashlib

from traam_bot.domain.model import Reply
from traam_bot.domain.render import Doc

# code -> why the sender's device kept the key, as said to the room (absent: unspecified)
_WHY = {
    "m.unverified": "appareils non vérifiés exclus",
    "m.blacklisted": "il a bloqué mon appareil",
}
_HINT = {
    "m.unverified": "Mon appareil est vérifié par mon propre compte ; si le problème "
                    "persiste, vérifiez les réglages de chiffrement de votre client ou "
                    "écrivez-moi dans un salon non chiffré.",
    "m.blacklisted": "Pour que je puisse vous lire, débloquez mon appareil dans les réglages "
                     "de sécurité de votre client, ou écrivez-moi dans un salon non chiffré.",
}
_DEFAULT_HINT = ("Si le problème persiste, vérifiez les réglages de chiffrement de votre "
                 "client ou écrivez-moi dans un salon non chiffré.")
_ELIDED = set("aeiouyàâäéèêëîïôöùûüAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ")



def notice_key(room_id: str) -> str:
    """The state key remembering that a room was told (fits the 100-character column)."""
    return "withheld-notice:" + hashlib.sha256(room_id.encode()).hexdigest()[:40]


def withheld_notice(sender_name: str, code: str) -> Reply:
    """What the room is told, once, when a member's device keeps its keys from the bot."""
    why = _WHY.get(code)
    of = "d’" if sender_name[:1] in _ELIDED else "de "
    lost = (f"Je n’ai pas pu lire un message chiffré {of}{sender_name} : son appareil ne "
            f"m’a pas transmis la clé" + (f" ({why})." if why else "."))
    return Doc().para(lost).para(_HINT.get(code, _DEFAULT_HINT)).reply()


APOLOGY = ("Désolé, une erreur interne m’a empêché de traiter ce message. Elle est "
           "consignée dans le journal du bot ; vous pouvez réessayer plus tard.")


def apology() -> Reply:
    """The answer to a message whose handling failed on a bug (the log has the details)."""
    return Doc().para(APOLOGY).reply()
