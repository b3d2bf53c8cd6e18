"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 19:10:11.876498
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bot_state',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_bot_state'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('matrix_id', sa.String(length=255), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_table('handled_events',
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_handled_events'))
    )
    with op.batch_alter_table('handled_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handled_events_handled_at'), ['handled_at'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('academie', sa.String(length=100), nullable=False),
    sa.Column('discipline', sa.String(length=100), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('phase', sa.String(length=100), nullable=False),
    sa.Column('year', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('room', sa.String(length=255), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_year'), ['year'], unique=False)

    op.create_table('rooms',
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('joined_at', sa.BigInteger(), nullable=False),
    sa.Column('left', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('room_id', name=op.f('pk_rooms'))
    )
    op.create_table('room_links',
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=100), nullable=False),
    sa.Column('linked_by', sa.String(length=255), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_room_links_project_id_projects')),
    sa.PrimaryKeyConstraint('room_id', name=op.f('pk_room_links'))
    )
    with op.batch_alter_table('room_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_links_project_id'), ['project_id'], unique=False)

    op.create_table('updates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.String(length=100), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=255), nullable=False),
    sa.Column('author_name', sa.String(length=255), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sections', sa.Text(), nullable=False),
    sa.Column('has_blocker', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_updates_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_updates')),
    sa.UniqueConstraint('event_id', name=op.f('uq_updates_event_id')),
    sa.UniqueConstraint('project_id', 'number', name='uq_updates_project_number')
    )
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_updates_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_updates_project_id'), ['project_id'], unique=False)




def downgrade() -> None:
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_updates_project_id'))
        batch_op.drop_index(batch_op.f('ix_updates_created_at'))

    op.drop_table('updates')
    with op.batch_alter_table('room_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_links_project_id'))

    op.drop_table('room_links')
    op.drop_table('rooms')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_year'))

    op.drop_table('projects')
    with op.batch_alter_table('handled_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handled_events_handled_at'))

    op.drop_table('handled_events')
    op.drop_table('contacts')
    op.drop_table('bot_state')

