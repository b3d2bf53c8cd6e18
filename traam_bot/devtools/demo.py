"""`traam-bot demo`: a throwaway Synapse, the bot, and a scripted French conversation."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Awaitable, Callable

from traam_bot.devtools.demo_script import (
    CREATE_ROOM,
    EDIT,
    EXPORT,
    JOIN,
    MENTION,
    OPEN_DM,
    REDACT,
    REPLY_IN_THREAD,
    SCENARIO,
    SEND,
    WAIT_DM,
    WAIT_POST,
    Step,
)
from traam_bot.devtools.sandbox import (
    BOT,
    COORDINATOR,
    MEMBER,
    REFERENT,
    Event,
    Sandbox,
    UserClient,
)
from traam_bot.domain.text import plural
from traam_bot.domain.typography import violations
from traam_bot.matrix.cross_signing import request
from traam_bot.matrix.signing import public_key_of, verify

REPLY_TIMEOUT = 15.0
SILENCE = 3.0  # how long a step that expects no answer listens before saying so
WIDTH = max(len(n) for n in (BOT, COORDINATOR, MEMBER, REFERENT))



def say(who: str, text: str) -> None:
    """One transcript entry; continuation lines are indented under the first."""
    lines = [line.rstrip() for line in text.strip("\n").split("\n")] or [""]
    print(f"{who.ljust(WIDTH)} : {lines[0]}", flush=True)
    for line in lines[1:]:
        print(" " * (WIDTH + 3) + line, flush=True)


def note(text: str) -> None:
    print(" " * (WIDTH + 3) + text, flush=True)


def header(text: str) -> None:
    print(f"\n── {text}", flush=True)


class Demo:
    """Plays SCENARIO step by step against a running sandbox; counts missing answers."""

    def __init__(self, sandbox: Sandbox, users: dict[str, UserClient]) -> None:
        self.sandbox = sandbox
        self.users = users
        self.rooms: dict[str, str] = {}
        self.labels: dict[str, str] = {}
        self.missing = 0
        self.unexpected = 0
        self.kinds: dict[str, Callable[[Step], Awaitable[str | None]]] = {
            OPEN_DM: self.open_dm, CREATE_ROOM: self.create_room, JOIN: self.join,
            SEND: self.send, MENTION: self.mention, REPLY_IN_THREAD: self.reply_in_thread,
            EDIT: self.edit, REDACT: self.redact, WAIT_DM: self.wait_dm,
            WAIT_POST: self.wait_post, EXPORT: self.export,
        }
        self.seen: set[str] = set()
        self.misprinted = 0  # bot messages that break the French typography rules

    def bot_says(self, text: str) -> None:
        """A message of the bot in the transcript, checked against domain.typography: a
        broken rule is shown under it and makes the demo fail."""
        say(BOT, text)
        for problem in violations(text):
            self.misprinted += 1
            note(f"(typographie : {problem})")

    async def play(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            event_id = await self.kinds[step.kind](step)
            if event_id is None:
                continue
            if step.label:
                self.labels[step.label] = event_id
            await self.answer(step, event_id)

    # -- room set-up ---------------------------------------------------------------
    async def open_dm(self, step: Step) -> None:
        header(f"Message direct : {step.who} ↔ {BOT} (chiffré de bout en bout)")
        user = self.users[step.who]
        room = await user.create_room(invite=[self.sandbox.bot_id], direct=True, encrypted=True)
        await user.wait_member(room, self.sandbox.bot_id)
        self.rooms[step.where] = room

    async def create_room(self, step: Step) -> None:
        guests = " et ".join(step.invite)
        header(f"Salon « {step.what} » (chiffré) : {step.who} invite {guests}")
        user = self.users[step.who]
        ids = [self.sandbox.user_ids[name] for name in step.invite]
        self.rooms[step.where] = await user.create_room(step.what, invite=ids, encrypted=True)
        if BOT in step.invite:
            await user.wait_member(self.rooms[step.where], self.sandbox.bot_id)
            note(f"({BOT} a rejoint le salon)")

    async def join(self, step: Step) -> None:
        await self.users[step.who].join(self.rooms[step.where])
        note(f"({step.who} a rejoint le salon)")

    # -- messages --------------------------------------------------------------------
    async def send(self, step: Step) -> str:
        say(step.who, step.what)
        return await self.users[step.who].send(self.rooms[step.where], step.what)

    async def mention(self, step: Step) -> str:
        body = f"{BOT} : {step.what}"
        say(step.who, body)
        link = f'<a href="https://matrix.to/#/{self.sandbox.bot_id}">{BOT}</a>'
        return await self.users[step.who].send(
            self.rooms[step.where], body, mentions=[self.sandbox.bot_id],
            formatted_body=f"{link} : {html.escape(step.what)}")

    async def reply_in_thread(self, step: Step) -> str:
        say(step.who, f"(dans le fil) {step.what}")
        return await self.users[step.who].send(self.rooms[step.where], step.what,
                                               thread_root=self.labels[step.target or ""])

    async def edit(self, step: Step) -> str:
        say(step.who, f"(modifie son message) {step.what}")
        return await self.users[step.who].edit(self.rooms[step.where],
                                               self.labels[step.target or ""], step.what)

    async def redact(self, step: Step) -> str | None:
        say(step.who, "(supprime son message)")
        await self.users[step.who].redact(self.rooms[step.where], self.labels[step.target or ""])
        return None

    async def wait_dm(self, step: Step) -> None:
        """The direct chat the bot opens for `who`: its messages, up to one showing
        `what` when given (a file comes after the text that presents it)."""
        user = self.users[step.who]
        found: list[Event] = []
        try:
            room = await user.wait_invite(REPLY_TIMEOUT)
            await user.join(room)
            self.rooms[step.where] = room
            if step.what:
                await user.wait_for(lambda e: e["room_id"] == room and _from_bot(e, self)
                                    and step.what in _shown(e), REPLY_TIMEOUT)
            found = await user.wait_for(lambda e: e["room_id"] == room and _from_bot(e, self),
                                        REPLY_TIMEOUT)
        except TimeoutError:
            pass
        header(f"Message direct ouvert par {BOT} pour {step.who} (chiffré de bout en bout)")
        if not found or not any(step.what in _shown(e) for e in found):
            self._missing()
        for event in found:
            self.seen.add(event["event_id"])
            self.bot_says(_shown(event))

    async def wait_post(self, step: Step) -> str | None:
        """A message the bot posts on its own (reminder, prompt, digest)."""
        user, room = self.users[step.who], self.rooms[step.where]

        def fresh(e: Event) -> bool:
            return (e["room_id"] == room and _from_bot(e, self) and step.what in _body(e)
                    and e["event_id"] not in self.seen)

        found = await user.wait_for(fresh, REPLY_TIMEOUT)
        if not found:
            self._missing()
            return None
        self.seen.add(found[0]["event_id"])
        self.bot_says(_body(found[0]))
        if step.label:
            self.labels[step.label] = found[0]["event_id"]
        return None

    async def export(self, step: Step) -> None:
        from traam_bot.config import load_directory
        from traam_bot.domain.export import render_markdown
        from traam_bot.services.export import collect
        from traam_bot.store.unit_of_work import one_unit

        settings = self.sandbox.settings
        directory = load_directory(settings.directory)
        async with one_unit(settings.database.url) as uow:
            records = await collect(uow, directory.year, settings.tz)
        header("Export du bilan : traam-bot export --format md (extrait)")
        text = render_markdown(directory.region, directory.year, records, settings.tz)
        start = text.index("## NSI")
        print(text[start:].split("\n## ", 1)[0].rstrip(), flush=True)

    # -- answers ---------------------------------------------------------------------
    async def answer(self, step: Step, event_id: str) -> None:
        user, room = self.users[step.who], self.rooms[step.where]
        if step.kind in (REPLY_IN_THREAD, EDIT):  # acknowledged by a reaction only
            target = event_id if step.kind == REPLY_IN_THREAD else self.labels[step.target or ""]
            key = "✅" if step.kind == REPLY_IN_THREAD else "✏️"
            try:
                await user.wait_reaction(room, target, key, timeout=REPLY_TIMEOUT)
                note(f"({BOT} réagit {key})")
            except TimeoutError:
                self._missing()
            return
        wait = REPLY_TIMEOUT if step.expect else SILENCE
        try:
            await user.wait_reply(room, event_id, timeout=wait)
        except TimeoutError:
            if step.expect:
                self._missing()
            else:
                note("(pas de réponse, normal)")
            return
        await user.sync(300)  # long answers come in several messages
        if not step.expect:
            self.unexpected += 1
            note("(réponse inattendue :)")
        for event in user.replies(room, event_id):
            self.bot_says(_shown(event))
        for key in _reactions(user, room, event_id, self.sandbox.bot_id):
            note(f"({BOT} réagit {key})")

    def _missing(self) -> None:
        self.missing += 1
        note("(pas de réponse)")


def _body(event: Event) -> str:
    return str((event.get("content") or {}).get("body", ""))


def _shown(event: Event) -> str:
    """A message as the transcript shows it: its text, or a file's name and size."""
    content = event.get("content") or {}
    if content.get("msgtype") == "m.file":
        info = content.get("info") or {}
        return (f"📎 {content.get('filename') or _body(event)} "
                f"({info.get('mimetype', '')}, {info.get('size', 0)} octets)")
    return _body(event)


def _from_bot(event: Event, demo: Demo) -> bool:
    return event.get("sender") == demo.sandbox.bot_id and event.get("type") == "m.room.message"


def _reactions(user: UserClient, room: str, event_id: str, bot_id: str) -> list[str]:
    keys = []
    for e in user.events.get(room, []):
        rel = (e.get("content") or {}).get("m.relates_to") or {}
        if (e.get("type") == "m.reaction" and e.get("sender") == bot_id
                and rel.get("event_id") == event_id):
            keys.append(str(rel.get("key")))
    return keys


def _quiet_logs() -> None:
    """Only warnings on stderr: the transcript owns stdout."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("traam_bot", "nio", "aiohttp", "sqlalchemy", "alembic", "apscheduler"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # "Missing session for device …" is routine before the first key claim.
    logging.getLogger("nio.crypto").setLevel(logging.ERROR)


async def bot_cross_signed(user: UserClient, bot_id: str) -> bool:
    """What Element checks: every device of the bot signed by its self-signing key, itself
    signed by its master key."""
    status, keys = await request(user.client, "POST", "/keys/query",
                                 {"device_keys": {bot_id: []}})
    master = public_key_of((keys.get("master_keys") or {}).get(bot_id))
    ssk_obj = (keys.get("self_signing_keys") or {}).get(bot_id) or {}
    ssk = public_key_of(ssk_obj)
    devices = ((keys.get("device_keys") or {}).get(bot_id) or {}).values()
    return (status == 200 and master is not None and ssk is not None and bool(devices)
            and verify(ssk_obj, bot_id, master) and all(verify(d, bot_id, ssk) for d in devices))


async def run_demo(keep: bool = False, steps: tuple[Step, ...] = SCENARIO) -> int:
    """Play the scripted conversation; 0 when every expected answer came, 1 otherwise."""
    _quiet_logs()
    started = time.monotonic()
    print("Démo traam-bot : démarrage d’un serveur Synapse jetable…", flush=True)
    async with Sandbox(keep=keep) as sandbox:
        await sandbox.start_bot()
        names = {step.who for step in steps}
        users = {name: await sandbox.user(name) for name in sorted(names)}
        trusted = await bot_cross_signed(next(iter(users.values())), sandbox.bot_id)
        print(f"Serveur {sandbox.synapse.url}, bot {sandbox.bot_id} connecté, "
              + ("appareil vérifié par son propriétaire (signature croisée)." if trusted
                 else "appareil NON vérifié par son propriétaire."), flush=True)
        demo = Demo(sandbox, users)
        demo.unexpected += 0 if trusted else 1
        await demo.play(steps)
        if keep:
            print(f"\nDossier conservé : {sandbox.workdir}", flush=True)
    return _summary(demo, time.monotonic() - started)


def _summary(demo: Demo, seconds: float) -> int:
    problems = []
    if demo.missing:
        problems.append(f"{demo.missing} sans réponse")
    if demo.unexpected:
        problems.append(plural(demo.unexpected, "réponse inattendue", "réponses inattendues"))
    if demo.misprinted:
        problems.append(plural(demo.misprinted, "faute de typographie",
                               "fautes de typographie"))
    outcome = ", ".join(problems) if problems else "toutes les réponses attendues sont arrivées"
    print(f"\nDémo terminée en {seconds:.0f} s : {outcome}. Tout est arrêté.", flush=True)
    return 1 if problems else 0
