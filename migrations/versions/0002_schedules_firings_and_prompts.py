"""schedules, firings and prompts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:11:55.609257
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('schedules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=True),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('trigger', sa.Text(), nullable=False),
    sa.Column('may_ping_room', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('next_run', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules'))
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedules_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedules_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedules_room_id'), ['room_id'], unique=False)

    op.create_table('firings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('occurrence', sa.DateTime(timezone=True), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_firings_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firings')),
    sa.UniqueConstraint('schedule_id', 'occurrence', name='uq_firings_schedule_occurrence')
    )
    with op.batch_alter_table('firings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firings_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('prompt_events',
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=100), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_prompt_events_project_id_projects')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_prompt_events'))
    )



def downgrade() -> None:

    op.drop_table('prompt_events')
    with op.batch_alter_table('firings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firings_schedule_id'))

    op.drop_table('firings')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedules_room_id'))
        batch_op.drop_index(batch_op.f('ix_schedules_owner'))
        batch_op.drop_index(batch_op.f('ix_schedules_kind'))

    op.drop_table('schedules')

