"""screenings from home visits

Revision ID: 200cd3d35004
Revises: 62272a9ed7f1
Create Date: 2026-12-03 12:05:09.021388
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op



revision: str = '200cd3d35004'
down_revision: str | None = '62272a9ed7f1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), server_default='screening', nullable=False))
        batch_op.add_column(sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.create_check_constraint('ck_screenings_source', "source IN ('screening', 'visit')")
        batch_op.create_index('uq_screenings_visit_id', ['visit_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('screenings', schema=None) as batch_op:
        batch_op.drop_index('uq_screenings_visit_id')
        batch_op.drop_constraint('ck_screenings_source', type_='check')
        batch_op.drop_column('visit_id')
        batch_op.drop_column('source')
