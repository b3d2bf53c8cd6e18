"""!mesdonnees and !oublier: a person's own data, sent to them by direct message, and
erased after their explicit confirmation."""

from __future__ import annotations

from dataclasses import replace

from traam_bot.commands.registry import Context, Registry, UsageError
from traam_bot.domain.model import Attachment, Reply
from traam_bot.domain.privacy import CONFIRM_WORD, export_json
from traam_bot.domain.privacy_replies import (
    EXPORT_FILENAME,
    EXPORT_MIMETYPE,
    forget_question,
    forgotten,
    mydata_summary,
    nothing_to_confirm,
    sent_by_direct_message,
)
from traam_bot.domain.text import fold


def _names(ctx: Context) -> tuple[str, ...]:
    """Their display name now (stored rows add the ones they had before)."""
    name = ctx.incoming.sender_name
    return (name,) if name and name != ctx.sender else ()


def _label(ctx: Context, project_id: str) -> str:
    project = ctx.services.directory.project(project_id)
    return project.label if project is not None else project_id


ROLES = {"admins": "administrateurs", "referents": "référents"}


def configured_as(ctx: Context) -> tuple[str, ...]:
    """Where the configuration names them (the bot cannot forget those lists)."""
    return tuple(ROLES[key] for key in ctx.services.settings.listed_in(ctx.sender))


async def mydata(ctx: Context) -> Reply:
    services, now = ctx.services, ctx.now
    data = await services.privacy.collect(ctx.uow, ctx.sender, _names(ctx))
    summary = mydata_summary(data, services.settings.tz, lambda p: _label(ctx, p), ctx.prefix)
    export = export_json(data, now, services.settings.tz, lambda p: _label(ctx, p),
                         services.settings.retention.years)
    reply = replace(summary, attachments=(Attachment(EXPORT_FILENAME, EXPORT_MIMETYPE,
                                                     export),))
    if ctx.room.is_direct:  # here is the place: the answer itself, then the file
        return reply
    # never in a shared room: in the direct chat, opened by the sender if need be
    await services.outbox.post(ctx.uow, reply, f"mydata:{ctx.incoming.event_id}", now,
                               user_id=ctx.sender, msgtype="m.notice")
    return sent_by_direct_message()


async def forget(ctx: Context) -> Reply:
    services = ctx.services
    if not ctx.args:
        data = await services.privacy.ask_forget(ctx.uow, ctx.sender, _names(ctx), ctx.now)
        return forget_question(data, ctx.prefix)
    if fold(ctx.args) != CONFIRM_WORD:
        raise UsageError(f"Pour confirmer l’effacement, écrivez exactement "
                         f"{ctx.prefix}oublier {CONFIRM_WORD} (après {ctx.prefix}oublier).")
    erasure = await services.privacy.confirm_forget(ctx.uow, ctx.sender, _names(ctx), ctx.now)
    if erasure is None:
        return nothing_to_confirm(ctx.prefix)
    # the directory file brings a contact's Matrix id back at its next import
    listed = ("annuaire des contacts",) if erasure.contacts else ()
    return forgotten(erasure, (*configured_as(ctx), *listed))


def register(registry: Registry) -> None:
    registry.command(
        "mesdonnees", aliases=("mydata",),
        help="vous envoie en message direct tout ce que le bot conserve à votre sujet "
             "(résumé et fichier JSON)",
        examples=("mesdonnees",))(mydata)
    registry.command(
        "oublier", aliases=("forget",), usage=f"[{CONFIRM_WORD}]",
        help="efface vos données, après confirmation : vos rappels, relances et abonnements "
             "supprimés, vos points d’étape et ressources anonymisés",
        examples=("oublier", f"oublier {CONFIRM_WORD}"))(forget)
