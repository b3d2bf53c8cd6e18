"""SQLAlchemy table definitions: the single source of the database schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}



class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    academie: Mapped[str] = mapped_column(String(100))
    discipline: Mapped[str] = mapped_column(String(100))
    theme: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(100))
    year: Mapped[str] = mapped_column(String(20), index=True)
    region: Mapped[str] = mapped_column(String(100), default="")
    room: Mapped[str | None] = mapped_column(String(255), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProjectYearRow(Base):
    """A project as the directory lists it for one school year (Année 1, then Année 2…).

    The project itself stays one row of `projects` (keyed by its id, carrying its newest
    year's fields), so that everything attached to it by id — room links, updates,
    prompts, resources — follows it from one year to the next and nothing is lost; these
    rows keep what each year said, and `archived` marks an entry withdrawn from its year.
    """

    __tablename__ = "project_years"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    year: Mapped[str] = mapped_column(String(20), primary_key=True)
    academie: Mapped[str] = mapped_column(String(100))
    discipline: Mapped[str] = mapped_column(String(100))
    theme: Mapped[str] = mapped_column(Text)
    phase: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100), default="")
    room: Mapped[str | None] = mapped_column(String(255), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactRow(Base):
    __tablename__ = "contacts"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(255))
    matrix_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class RoomLinkRow(Base):
    """Which Matrix room belongs to which project (a room serves one project)."""

    __tablename__ = "room_links"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    linked_by: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # what people call the room (alias or name) when it was linked: exports run offline
    label: Mapped[str | None] = mapped_column(String(255), nullable=True)


class HandledEventRow(Base):
    """Ledger of events the bot has finished handling, so none is handled twice."""

    __tablename__ = "handled_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RoomStateRow(Base):
    """What the bot knows about a room it is in: when it joined, whether it was kicked."""

    __tablename__ = "rooms"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    joined_at: Mapped[int] = mapped_column(BigInteger)  # origin_server_ts (ms) of our join
    left: Mapped[bool] = mapped_column(Boolean, default=False)


class BotStateRow(Base):
    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class UpdateRow(Base):
    __tablename__ = "updates"
    __table_args__ = (UniqueConstraint("project_id", "number", name="uq_updates_project_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(255))
    author_name: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    text: Mapped[str] = mapped_column(Text)
    sections: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [kind, text]
    has_blocker: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ScheduleRow(Base):
    """A reminder, a progress prompt or a digest subscription: one recurring or one-off job."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # reminder | prompt | digest
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)  # creator, or digest recipient
    message: Mapped[str] = mapped_column(Text, default="")
    trigger: Mapped[str] = mapped_column(Text)  # domain.triggers.Trigger.to_json()
    may_ping_room: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # active | paused (room lost) | done (one-off sent) | missed | cancelled
    next_run: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # false: « même pendant les vacances » (recurring prompts and reminders skip holidays)
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class FiringRow(Base):
    """One occurrence of a schedule, claimed before sending so that it is sent only once."""

    __tablename__ = "firings"
    __table_args__ = (UniqueConstraint("schedule_id", "occurrence",
                                       name="uq_firings_schedule_occurrence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"),
                                             index=True)
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime())
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # claimed | sent | failed
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PromptEventRow(Base):
    """A progress prompt the bot posted: replies to it (thread or reply) become updates."""

    __tablename__ = "prompt_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """A message or reaction the bot owes, committed with the writes that caused it and
    sent afterwards by one sender: in order per queue, until sent, refused or expired."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_queue", "status", "queue", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    txn_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(300))  # room id, or "user:<id>" (direct chat)
    payload: Mapped[str] = mapped_column(Text)  # domain.outbox.Outgoing as JSON
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InstanceOwnerRow(Base):
    """Which process runs the bot on this database (one row, id 1): information for the
    operator only, overwritten by each new owner. The lock itself is an advisory lock
    (PostgreSQL) or a lock file (SQLite), released when its holder dies."""

    __tablename__ = "instance_owner"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    instance_id: Mapped[str] = mapped_column(String(36))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ResourceRow(Base):
    """A resource a project produced (Édubase fiche, M@gistère parcours, another link)."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # edubase | magistere | autre
    author: Mapped[str] = mapped_column(String(255), index=True)
    author_name: Mapped[str] = mapped_column(String(255))
    room_id: Mapped[str] = mapped_column(String(255))
    event_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ConfirmationRow(Base):
    """A request that waits for its author's explicit confirmation (`!oublier`, then
    `!oublier confirmer`): deleted once answered, or by the daily purge once expired."""

    __tablename__ = "confirmations"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    action: Mapped[str] = mapped_column(String(20), primary_key=True)  # forget
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
