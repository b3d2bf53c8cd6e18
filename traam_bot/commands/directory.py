"""Directory commands: !aide, !projets, !projet, !contacts, and free-text questions."""

from __future__ import annotations

from collections.abc import Sequence

from traam_bot.commands.privacy_notice import notice
from traam_bot.commands.registry import Context, Refusal, Registry, UsageError, help_reply
from traam_bot.domain.limits import (
    ECHO_CHARS,
    MAX_QUESTION_CHARS,
    LimitError,
    search_words,
    thousands,
)
from traam_bot.domain.model import Contact, Project, Reply
from traam_bot.domain.programme import missing_doc, programme_doc, regional_summary
from traam_bot.domain.questions import (
    GREETINGS,
    PRIVACY,
    PROGRAMME,
    THANKS,
    classify,
    question_words,
)
from traam_bot.domain.render import B, Code, Doc, I, text_reply
from traam_bot.domain.resources import resources_section
from traam_bot.domain.search import ProjectIndex, match_contacts
from traam_bot.domain.text import academie_label, plural, shorten
from traam_bot.domain.years import YearError, split_year, year_in_text, years_label

ABOUT = (
    "Les TraAM (travaux académiques mutualisés) sont des projets d’enseignants, pilotés par "
    "la DNE et l’IGÉSR, pour expérimenter en classe des usages pédagogiques du numérique et "
    "les mutualiser entre académies. Ils produisent des scénarios pédagogiques indexés sur "
    "Édubase et des parcours d’autoformation M@gistère. Au niveau national : environ "
    "700 enseignants, 18 disciplines et plus de 120 équipes."
)
RECENT_RESOURCES = 5  # shown by !projet; !ressource liste shows them all


def register(registry: Registry) -> None:
    @registry.command("aide", aliases=("help",), help="affiche cette aide")
    async def aide(ctx: Context) -> Reply:
        return await help_reply(registry, ctx)

    @registry.command("projets", aliases=("projects",), usage="[filtres…]",
                      help="liste les projets (filtres : académie, discipline, mots du thème, "
                           "année scolaire)",
                      examples=("projets dijon", "projets IA", "projets 2025-2026"))
    async def projets(ctx: Context) -> Reply:
        year, filters = search_year(ctx, search_terms(ctx.args))
        index = ctx.services.directory.index_for(year)
        return projects_reply(index.match(filters), " ".join(filters), index, ctx.prefix,
                              year_note(ctx, year))

    @registry.command("projet", aliases=("project",), usage="<id ou mots> [année]",
                      help="fiche d’un projet et ses dernières mises à jour",
                      examples=("projet besancon-nsi-egalite", "projet lettres"))
    async def projet(ctx: Context) -> Reply:
        if not ctx.args:
            raise UsageError("Précisez le projet voulu.")
        return await project_card(ctx, require_project(ctx, ctx.args))

    @registry.command("contacts", aliases=("contact",), usage="[mots]",
                      help="les contacts de la DRANE (nom, rôle, courriel)",
                      examples=("contacts référente",))
    async def contacts(ctx: Context) -> Reply:
        found = match_contacts(ctx.services.directory.contacts, search_terms(ctx.args))
        if not found:
            return text_reply(f"Aucun contact ne correspond à « {_echo(ctx.args)} ». "
                              f"Tapez {ctx.prefix}contacts pour les voir tous.")
        return contacts_doc(found).reply()


def search_terms(args: str) -> list[str]:
    """The distinct words of a search; a usage error past MAX_SEARCH_WORDS."""
    try:
        return search_words(args)
    except LimitError as err:
        raise UsageError(str(err)) from None


def _echo(text: str) -> str:
    """User text quoted back in an answer: one line, shortened."""
    return shorten(" ".join(text.split()), ECHO_CHARS)


GREETING_REPLY = ("Bonjour ! Je suis le bot des TraAM : posez-moi une question sur les projets "
                  "ou les contacts de la DRANE, ou tapez {prefix}aide pour voir les commandes.")
THANKS_REPLY = "Avec plaisir ! N’hésitez pas si vous avez une autre question."


def named_year(ctx: Context, tokens: list[str]) -> tuple[str | None, list[str]]:
    """The school year named among the words, if any, and the other words; a usage error
    for a malformed year, a refusal for a year the directory does not know."""
    try:
        year, rest = split_year(tokens)
    except YearError as err:
        raise UsageError(str(err)) from None
    directory = ctx.services.directory
    if year is not None and year not in directory.years:
        raise Refusal(f"Aucun projet pour l’année scolaire {year}. Années connues : "
                      f"{years_label(directory.years)}.")
    return year, rest


def search_year(ctx: Context, tokens: list[str]) -> tuple[str | None, list[str]]:
    """As `named_year`, the current year when none is named."""
    year, rest = named_year(ctx, tokens)
    return year or ctx.services.directory.current_year, rest


def year_note(ctx: Context, year: str | None) -> str:
    """" en 2024-2025 (année archivée)" for a year other than the current one."""
    if year is None or year == ctx.services.directory.current_year:
        return ""
    return f" en {year} (année archivée)"


def projects_reply(projects: Sequence[Project], query: str, index: ProjectIndex,
                   prefix: str = "!", note: str = "", noun: str = "projet") -> Reply:
    if not projects and note:
        return text_reply(f"Aucun projet{note} ne correspond à « {_echo(query)} »."
                          if query else f"Aucun projet{note}.")
    if not projects:
        suggestion = index.suggest(query) if query else None
        return not_found(query, suggestion, prefix).reply()
    head = plural(len(projects), noun) + note
    doc = Doc().para(f"{head} " + (f"pour « {_echo(query)} » :" if query else ":"))
    return doc.extend(_listing(projects)).reply()


def _listing(projects: Sequence[Project]) -> Doc:
    doc = Doc()
    for p in projects:
        doc.item(B(p.discipline), f" — {academie_label(p.academie)} — « {p.theme} » — "
                 f"{p.phase} (", Code(p.id), ")")
    return doc


def require_project(ctx: Context, query: str, year: str | None = None) -> Project:
    """The project `query` names (id or words, and maybe a school year, else `year`, else
    the current one); otherwise a Refusal showing `not_found`."""
    named, tokens = named_year(ctx, search_terms(query))
    year = named or year or ctx.services.directory.current_year
    index = ctx.services.directory.index_for(year)
    query = " ".join(tokens)
    if not query:
        raise UsageError("Précisez le projet voulu.")
    project = index.find(query)
    if project is None:
        raise Refusal(not_found(query, index.suggest(query), ctx.prefix))
    return project


def not_found(query: str, suggestion: Project | None, prefix: str) -> Doc:
    """The one reply for an unknown project, with the closest project when there is one."""
    doc = Doc().para(f"Aucun projet ne correspond à « {_echo(query)} ».")
    if suggestion is not None:
        doc.para("Vouliez-vous dire ", B(f"{suggestion.discipline} ({suggestion.academie})"),
                 " ? ", Code(f"{prefix}projet {suggestion.id}"))
    else:
        doc.para(f"Tapez {prefix}projets pour voir la liste complète.")
    return doc


async def project_card(ctx: Context, project: Project) -> Reply:
    directory = ctx.services.directory
    rooms = ([ctx.services.room_label(r) for r in directory.rooms_of(project.id)]
             or ([project.room] if project.room else []))
    doc = Doc().para(B(f"{project.discipline} — {academie_label(project.academie)}"),
                     " (", Code(project.id), ")")
    doc.item("Thème : ", I(project.theme))
    doc.item(f"Phase : {project.phase} ({project.year})")
    earlier = [e for e in directory.entries(project.id) if e.year != project.year]
    if earlier:
        doc.item("Autres années : " + ", ".join(f"{e.year} ({e.phase})" for e in earlier))
    doc.item("Salon : " + (", ".join(rooms) if rooms else "aucun salon lié"))
    doc.extend(await ctx.services.updates.recent_doc(ctx.uow, project))
    resources = await ctx.services.resources.of_project(ctx.uow, project.id)
    resources_section(doc, f"Ressources ({len(resources)}) :", resources[-RECENT_RESOURCES:],
                      ctx.services.settings.tz)
    if len(resources) > RECENT_RESOURCES:
        doc.para(I(f"Les {RECENT_RESOURCES} plus récentes ; toutes : "),
                 Code(f"{ctx.prefix}ressource liste {project.id}"))
    return doc.reply()


def contacts_doc(contacts: Sequence[Contact]) -> Doc:
    if len(contacts) == 1:  # a direct answer to "qui est la référente ?"
        c = contacts[0]
        return Doc().para(f"{c.role} : ", B(c.name), f" — {c.email}")
    doc = Doc().para("Vos contacts à la DRANE :")
    for c in contacts:
        doc.item(B(c.name), f" — {c.role} — {c.email}")
    return doc


def about_doc(prefix: str) -> Doc:
    return Doc().para(ABOUT).para(
        f"Tapez {prefix}projets pour voir les projets de la région, "
        f"{prefix}contacts pour savoir qui contacter.")


def capabilities(prefix: str) -> Reply:
    return Doc().para(
        "Je n’ai pas compris votre question. Je peux vous renseigner sur les projets TraAM "
        "et les contacts de la DRANE, par exemple : « Quels sont les projets de l’académie "
        "de Dijon ? », « Qui est la référente TraAM ? » ou « C’est quoi les TraAM ? ». "
        f"Tapez {prefix}aide pour la liste des commandes.").reply()


def answer_question(ctx: Context) -> Reply:
    """Free text in a direct chat or with a mention: projects, contacts, about, or what
    the bot can answer."""
    directory = ctx.services.directory
    if len(ctx.incoming.body) > MAX_QUESTION_CHARS:
        return text_reply(
            f"Votre message est trop long pour que je le comprenne : "
            f"{thousands(MAX_QUESTION_CHARS)} caractères au plus pour une question. Posez-la "
            "en quelques mots, par exemple : « Quels sont les projets de l’académie de "
            "Dijon ? »")
    year, body = year_in_text(ctx.incoming.body)  # "les projets de 2024-2025 ?"
    known = year in directory.years
    index = directory.index_for(year) if known else directory.index
    intent = classify(body, index, directory.contacts)
    if intent.kind == GREETINGS:
        return text_reply(GREETING_REPLY.format(prefix=ctx.prefix))
    if intent.kind == THANKS:
        return text_reply(THANKS_REPLY)
    if intent.kind == PRIVACY:
        return notice(ctx)
    if intent.kind == PROGRAMME:
        return programme_doc(intent.topic, index.projects, directory.contacts,
                             ctx.prefix).reply()
    if intent.kind == "projects":
        if year is not None and not known:
            return text_reply(f"Aucun projet pour l’année scolaire {year}. Années connues : "
                              f"{years_label(directory.years)}.")
        if intent.missing:
            return missing_doc(intent.missing, index.projects, ctx.prefix).reply()
        query = " ".join(intent.filters)
        if intent.unmatched and not intent.filters:
            return not_found(" ".join(intent.unmatched), None, ctx.prefix).reply()
        found = index.match_any_of(list(intent.filters))
        note = year_note(ctx, year)
        if not intent.count:
            return projects_reply(found, query, index, ctx.prefix, note)
        noun = "équipe" if any(w.startswith("equip") for w in question_words(body)) else "projet"
        if query or note or not found:
            return projects_reply(found, query, index, ctx.prefix, note, noun)
        return Doc().para(regional_summary(found)).extend(_listing(found)).reply()
    if intent.kind == "contacts":
        people = match_contacts(directory.contacts, list(intent.filters)) or directory.contacts
        return contacts_doc(people).reply()
    if intent.kind == "about":
        return about_doc(ctx.prefix).reply()
    return capabilities(ctx.prefix)
