"""posts remember the expiry warning

Revision ID: 4a846172f57b
Revises: 1a592e6186c5
Create Date: 2026-11-25 23:20:47.781965

"""
from alembic import op
import sqlalchemy as sa

import commons.types


# revision identifiers, used by Alembic.
revision = '4a846172f57b'
down_revision = '1a592e6186c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expiry_warned_at", commons.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("expiry_warned_at")
