"""schedule holidays: a schedule may opt out of skipping holidays

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('schedules') as batch_op:
        batch_op.add_column(sa.Column('skip_holidays', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('schedules') as batch_op:
        batch_op.drop_column('skip_holidays')
