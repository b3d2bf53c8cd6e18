"""!ressource: resources a project produced (Édubase fiches, M@gistère parcours, links),
added by the team, listed for everyone, deleted by their author or a moderator."""

from __future__ import annotations

from traam_bot.commands.directory import require_project
from traam_bot.commands.registry import Context, Refusal, Registry, UsageError, is_moderator
from traam_bot.domain.model import Project, Reply
from traam_bot.domain.render import B, Doc, I, text_reply
from traam_bot.domain.resources import (
    Resource,
    ResourceError,
    parse_resource,
    resources_section,
    split_dm_resource,
)

DM_USAGE = "<projet> : <lien> <titre>"


def _member_of(ctx: Context, project: Project) -> bool:
    services = ctx.services
    return ctx.sender in services.settings.admins or any(
        services.is_member(room, ctx.sender) for room in services.directory.rooms_of(project.id))


def _target(ctx: Context) -> tuple[Project, str]:
    """The project a resource is added to, and the "<lien> <titre>" part of the arguments."""
    linked = ctx.services.directory.project_for_room(ctx.incoming.room_id)
    if linked is not None:
        return linked, ctx.args
    if not ctx.room.is_direct:
        raise Refusal(f"Ce salon n’est lié à aucun projet. Un modérateur peut le lier avec "
                      f"{ctx.prefix}lier <projet>, ou écrivez-moi en message direct : "
                      f"{ctx.prefix}ressource ajouter {DM_USAGE}.")
    parts = split_dm_resource(ctx.args)
    if parts is None:
        raise UsageError(f"En message direct, indiquez le projet puis « : », le lien et le "
                         f"titre : {ctx.prefix}ressource ajouter {DM_USAGE}.")
    project = require_project(ctx, parts[0])
    if not _member_of(ctx, project):
        raise Refusal(f"Seuls les membres du salon du projet {project.label} peuvent y "
                      "ajouter une ressource.")
    return project, parts[1]


async def _add(ctx: Context) -> Reply:
    project, rest = _target(ctx)
    try:
        link, title, _kind = parse_resource(rest)
    except ResourceError as err:
        raise UsageError(str(err)) from None
    service = ctx.services.resources
    try:
        resource = await service.add(ctx.uow, project, ctx.incoming, link, title)
    except ResourceError as err:
        raise Refusal(str(err)) from None
    number = len(await service.of_project(ctx.uow, project.id))
    return Doc().para(f"Ressource n° {number} enregistrée pour ", B(project.label), " : ",
                      I(resource.title), f" ({resource.kind_label}).").reply(reaction="✅")


async def _list(ctx: Context) -> Reply:
    directory = ctx.services.directory
    tz = ctx.services.settings.tz
    project = (require_project(ctx, ctx.args) if ctx.args
               else directory.project_for_room(ctx.incoming.room_id))
    if project is not None:
        resources = await ctx.services.resources.of_project(ctx.uow, project.id)
        if not resources:
            return text_reply(f"Aucune ressource pour le projet {project.label}. Pour en "
                              f"ajouter une, dans le salon de l’équipe : {ctx.prefix}ressource "
                              "ajouter <lien> <titre>")
        return resources_section(Doc(), f"Ressources du projet {project.label} :", resources,
                                 tz, numbered=True).reply()
    projects = directory.projects
    grouped = await ctx.services.resources.by_project(ctx.uow, [p.id for p in projects])
    doc = Doc()
    for p in projects:
        resources_section(doc, f"{p.label} :", grouped[p.id], tz, numbered=True)
    if not doc:
        return text_reply("Aucune ressource enregistrée pour l’instant.")
    return Doc().para("Ressources des projets :").extend(doc).reply()


def _numbered(ctx: Context, arg: str, resources: list[Resource]) -> Resource:
    if not (arg.isascii() and arg.isdigit() and len(arg) <= 6
            and 1 <= int(arg) <= len(resources)):
        raise UsageError(f"Numéro de ressource attendu, entre 1 et {len(resources)} "
                         f"(voir {ctx.prefix}ressource liste)." if resources else
                         "Ce projet n’a aucune ressource.")
    return resources[int(arg) - 1]


def _delete_target(ctx: Context) -> tuple[Project, str]:
    """The project and the number: « <n> » in a linked room, « <projet> <n> » in a direct
    chat."""
    project = ctx.services.directory.project_for_room(ctx.incoming.room_id)
    if project is not None:
        return project, ctx.args
    if not ctx.room.is_direct:
        raise Refusal(f"Ce salon n’est lié à aucun projet : {ctx.prefix}ressource suppr "
                      "s’utilise dans le salon de l’équipe, ou en message direct : "
                      f"{ctx.prefix}ressource suppr <projet> <n>.")
    query, _sep, number = ctx.args.rpartition(" ")
    if not query.strip():
        raise UsageError(f"En message direct, indiquez le projet puis le numéro : "
                         f"{ctx.prefix}ressource suppr <projet> <n>.")
    return require_project(ctx, query), number


async def _delete(ctx: Context) -> Reply:
    project, number = _delete_target(ctx)
    service = ctx.services.resources
    target = _numbered(ctx, number, await service.of_project(ctx.uow, project.id))
    # in a direct chat, power levels say nothing about the project: author or admin only
    may_moderate = not ctx.room.is_direct and await is_moderator(ctx)
    if target.author != ctx.sender and ctx.sender not in ctx.services.settings.admins \
            and not may_moderate:
        raise Refusal(f"Seuls l’auteur de cette ressource ({target.author_name}) et les "
                      "modérateurs du salon peuvent la supprimer.")
    await service.delete(ctx.uow, target)
    return text_reply(f"Ressource n° {number} du projet {project.label} supprimée : ",
                      I(target.title), ".", reaction="✅")


def register(registry: Registry) -> None:
    group = registry.group("ressource", aliases=("resource",))
    group.subcommand(
        "ajouter", aliases=("add",), usage="<lien> <titre>",
        help="ajoute une ressource du projet de ce salon : fiche Édubase, parcours "
             f"M@gistère ou autre lien https (en message direct : {DM_USAGE})",
        examples=("ressource ajouter https://edubase.eduscol.education.fr/fiche/12345 "
                  "Séquence IA en 1re",),
    )(_add)
    group.subcommand(
        "liste", aliases=("list",), usage="[projet]", default_in_direct=True,
        help="les ressources d’un projet (par défaut : celui de ce salon ; sinon tous)",
        examples=("ressource liste", "ressource liste nsi"),
    )(_list)
    group.subcommand(
        "suppr", aliases=("supprimer", "delete"), usage="<n>",
        help="supprime la ressource n° <n> de la liste de ce salon (son auteur ou un "
             "modérateur ; en message direct : <projet> <n>)",
        examples=("ressource suppr 1", "ressource suppr nsi 2"),
    )(_delete)
