"""Scheduling commands: !rappel (reminders), !relance (progress prompts), !digest.

Each is a group of declared subcommands (see `register`): where they may be used, by whom and
with which arguments is checked by the registry before a handler runs.
"""

from __future__ import annotations

from traam_bot.commands.calendar import holiday_note, next_line
from traam_bot.commands.registry import Context, Permission, Refusal, Registry, UsageError
from traam_bot.domain.calendar import split_opt_out
from traam_bot.domain.limits import LimitError, check_interval, check_room_cap, text_error
from traam_bot.domain.model import Project, Reply
from traam_bot.domain.records import PAUSED, Schedule
from traam_bot.domain.render import B, Doc, I, text_reply
from traam_bot.domain.text import fold, format_datetime
from traam_bot.domain.triggers import Trigger, WhenError
from traam_bot.domain.when import parse_when, split_when_message
from traam_bot.services.digests import trigger_for

DIGEST_FREQUENCIES = {"quotidien": "quotidien", "quotidienne": "quotidien", "jour": "quotidien",
                      "hebdo": "hebdo", "hebdomadaire": "hebdo", "semaine": "hebdo"}


def _next(ctx: Context, schedule: Schedule) -> str:
    if schedule.next_run is None:
        return "aucun envoi prévu"
    return f"prochain envoi : {format_datetime(schedule.next_run, ctx.services.settings.tz)}"


def _parse(ctx: Context, when: str) -> Trigger:
    try:
        trigger = parse_when(when, ctx.now, ctx.services.settings.tz)
    except WhenError as err:
        raise UsageError(str(err)) from None
    _check_interval(ctx, trigger)
    return trigger


def _check_interval(ctx: Context, trigger: Trigger) -> None:
    """limits.min_interval_minutes between two firings, for everyone but admins."""
    settings = ctx.services.settings
    if ctx.sender in settings.admins:
        return
    try:
        check_interval(trigger, settings.limits.min_interval_minutes, ctx.now, settings.tz)
    except LimitError as err:
        raise UsageError(str(err)) from None


# ------------------------------------------------------------------ !rappel
async def _rappel_add(ctx: Context) -> Reply:
    try:
        when, message = split_when_message(ctx.args)
    except WhenError as err:
        raise UsageError(str(err)) from None
    problem = text_error(message, "Message du rappel trop long",
                         "Raccourcissez-le, ou découpez-le en plusieurs rappels.")
    if problem is not None:
        raise UsageError(problem)
    when, every_day = split_opt_out(when)
    trigger = _parse(ctx, when)
    # the room's reminders as !rappel liste shows them (active, or paused while the bot is out)
    existing = await ctx.uow.schedules.find(kind="reminder", room_id=ctx.incoming.room_id)
    try:
        check_room_cap(len(existing), ctx.services.settings.limits.reminders_per_room,
                       ctx.prefix)
    except LimitError as err:
        raise Refusal(str(err)) from None
    may_ping = "@room" in message and await ctx.room.can_notify_room(ctx.sender)
    schedule = await ctx.services.schedules.add(
        ctx.uow, kind="reminder", room_id=ctx.incoming.room_id, owner=ctx.sender,
        message=message, trigger=trigger, now=ctx.now, may_ping_room=may_ping,
        skip_holidays=not every_day)
    doc = Doc().para("Rappel enregistré (", trigger.describe(ctx.services.settings.tz), ") : ",
                     I(message)).para(next_line(ctx, schedule, _next(ctx, schedule)))
    note = holiday_note(ctx, schedule)
    if note:
        doc.para(note)
    if "@room" in message and not may_ping:
        doc.para("« @room » ne préviendra pas tout le salon : vous n’en avez pas le droit ici.")
    return doc.reply(reaction="✅")


async def _rappel_list(ctx: Context) -> Reply:
    repo = ctx.uow.schedules
    if ctx.room.is_direct:
        reminders = await repo.find(kind="reminder", owner=ctx.sender)
        title = "Vos rappels :"
    else:
        reminders = await repo.find(kind="reminder", room_id=ctx.incoming.room_id)
        title = "Rappels de ce salon :"
    if not reminders:
        return text_reply(f"Aucun rappel. Pour en créer un : {ctx.prefix}rappel ajouter "
                          "chaque lundi à 9h : Réunion d’équipe")
    doc = Doc().para(title)
    for n, r in enumerate(reminders, start=1):
        state = (" — en pause : le bot n’est plus dans ce salon" if r.status == PAUSED
                 else f" — {_next(ctx, r)}")
        where = f" — salon {r.room_id}" if ctx.room.is_direct else ""
        if not r.skip_holidays and not r.trigger.is_one_off:
            where = " — même pendant les vacances" + where
        doc.item(B(f"{n}."), " ", I(r.message), f" ({r.trigger.describe(ctx.services.settings.tz)})"
                 f"{state}{where}")
    return doc.reply()


async def _rappel_delete(ctx: Context) -> Reply:
    arg = ctx.args
    reminders = await ctx.uow.schedules.find(kind="reminder",
                                                       room_id=ctx.incoming.room_id)
    if not (arg.isascii() and arg.isdigit() and len(arg) <= 6
            and 1 <= int(arg) <= len(reminders)):
        raise UsageError(f"Numéro de rappel attendu, entre 1 et {len(reminders)} "
                         f"(voir {ctx.prefix}rappel liste)." if reminders else
                         "Ce salon n’a aucun rappel.")
    target = reminders[int(arg) - 1]
    await ctx.services.schedules.cancel(ctx.uow, target)
    return text_reply(f"Rappel n° {arg} supprimé : ", I(target.message), reaction="✅")


# ----------------------------------------------------------------- !relance
def _linked_project(ctx: Context) -> Project:
    project = ctx.services.directory.project_for_room(ctx.incoming.room_id)
    if project is None:
        raise Refusal(f"Ce salon n’est lié à aucun projet : liez-le d’abord avec "
                      f"{ctx.prefix}lier <projet>.")
    return project


async def _relance_stop(ctx: Context) -> Reply:
    _linked_project(ctx)
    service = ctx.services.schedules
    existing = await ctx.uow.schedules.find(kind="prompt", room_id=ctx.incoming.room_id)
    for s in existing:
        await service.cancel(ctx.uow, s)
    return text_reply("Relances arrêtées dans ce salon." if existing
                      else "Aucune relance n’était programmée ici.", reaction="✅")


async def _relance_at(ctx: Context) -> Reply:
    project = _linked_project(ctx)
    service = ctx.services.schedules
    existing = await ctx.uow.schedules.find(kind="prompt", room_id=ctx.incoming.room_id)
    when, every_day = split_opt_out(ctx.args)
    trigger = _parse(ctx, when)
    for s in existing:
        await service.cancel(ctx.uow, s)
    schedule = await service.add(ctx.uow, kind="prompt", room_id=ctx.incoming.room_id,
                                 owner=ctx.sender, message="", trigger=trigger, now=ctx.now,
                                 skip_holidays=not every_day)
    doc = Doc().para("Relance programmée (", trigger.describe(ctx.services.settings.tz),
                     ") pour ", B(project.label), ".").para(
        next_line(ctx, schedule, _next(ctx, schedule)))
    note = holiday_note(ctx, schedule)
    if note:
        doc.para(note)
    return doc.para(
        "Chaque réponse à la relance (dans son fil ou en réponse) sera enregistrée comme "
        "point d’avancement.").reply(reaction="✅")


# ------------------------------------------------------------------ !digest
async def _digest_subscribe(ctx: Context) -> Reply:
    digests = ctx.services.digests
    freq = DIGEST_FREQUENCIES.get(fold(ctx.args) or "hebdo")
    if freq is None:
        raise UsageError("Fréquence attendue : quotidien ou hebdo.")
    _check_interval(ctx, trigger_for(freq))
    schedule = await digests.subscribe(ctx.uow, ctx.sender, freq, ctx.now)
    label = "quotidien (chaque jour à 8h)" if freq == "quotidien" else \
        "hebdomadaire (chaque lundi à 8h)"
    return text_reply(f"Abonnement au digest {label} enregistré ; {_next(ctx, schedule)}.",
                      reaction="✅")


async def _digest_unsubscribe(ctx: Context) -> Reply:
    digests = ctx.services.digests
    done = await digests.unsubscribe(ctx.uow, ctx.sender)
    return text_reply("Vous ne recevrez plus de digest." if done
                      else "Vous n’étiez pas abonné(e) au digest.", reaction="✅")


async def _digest_now(ctx: Context) -> Reply:
    digests = ctx.services.digests
    sent = await digests.send_now(ctx.uow, ctx.now)
    if not sent:
        return text_reply("Aucun référent abonné : aucun digest envoyé.")
    names = ", ".join(sent)
    return text_reply(f"Digest envoyé à {names}.", reaction="✅")


def register(registry: Registry) -> None:
    moderators = Permission.MODERATOR
    rappel = registry.group("rappel", aliases=("remind",))
    rappel.subcommand(
        "ajouter", aliases=("add",), usage="<quand> : <message>", permission=moderators,
        rooms_only=True, help="programme un rappel publié dans ce salon (les rappels réguliers "
                              "sautent les vacances scolaires et les jours fériés, sauf "
                              "« <quand> même pendant les vacances : … »)",
        examples=("rappel ajouter chaque lundi à 9h : Réunion d’équipe",
                  "rappel ajouter le 15/12/2027 à 14h : Dépôt des ressources"),
    )(_rappel_add)
    rappel.subcommand(
        "liste", aliases=("list",), permission=moderators,
        direct_permission=Permission.ALL, default_in_direct=True,
        help="les rappels de ce salon (en message direct : les vôtres, dans tous les salons)",
        examples=("rappel liste",),
    )(_rappel_list)
    rappel.subcommand(
        "suppr", aliases=("supprimer", "delete"), usage="<n>", permission=moderators,
        rooms_only=True, help="supprime le rappel n° <n> de la liste de ce salon",
        examples=("rappel suppr 1",),
    )(_rappel_delete)

    relance = registry.group("relance", aliases=("prompt",))
    relance.argument(
        usage="<quand>", permission=moderators, rooms_only=True,
        help="programme la question « Où en est l’équipe ? » dans ce salon lié ; chaque "
             "réponse devient un point d’avancement ; les vacances scolaires et les jours "
             "fériés sont sautés, sauf « <quand> même pendant les vacances »",
        examples=("relance chaque vendredi à 16h",
                  "relance chaque lundi à 9h même pendant les vacances"),
    )(_relance_at)
    relance.subcommand(
        "stop", aliases=("arrêt", "arrêter"), permission=moderators, rooms_only=True,
        help="arrête les relances de ce salon", examples=("relance stop",),
    )(_relance_stop)

    digest = registry.group("digest")
    referents = Permission.REFERENT
    digest.subcommand(
        "abonner", aliases=("subscribe",), usage="[quotidien|hebdo]", permission=referents,
        help="vous abonne au digest des mises à jour, par message direct (hebdo par défaut)",
        examples=("digest abonner hebdo",),
    )(_digest_subscribe)
    digest.subcommand(
        "désabonner", aliases=("désinscrire", "unsubscribe"), permission=referents,
        help="arrête vos digests", examples=("digest désabonner",),
    )(_digest_unsubscribe)
    digest.subcommand(
        "maintenant", aliases=("now",), permission=referents,
        help="envoie tout de suite le digest aux référents abonnés",
        examples=("digest maintenant",),
    )(_digest_now)
