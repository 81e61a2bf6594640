"""referral status check

Revision ID: 8a19162ccfe1
Revises: 93d0e97f67b2
Create Date: 2026-12-02 16:34:17.622031
"""
from collections.abc import Sequence

from alembic import op


revision: str = '8a19162ccfe1'
down_revision: str | None = '93d0e97f67b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Written out, not imported: a migration keeps the values of its day
# (kamkor_referral.referrals.states.ReferralStatus then).
STATUSES = (
    "draft",
    "requested",
    "accepted",
    "in_progress",
    "on_hold",
    "completed",
    "failed",
    "rejected",
    "cancelled",
    "unassigned",
    "entered_in_error",
)


def upgrade() -> None:
    # Batch mode: SQLite adds a constraint only by copying the table.
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'ck_referrals_status',
            "status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)),
        )


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint('ck_referrals_status', type_='check')
