"""What the bot says about one person's data: the `!mesdonnees` summary, the `!oublier`
question and its outcome (pure; the JSON attachment is domain.privacy.export_json)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Reply
from traam_bot.domain.privacy import (
    CONFIRM_MINUTES,
    CONFIRM_WORD,
    FORGOTTEN,
    TECHNICAL_DAYS,
    Erasure,
    PersonalData,
)
from traam_bot.domain.records import Schedule
from traam_bot.domain.render import B, Code, Doc, I, text_reply
from traam_bot.domain.text import format_date, plural

EXPORT_FILENAME = "mes-donnees-traam.json"
EXPORT_MIMETYPE = "application/json"
KIND_TITLES = {"reminder": "Rappels créés", "prompt": "Relances créées",
               "digest": "Abonnements au digest"}
STATUS_LABELS = {"active": "actif", "paused": "en pause : le bot a perdu le salon",
                 "done": "envoyé", "missed": "manqué", "cancelled": "annulé"}


def _schedule_line(s: Schedule, tz: ZoneInfo) -> str:
    status = STATUS_LABELS.get(s.status, s.status)
    if s.kind == "digest":
        return f"digest {s.message or 'hebdo'}, {s.trigger.describe(tz)} ({status})"
    text = f" : « {s.message} »" if s.message else ""
    return f"{s.trigger.describe(tz)}{text} ({status})"


def mydata_summary(data: PersonalData, tz: ZoneInfo, label: Callable[[str], str],
                   prefix: str) -> Reply:
    """The Markdown summary sent by direct message with the JSON file; full texts."""
    doc = Doc().para("Voici tout ce que je conserve à votre sujet (", Code(data.user_id),
                     "). Le fichier joint, ", Code(EXPORT_FILENAME),
                     ", contient les mêmes données, textes complets, dans un format lisible "
                     "par un programme.")
    if data.empty:
        doc.para("Je ne conserve aucun point d’étape, ressource, rappel, relance ou "
                 "abonnement à votre nom.")
    if data.updates:
        doc.para(B(f"Points d’étape ({len(data.updates)})"))
        for u in data.updates:
            doc.item(f"{label(u.project_id)}, n° {u.number}, {format_date(u.created_at, tz)}"
                     " :").quote(u.text)
    if data.resources:
        doc.para(B(f"Ressources ({len(data.resources)})"))
        for r in data.resources:
            doc.item(f"{label(r.project_id)}, {format_date(r.created_at, tz)} : ", I(r.title),
                     f" — {r.url}")
    for kind, title in KIND_TITLES.items():
        schedules = data.of_kind(kind)
        if schedules:
            doc.para(B(f"{title} ({len(schedules)})"))
            for s in schedules:
                doc.item(_schedule_line(s, tz))
    if data.links:
        doc.para(B(f"Salons liés à un projet par vous ({len(data.links)})"))
        for link in data.links:
            doc.item(f"{link.label or link.room_id} → {label(link.project_id)}, "
                     f"le {format_date(link.linked_at, tz)}")
    if data.contacts:
        doc.para(B("Annuaire des contacts"))
        for c in data.contacts:
            doc.item(f"{c.name}, {c.role}, {c.email}")
    if data.names:
        doc.para("Nom d’affichage enregistré : ", " ; ".join(f"« {n} »" for n in data.names),
                 ".")
    doc.para(f"S’y ajoutent des traces techniques sans contenu (identifiants des messages "
             f"traités, messages envoyés par le bot), effacées après {TECHNICAL_DAYS} jours. "
             f"Pour tout effacer : {prefix}oublier. Pour en savoir plus : "
             f"{prefix}confidentialite.")
    return doc.reply()


def sent_by_direct_message() -> Reply:
    return text_reply("Je vous envoie vos données en message direct (jamais dans un salon "
                      "partagé).")


def counts_phrase(*pairs: tuple[int, str, str]) -> str:
    """"1 rappel, 2 relances et 1 abonnement" from (count, singular, plural) triples,
    leaving out the zeros; "" when all are."""
    shown = [plural(n, one, many) for n, one, many in pairs if n]
    if not shown:
        return ""
    return ", ".join(shown[:-1]) + (" et " if len(shown) > 1 else "") + shown[-1]


def deleted_phrase(reminders: int, prompts: int, digests: int) -> str:
    return counts_phrase((reminders, "rappel", "rappels"), (prompts, "relance", "relances"),
                         (digests, "abonnement au digest", "abonnements au digest"))


def kept_phrase(updates: int, resources: int) -> str:
    return counts_phrase((updates, "point d’étape", "points d’étape"),
                         (resources, "ressource", "ressources"))


def forget_question(data: PersonalData, prefix: str) -> Reply:
    """What `!oublier` will do, and the explicit word that confirms it."""
    deleted = deleted_phrase(len(data.of_kind("reminder")), len(data.of_kind("prompt")),
                             len(data.of_kind("digest")))
    kept = kept_phrase(len(data.updates), len(data.resources))
    doc = Doc().para(B("Effacement de vos données."), " Voici ce qui se passera :")
    doc.item(f"supprimés : {deleted} ;" if deleted
             else "aucun rappel, relance ou abonnement à supprimer ;")
    if kept:
        doc.item(f"conservés pour le bilan du projet, mais attribués à « {FORGOTTEN} » : "
                 f"{kept} ;")
    doc.item("votre identifiant Matrix et votre nom d’affichage seront retirés de toutes mes "
             "données (liaisons de salons, messages envoyés, traces techniques).")
    doc.para("C’est définitif. Pour confirmer, envoyez ", Code(f"{prefix}oublier {CONFIRM_WORD}"),
             f" dans les {CONFIRM_MINUTES} minutes. Sans confirmation, rien n’est effacé.")
    return doc.reply()


def forgotten(erasure: Erasure, configured_as: tuple[str, ...]) -> Reply:
    """The outcome of a confirmed `!oublier` (and of `traam-bot user forget`)."""
    deleted = deleted_phrase(erasure.reminders, erasure.prompts, erasure.digests)
    kept = kept_phrase(erasure.updates, erasure.resources)
    doc = Doc().para(B("C’est fait : vos données sont effacées."))
    if deleted:
        doc.item(f"supprimés : {deleted} ;")
    if kept:
        doc.item(f"attribués désormais à « {FORGOTTEN} » : {kept} ;")
    doc.item("votre identifiant et votre nom d’affichage ne figurent plus dans mes données.")
    if configured_as:
        doc.para(f"Vous figurez encore dans la configuration du bot ({', '.join(configured_as)}) "
                 "; c’est à son exploitant de vous en retirer.")
    return doc.reply(reaction="✅")


def nothing_to_confirm(prefix: str) -> Reply:
    return text_reply(f"Aucune demande d’effacement en attente (ou elle a expiré après "
                      f"{CONFIRM_MINUTES} minutes). Envoyez d’abord ", Code(f"{prefix}oublier"),
                      " : je vous dirai ce qui sera effacé, puis je vous demanderai "
                      "confirmation.")
