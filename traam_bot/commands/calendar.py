"""!calendrier (programme milestones and coming school holidays), and what the schedule
confirmations say about holidays."""

from __future__ import annotations

from datetime import timedelta

from traam_bot.commands.registry import Context, Registry
from traam_bot.domain.calendar import day_label, skip_note
from traam_bot.domain.model import Reply
from traam_bot.domain.occurrences import next_occurrence
from traam_bot.domain.records import Schedule
from traam_bot.domain.render import B, Doc, I
from traam_bot.domain.text import format_datetime

HOLIDAYS_AHEAD = timedelta(days=365)  # !calendrier lists the school holidays of a year


def holiday_note(ctx: Context, schedule: Schedule) -> str:
    """What the confirmation adds about holidays (« » when holidays are not skipped)."""
    calendar = ctx.services.calendar
    if not calendar.skipping:
        return ""
    zone = calendar.zone_for_room(schedule.room_id)
    if schedule.trigger.is_one_off:
        if schedule.next_run is None:
            return ""
        day = schedule.next_run.astimezone(ctx.services.settings.tz).date()
        holiday = calendar.programme.holiday_on(day, zone)
        if holiday is None or not schedule.skip_holidays:
            return ""
        return (f"Cette date tombe pendant un congé ({holiday}) : le rappel sera tout de même "
                "envoyé ce jour-là, puisque vous l’avez choisie.")
    if not schedule.skip_holidays:
        return "Envoi même pendant les vacances scolaires et les jours fériés."
    return _skipped_first(ctx, schedule, zone)


def _skipped_first(ctx: Context, schedule: Schedule, zone: str | None) -> str:
    """« Le samedi 19 décembre 2026 à 9h00 est sauté (vacances scolaires, zone A). » when the
    rule's very next occurrence falls in a holiday (next_line already says what is skipped)."""
    tz = ctx.services.settings.tz
    natural = next_occurrence(schedule.trigger, ctx.now, tz)
    if natural is None or schedule.next_run is None or natural >= schedule.next_run:
        return ""
    reason = ctx.services.calendar.programme.holiday_on(natural.astimezone(tz).date(), zone)
    return f"Le {format_datetime(natural, tz)} est sauté ({reason})." if reason else ""


def next_line(ctx: Context, schedule: Schedule, next_text: str) -> str:
    """« Prochain envoi : … (hors vacances scolaires, zone A, et jours fériés). »"""
    calendar = ctx.services.calendar
    if (schedule.trigger.is_one_off or not schedule.skip_holidays or not calendar.skipping
            or schedule.next_run is None):
        return next_text.capitalize() + "."
    zone = calendar.zone_for_room(schedule.room_id)
    return f"{next_text.capitalize()} ({skip_note(zone)})."


async def _calendrier(ctx: Context) -> Reply:
    calendar = ctx.services.calendar
    tz = ctx.services.settings.tz
    today = ctx.now.astimezone(tz).date()
    room_id = None if ctx.room.is_direct else ctx.incoming.room_id
    doc = Doc().para(B("Calendrier TraAM"))
    milestones = calendar.coming_milestones(today, calendar.academies_for_room(room_id))
    if milestones:
        doc.para(B("Jalons à venir"))
        for m in milestones:
            doc.item(B(day_label(m.day)), " : ", m.title,
                     I(" (date indicative)") if m.indicative else "")
    else:
        doc.para("Aucun jalon à venir dans le calendrier du programme.")
    zone = calendar.zone_for_room(room_id)
    zones = [zone] if zone is not None else calendar.zones()
    for z in zones:
        periods = calendar.periods(today, today + HOLIDAYS_AHEAD, z)
        doc.para(B(f"Vacances scolaires, zone {z}"))
        if not periods:
            doc.item("aucune période connue dans les douze prochains mois")
        for p in periods:
            span = (f"en cours, jusqu’au {day_label(p.last)}" if p.first <= today
                    else f"du {day_label(p.first)} au {day_label(p.last)}")
            doc.item(f"{p.name} : {span}")
    if calendar.skipping:
        doc.para("Les relances et les rappels réguliers sautent ces vacances et les jours "
                 "fériés, sauf s’ils ont été programmés « même pendant les vacances ».")
    return doc.reply()


def register(registry: Registry) -> None:
    registry.command("calendrier", aliases=("calendar",),
                     help="les prochains jalons du programme et les vacances scolaires",
                     examples=("calendrier",))(_calendrier)
