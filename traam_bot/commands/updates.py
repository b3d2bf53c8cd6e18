"""Team commands: !point records an update, !bilan summarises, !lier links a room."""

from __future__ import annotations

from traam_bot.commands.directory import named_year, require_project, search_terms
from traam_bot.commands.registry import Context, Permission, Refusal, Registry, UsageError
from traam_bot.domain.model import Project, Reply
from traam_bot.domain.render import B, Code, Doc, text_reply
from traam_bot.domain.text import academie_label
from traam_bot.domain.updates import (
    POINT_NAMES,
    UpdateTextError,
    check_update_text,
    parse_bilan_args,
    split_dm_point,
)
from traam_bot.domain.years import years_label


def _label(p: Project) -> str:
    return p.label


def _dm_target(ctx: Context) -> tuple[Project, str]:
    parts = split_dm_point(ctx.args)
    if parts is None:
        raise UsageError("En message direct, indiquez le projet puis « : » et le texte.")
    project = require_project(ctx, parts[0])
    services = ctx.services
    rooms = services.directory.rooms_of(project.id)
    if ctx.sender not in services.settings.admins and not any(
            services.is_member(room, ctx.sender) for room in rooms):
        raise Refusal(f"Seuls les membres du salon du projet {_label(project)} peuvent y "
                      "ajouter un point.")
    return project, parts[1]


async def point(ctx: Context) -> Reply:
    linked = ctx.services.directory.project_for_room(ctx.incoming.room_id)
    if linked is not None:
        project, text = linked, ctx.args
    elif ctx.room.is_direct:
        project, text = _dm_target(ctx)
    else:
        raise Refusal(f"Ce salon n’est lié à aucun projet. Un modérateur peut le lier avec "
                      f"{ctx.prefix}lier <projet>, ou écrivez-moi en message direct : "
                      f"{ctx.prefix}point <projet> : <texte>.")
    try:
        text = check_update_text(text, ctx.prefix)
    except UpdateTextError as err:
        raise UsageError(str(err)) from None
    update, _created = await ctx.services.updates.record(ctx.uow, project, ctx.incoming, text)
    doc = Doc().para(f"Mise à jour n° {update.number} enregistrée pour ", B(_label(project)),
                     ". Merci !")
    if update.has_blocker:
        doc.para("Le blocage ou besoin signalé sera mis en avant dans le prochain digest.")
    return doc.reply(reaction="✅")


async def prompt_answer(ctx: Context, project: Project) -> Reply | None:
    """A member's answer to a progress prompt is recorded as an update, acknowledged with
    ✅ alone (❌ and the reason when it cannot be); None for a non-member."""
    if not ctx.room.is_member(ctx.sender):
        return None
    try:
        text = check_update_text(ctx.incoming.body, ctx.prefix)
    except UpdateTextError as err:
        return text_reply(str(err), reaction="❌")
    await ctx.services.updates.record(ctx.uow, project, ctx.incoming, text)
    return Reply(plain="", html="", reaction="✅")


async def bilan(ctx: Context) -> Reply:
    try:
        args = parse_bilan_args(ctx.args, ctx.services.settings.tz)
    except UpdateTextError as err:
        raise UsageError(str(err)) from None
    directory = ctx.services.directory
    named, words = named_year(ctx, search_terms(args.project_query))
    linked = directory.project_for_room(ctx.incoming.room_id)
    if words:
        projects = [require_project(ctx, " ".join(words), named)]
    elif linked is not None:
        projects = [_in_year(ctx, linked, named)]
    else:
        projects = [p for p in directory.projects_of(named or directory.current_year or "")
                    if not p.archived]
    year = projects[0].year if len(projects) == 1 else (named or directory.current_year)
    years = {p.id: directory.years_of(p.id) for p in projects}
    doc = await ctx.services.updates.bilan(ctx.uow, projects, args.since, year, years)
    return doc.reply()


def _in_year(ctx: Context, project: Project, year: str | None) -> Project:
    """The room's project as listed in `year` (default: its current or newest entry)."""
    if year is None or year == project.year:
        return project
    directory = ctx.services.directory
    entry = next((e for e in directory.entries(project.id) if e.year == year), None)
    if entry is None:
        raise Refusal(f"Le projet {_label(project)} n’est pas inscrit en {year} (années : "
                      f"{years_label(directory.years_of(project.id))}).")
    return entry


async def lier(ctx: Context) -> Reply:
    if ctx.room.is_direct:
        raise Refusal(f"{ctx.prefix}lier s’utilise dans le salon de l’équipe, pas en message "
                      "direct.")
    if not ctx.args:
        raise UsageError("Précisez le projet à lier à ce salon.")
    project = require_project(ctx, ctx.args)
    directory = ctx.services.directory
    room_id = ctx.incoming.room_id
    label = ctx.services.room_label(room_id)
    previous = await directory.link(ctx.uow, room_id, project.id, ctx.sender, ctx.now,
                                    label if label != room_id else None)
    if previous == project.id:
        return text_reply("Ce salon est déjà lié au projet ", B(_label(project)), ".")
    doc = Doc()
    if previous is not None:
        old = directory.project(previous)
        doc.para("Ce salon était lié au projet ", B(_label(old) if old else previous), ".")
    doc.para("Ce salon est maintenant lié au projet ", B(project.discipline), " (",
             f"{academie_label(project.academie)}, ", Code(project.id),
             f"). Les membres peuvent y écrire {ctx.prefix}point <texte>.")
    return doc.reply(reaction="✅")


def register(registry: Registry) -> None:
    registry.command(
        POINT_NAMES[0], aliases=POINT_NAMES[1:], usage="<texte>",
        help="enregistre un point d’avancement (en message direct : "
             "!point <projet> : <texte>)",
        examples=("point Fait : séance 2 en classe", "point nsi : séance 2 réalisée"),
    )(point)
    registry.command(
        "bilan", aliases=("summary",), usage="[projet] [année] [depuis JJ/MM/AAAA]",
        help="les mises à jour par projet sur la période (par défaut, l’année en cours)",
        examples=("bilan", "bilan nsi depuis 01/12/2025", "bilan 2025-2026"),
    )(bilan)
    registry.command(
        "lier", aliases=("link",), usage="<projet>", permission=Permission.MODERATOR,
        rooms_only=True,
        help="lie ce salon à un projet", examples=("lier besancon-nsi-egalite",),
    )(lier)
