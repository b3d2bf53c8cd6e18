"""school years: one row per project and year

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('project_years',
    sa.Column('project_id', sa.String(length=100), nullable=False),
    sa.Column('year', sa.String(length=20), nullable=False),
    sa.Column('academie', sa.String(length=100), nullable=False),
    sa.Column('discipline', sa.String(length=100), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('phase', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('room', sa.String(length=255), nullable=True),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_project_years_project_id_projects')),
    sa.PrimaryKeyConstraint('project_id', 'year', name=op.f('pk_project_years'))
    )
    # every project known so far belongs to the year it was imported with
    op.execute(
        "INSERT INTO project_years (project_id, year, academie, discipline, theme, phase, "
        "region, room, archived, position) SELECT id, year, academie, discipline, theme, "
        "phase, region, room, archived, position FROM projects")


def downgrade() -> None:
    op.drop_table('project_years')
