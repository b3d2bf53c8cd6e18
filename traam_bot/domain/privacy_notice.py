"""What !confidentialite says (pure): what the bot stores about people, why, for how long,
who sees it, their rights, and whom to write to. Short paragraphs and lists: it is read
on a phone. The durations agree with the daily purge (services/privacy.py): updates and
resources after `retention.years`, handled events and sent messages after 30 days."""

from __future__ import annotations

from collections.abc import Sequence

from traam_bot.domain.privacy import FORGOTTEN, TECHNICAL_DAYS
from traam_bot.domain.render import B, Code, Doc
from traam_bot.domain.text import plural

GENERIC_CONTACT = ("Pour toute question sur vos données, adressez-vous à la coordination "
                   "TraAM de votre académie ou à la DRANE, qui transmettront au délégué à "
                   "la protection des données.")


def contact_line(contact: str | None, admins: Sequence[str]) -> str:
    """`privacy.contact`, else the bot's administrators, else a sentence that names no one."""
    if contact:
        return f"Pour toute question sur vos données, écrivez à {contact}."
    if admins:
        return ("Pour toute question sur vos données, écrivez aux administrateurs du bot : "
                f"{', '.join(admins)}.")
    return GENERIC_CONTACT


def privacy_notice(contact: str | None, years: int, admins: Sequence[str],
                   prefix: str = "!") -> Doc:
    """The notice: what, why, how long, who sees it, rights, contact."""
    kept = plural(years, "an")
    doc = Doc().para(B("Vos données et le bot TraAM"))
    doc.para(B("Ce que le bot enregistre"))
    doc.item("votre identifiant Matrix et votre nom d’affichage, quand vous écrivez au bot "
             "ou programmez quelque chose ;")
    doc.item("le texte de vos points d’étape (", Code(f"{prefix}point"),
             " et réponses aux relances) ;")
    doc.item("les ressources partagées (lien et titre) ;")
    doc.item("les rappels, les relances et les abonnements aux digests, avec leur auteur ;")
    doc.item("quel salon est lié à quel projet, et par qui ;")
    doc.item(f"des traces techniques : les identifiants des messages traités et les messages "
             f"envoyés par le bot ({TECHNICAL_DAYS} jours) ; le stockage de chiffrement du bot "
             "garde aussi les clés publiques des appareils des autres utilisateurs.")
    doc.para(B("Pourquoi"), " : le suivi des projets TraAM par l’académie et les bilans "
             "transmis à la DNE. Base légale : mission d’intérêt public (article 6.1.e du "
             "RGPD).")
    doc.para(B("Combien de temps"))
    doc.item(f"points d’étape et ressources : {kept}, puis suppression automatique ;")
    doc.item(f"traces techniques : {TECHNICAL_DAYS} jours ;")
    doc.item("rappels, relances et abonnements : jusqu’à leur suppression ou votre "
             "désabonnement.")
    doc.para(B("Qui les voit"), " : les membres des salons des projets, les coordinateurs, "
             "les référents qui reçoivent les digests, et la DRANE dans les bilans exportés.")
    doc.para(B("Vos droits"))
    doc.item(Code(f"{prefix}mesdonnees"), " : recevoir en message direct une copie de tout "
             "ce qui vous concerne ;")
    doc.item(Code(f"{prefix}oublier"), " : effacer vos données (vos points et ressources "
             f"restent dans le bilan du projet, attribués à « {FORGOTTEN} ») ;")
    doc.item("rectifier : modifiez votre message (un ", Code(f"{prefix}point"),
             " modifié est corrigé) ou supprimez-le (le point est effacé).")
    doc.para(contact_line(contact, admins))
    doc.para("Ne publiez pas de données personnelles d’élèves dans les salons.")
    return doc
