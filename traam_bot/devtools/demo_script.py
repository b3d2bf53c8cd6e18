"""The demo's scripted conversation: who says what, in which room, and what the bot must
answer (`traam-bot demo` plays it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from traam_bot.config.holidays import FrenchHolidays
from traam_bot.devtools.sandbox import BOT, COORDINATOR, MEMBER, REFERENT

# Step kinds.
OPEN_DM = "ouvrir-dm"        # `who` opens an encrypted direct chat with the bot
CREATE_ROOM = "creer-salon"  # `who` creates room `what`, inviting `invite`
JOIN = "rejoindre"           # `who` accepts the invite to `where`
SEND = "envoyer"             # `who` sends `what`
MENTION = "mentionner"       # `who` sends `what`, mentioning the bot
REPLY_IN_THREAD = "fil"      # `who` answers in the thread of event `target`
EDIT = "modifier"            # `who` edits event `target` into `what`
REDACT = "supprimer"         # `who` deletes event `target`
WAIT_DM = "attendre-dm"      # `who` waits for the bot to open a direct chat `where` and
                             # speak (up to a message showing `what`, when given)
WAIT_POST = "attendre"       # `who` waits for a bot message containing `what` in `where`
EXPORT = "export"            # print the year's bilan as `traam-bot export --format md` would

@dataclass(frozen=True)
class Step:
    """One line of the script; `where` names a room, `label`/`target` link steps together."""

    who: str
    where: str
    what: str = ""
    kind: str = SEND
    expect: bool = True  # a bot answer is expected (False: silence is the right answer)
    label: str | None = None
    target: str | None = None
    invite: tuple[str, ...] = ()


def holiday_prompt_when(today: date, zone: str = "A") -> str:
    """A `<quand>` whose next occurrence, left alone, would fall in the zone's next school
    holidays (so the bot's confirmation shows it skipped), computed from the bot's own
    calendar: the demo runs on the real date. Within 4 weeks of the holidays, monthly on
    that day; further away, yearly on that day (a cron)."""
    calendar = FrenchHolidays()
    day = today + timedelta(days=1)
    while not calendar.school_holiday(day, zone) and day < today + timedelta(days=400):
        day += timedelta(days=1)
    if (day - today).days < 28:
        return f"chaque {day.day} du mois à 9h"
    return f'cron "0 9 {day.day} {day.month} *"'


def _dm(what: str, expect: bool = True) -> Step:
    return Step(COORDINATOR, "dm", what, expect=expect)


SCENARIO: tuple[Step, ...] = (
    Step(COORDINATOR, "dm", kind=OPEN_DM),
    _dm("!aide"),
    _dm("!projets"),
    _dm("!projets dijon technologie"),
    _dm("!projet lettres"),
    _dm("!projet xyzzy"),
    _dm("!contacts"),
    _dm("!foo"),
    _dm("Bonjour, quels sont les projets de l'académie de Dijon ?"),
    _dm("Qui est la référente TraAM ?"),
    _dm("C'est quoi les TraAM ?"),
    _dm("Quelle heure est-il ?"),
    _dm("!confidentialite"),
    _dm("Que faites-vous de mes données ?"),
    Step(COORDINATOR, "nsi", "TraAM NSI", kind=CREATE_ROOM, invite=(MEMBER, BOT)),
    Step(MEMBER, "nsi", kind=JOIN),
    Step(MEMBER, "nsi", "bonjour tout le monde", expect=False),
    Step(MEMBER, "nsi", "quels sont les projets en NSI ?", kind=MENTION),
    Step(MEMBER, "nsi", "!lier nsi"),
    Step(COORDINATOR, "nsi", "!lier nsi"),
    Step(MEMBER, "nsi", "!point Fait : séance 1 sur l’égalité filles-garçons en 1re\n"
                        "Blocage : pas de salle informatique libre le jeudi", label="p1"),
    Step(MEMBER, "nsi", "!point Fait : séances 1 et 2 sur l’égalité filles-garçons en 1re\n"
                        "Blocage : pas de salle informatique libre le jeudi",
         kind=EDIT, target="p1", expect=False),
    Step(MEMBER, "nsi", "!point message envoyé par erreur", label="p2"),
    Step(MEMBER, "nsi", kind=REDACT, target="p2"),
    Step(MEMBER, "nsi", "!ressource ajouter https://edubase.eduscol.education.fr/fiche/12345 "
                        "Séquence « égalité filles-garçons » en 1re NSI"),
    Step(MEMBER, "nsi", "!ressource ajouter javascript:alert(1) Lien piégé"),
    Step(COORDINATOR, "nsi", "!ressource liste"),
    Step(MEMBER, "nsi", "!bilan"),
    Step(COORDINATOR, "nsi", "!rappel ajouter chaque lundi à 9h : Réunion d’équipe"),
    Step(COORDINATOR, "nsi", "!rappel ajouter le 31/02/2027 à 9h : Date impossible"),
    Step(COORDINATOR, "nsi", "!rappel ajouter dans 5 secondes : Pensez à déposer vos séquences"),
    Step(COORDINATOR, "nsi", "🔔 Rappel", kind=WAIT_POST),  # « Rappel : », typeset
    Step(COORDINATOR, "nsi", "!rappel liste"),
    Step(COORDINATOR, "nsi", "!rappel suppr 1"),
    Step(COORDINATOR, "nsi", "!relance dans 5 secondes"),
    Step(MEMBER, "nsi", "Où en est l’équipe", kind=WAIT_POST, label="prompt"),
    Step(MEMBER, "nsi", "Séquence 2 terminée, les élèves ont produit leurs podcasts.",
         kind=REPLY_IN_THREAD, target="prompt"),
    # a prompt whose next occurrence would fall in the holidays: the bot moves it past them
    Step(COORDINATOR, "nsi", f"!relance {holiday_prompt_when(date.today())}"),
    _dm("!calendrier"),
    _dm("!point nsi : compte rendu envoyé à l’inspectrice"),
    _dm("!ressource ajouter nsi : https://magistere.education.fr/ac-besancon/course/view.php"
        "?id=1234 Parcours M@gistère « Égalité et numérique »"),
    _dm("!projet nsi"),
    Step(REFERENT, "dm-ref", kind=OPEN_DM),
    Step(REFERENT, "dm-ref", "!digest maintenant"),
    Step(REFERENT, "dm-ref", "Digest TraAM", kind=WAIT_POST),
    Step(REFERENT, "dm-ref", "!digest abonner quotidien"),
    # personal data: what is kept, a copy by direct message, then forgetting (confirmed)
    Step(MEMBER, "nsi", "!mesdonnees"),
    Step(MEMBER, "dm-membre", "📎 mes-donnees-traam.json", kind=WAIT_DM),
    Step(MEMBER, "dm-membre", "!oublier confirmer"),
    Step(MEMBER, "dm-membre", "!oublier"),
    Step(MEMBER, "dm-membre", "!oublier confirmer"),
    Step(COORDINATOR, "nsi", "!bilan"),
    Step(COORDINATOR, "", kind=EXPORT),
)


