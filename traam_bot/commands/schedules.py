"""Scheduling commands: !rappel (reminders), !relance (progress prompts), !digest."""

from __future__ import annotations

from traam_bot.commands.registry import (
    Context,
    Permission,
    Refusal,
    Registry,
    UsageError,
    is_moderator,
)
from traam_bot.domain.model import Reply
from traam_bot.domain.render import B, Doc, I, text_reply
from traam_bot.domain.text import fold, format_datetime
from traam_bot.domain.triggers import WhenError
from traam_bot.domain.when import parse_when, split_when_message
from traam_bot.store.schedules_repo import PAUSED, Schedule

DIGEST_FREQUENCIES = {"quotidien": "quotidien", "quotidienne": "quotidien", "jour": "quotidien",
                      "hebdo": "hebdo", "hebdomadaire": "hebdo", "semaine": "hebdo"}


def _next(ctx: Context, schedule: Schedule) -> str:
    if schedule.next_run is None:
        return "aucun envoi prévu"
    return f"prochain envoi : {format_datetime(schedule.next_run, ctx.services.settings.tz)}"


async def _require_moderator(ctx: Context, command: str) -> None:
    if ctx.room.is_direct:
        raise Refusal(f"{ctx.prefix}{command} s’utilise dans le salon concerné, pas en "
                      "message direct.")
    if not await is_moderator(ctx):
        raise Refusal(f"Désolé, {ctx.prefix}{command} est réservé aux modérateurs du salon "
                      "et aux administrateurs.")


def _parse(ctx: Context, when: str):
    try:
        return parse_when(when, ctx.now, ctx.services.settings.tz)
    except WhenError as err:
        raise UsageError(str(err)) from None


# ------------------------------------------------------------------ !rappel
async def rappel(ctx: Context) -> Reply:
    sub, _, rest = ctx.args.partition(" ")
    sub = fold(sub)
    if sub == "liste" or (sub == "" and ctx.room.is_direct):
        return await _rappel_list(ctx)
    if sub == "ajouter":
        return await _rappel_add(ctx, rest.strip())
    if sub in ("suppr", "supprimer"):
        return await _rappel_delete(ctx, rest.strip())
    raise UsageError("Sous-commande attendue : ajouter, liste ou suppr.")


async def _rappel_add(ctx: Context, text: str) -> Reply:
    await _require_moderator(ctx, "rappel")
    try:
        when, message = split_when_message(text)
    except WhenError as err:
        raise UsageError(str(err)) from None
    trigger = _parse(ctx, when)
    may_ping = "@room" in message and await ctx.room.can_notify_room(ctx.sender)
    schedule = await ctx.services.schedules.add(
        kind="reminder", room_id=ctx.incoming.room_id, owner=ctx.sender, message=message,
        trigger=trigger, now=ctx.now, may_ping_room=may_ping)
    doc = Doc().para("Rappel enregistré (", trigger.describe(ctx.services.settings.tz), ") : ",
                     I(message)).para(_next(ctx, schedule).capitalize() + ".")
    if "@room" in message and not may_ping:
        doc.para("« @room » ne préviendra pas tout le salon : vous n’en avez pas le droit ici.")
    return doc.reply(reaction="✅")


async def _rappel_list(ctx: Context) -> Reply:
    repo = ctx.services.schedules.repo
    if ctx.room.is_direct:
        reminders = await repo.find(kind="reminder", owner=ctx.sender)
        title = "Vos rappels :"
    else:
        await _require_moderator(ctx, "rappel")
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
        doc.item(B(f"{n}."), " ", I(r.message), f" ({r.trigger.describe(ctx.services.settings.tz)})"
                 f"{state}{where}")
    return doc.reply()


async def _rappel_delete(ctx: Context, arg: str) -> Reply:
    await _require_moderator(ctx, "rappel")
    reminders = await ctx.services.schedules.repo.find(kind="reminder",
                                                       room_id=ctx.incoming.room_id)
    if not arg.isdigit() or not 1 <= int(arg) <= len(reminders):
        raise UsageError(f"Numéro de rappel attendu, entre 1 et {len(reminders)} "
                         f"(voir {ctx.prefix}rappel liste)." if reminders else
                         "Ce salon n’a aucun rappel.")
    target = reminders[int(arg) - 1]
    await ctx.services.schedules.cancel(target)
    return text_reply(f"Rappel n° {arg} supprimé : ", I(target.message), reaction="✅")


# ----------------------------------------------------------------- !relance
async def relance(ctx: Context) -> Reply:
    await _require_moderator(ctx, "relance")
    project = ctx.services.directory.project_for_room(ctx.incoming.room_id)
    if project is None:
        raise Refusal(f"Ce salon n’est lié à aucun projet : liez-le d’abord avec "
                      f"{ctx.prefix}lier <projet>.")
    if not ctx.args:
        raise UsageError("Indiquez quand relancer l’équipe.")
    service = ctx.services.schedules
    existing = await service.repo.find(kind="prompt", room_id=ctx.incoming.room_id)
    if fold(ctx.args) in ("stop", "arret", "arreter"):
        for s in existing:
            await service.cancel(s)
        return text_reply("Relances arrêtées dans ce salon." if existing
                          else "Aucune relance n’était programmée ici.", reaction="✅")
    trigger = _parse(ctx, ctx.args)
    for s in existing:
        await service.cancel(s)
    schedule = await service.add(kind="prompt", room_id=ctx.incoming.room_id, owner=ctx.sender,
                                 message="", trigger=trigger, now=ctx.now)
    return Doc().para("Relance programmée (", trigger.describe(ctx.services.settings.tz),
                      ") pour ", B(project.label), ".").para(
        _next(ctx, schedule).capitalize() + ".").para(
        "Chaque réponse à la relance (dans son fil ou en réponse) sera enregistrée comme "
        "point d’avancement.").reply(reaction="✅")


# ------------------------------------------------------------------ !digest
async def digest(ctx: Context) -> Reply:
    sub, _, rest = ctx.args.partition(" ")
    sub, digests = fold(sub), ctx.services.digests
    if sub == "abonner":
        freq = DIGEST_FREQUENCIES.get(fold(rest.strip()) or "hebdo")
        if freq is None:
            raise UsageError("Fréquence attendue : quotidien ou hebdo.")
        schedule = await digests.subscribe(ctx.sender, freq, ctx.now)
        label = "quotidien (chaque jour à 8h)" if freq == "quotidien" else \
            "hebdomadaire (chaque lundi à 8h)"
        return text_reply(f"Abonnement au digest {label} enregistré ; {_next(ctx, schedule)}.",
                          reaction="✅")
    if sub in ("desabonner", "desinscrire"):
        done = await digests.unsubscribe(ctx.sender)
        return text_reply("Vous ne recevrez plus de digest." if done
                          else "Vous n’étiez pas abonné(e) au digest.", reaction="✅")
    if sub == "maintenant":
        sent = await digests.send_now(ctx.now)
        if not sent:
            return text_reply("Aucun référent abonné : aucun digest envoyé.")
        names = ", ".join(sent)
        return text_reply(f"Digest envoyé à {names}.", reaction="✅")
    raise UsageError("Sous-commande attendue : abonner, desabonner ou maintenant.")


def register(registry: Registry) -> None:
    registry.command(
        "rappel", aliases=("remind",), usage="ajouter <quand> : <message> | liste | suppr <n>",
        help="rappels publiés dans ce salon (modérateurs)",
        examples=("rappel ajouter chaque lundi à 9h : Réunion d’équipe",
                  "rappel ajouter le 15/12/2026 à 14h : Dépôt des ressources",
                  "rappel liste", "rappel suppr 1"),
    )(rappel)
    registry.command(
        "relance", aliases=("prompt",), usage="<quand> | stop", rooms_only=True,
        help="programme la question « Où en est l’équipe ? » dans ce salon lié (modérateurs)",
        examples=("relance chaque vendredi à 16h", "relance stop"),
    )(relance)
    registry.command(
        "digest", usage="abonner [quotidien|hebdo] | desabonner | maintenant",
        permission=Permission.REFERENT,
        help="digests des mises à jour par message direct (référents)",
        examples=("digest abonner hebdo", "digest maintenant"),
    )(digest)

