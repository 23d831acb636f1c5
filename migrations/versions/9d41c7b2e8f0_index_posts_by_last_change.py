"""index posts by their last change

Revision ID: 9d41c7b2e8f0
Revises: 6b8e1f2a9c01
Create Date: 2026-11-26 01:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d41c7b2e8f0'
down_revision = '6b8e1f2a9c01'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_updated_at', ['updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_updated_at')
