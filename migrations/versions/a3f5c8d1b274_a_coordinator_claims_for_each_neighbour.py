"""a coordinator may hold one live claim per neighbour on a post

Revision ID: a3f5c8d1b274
Revises: 9d41c7b2e8f0
Create Date: 2026-11-26 01:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3f5c8d1b274'
down_revision = '9d41c7b2e8f0'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('pending', 'waitlisted', 'accepted')"


def upgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('beneficiary_key', sa.String(length=80), server_default='', nullable=False)
        )
    op.execute("UPDATE claims SET beneficiary_key = lower(trim(on_behalf_of)) WHERE on_behalf_of IS NOT NULL")
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('uq_claims_one_active_per_claimant', sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        batch_op.create_index(
            'uq_claims_one_active_per_claimant',
            ['post_id', 'claimant_id', 'beneficiary_key'],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )


def downgrade():
    # Back to one live claim per claimant: keep the oldest of a coordinator's live claims.
    op.execute(
        "UPDATE claims SET status = 'withdrawn' WHERE " + ACTIVE + " AND id NOT IN ("
        "SELECT min(id) FROM claims WHERE " + ACTIVE + " GROUP BY post_id, claimant_id)"
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('uq_claims_one_active_per_claimant', sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
        batch_op.create_index(
            'uq_claims_one_active_per_claimant',
            ['post_id', 'claimant_id'],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.drop_column('beneficiary_key')
