"""confirmations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('confirmations',
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'action', name=op.f('pk_confirmations'))
    )
    op.create_index(op.f('ix_confirmations_expires_at'), 'confirmations', ['expires_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_confirmations_expires_at'), table_name='confirmations')
    op.drop_table('confirmations')
