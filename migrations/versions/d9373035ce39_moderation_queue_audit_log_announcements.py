"""moderation queue, audit log, announcements

Reports get their outcome (who handled them, when, how); memberships may be suspended; the
append-only moderation log (the database refuses to UPDATE a line of it); announcements.

Revision ID: d9373035ce39
Revises: 475f812f88a2
Create Date: 2026-11-26 02:08:18.375085

"""
from alembic import op
import sqlalchemy as sa

import commons.types


# revision identifiers, used by Alembic.
revision = 'd9373035ce39'
down_revision = '475f812f88a2'
branch_labels = None
depends_on = None

REPORT_OUTCOME = (
    "(status = 'open' AND outcome IS NULL AND resolved_at IS NULL)"
    " OR (status = 'dismissed' AND outcome = 'dismiss' AND resolved_at IS NOT NULL)"
    " OR (status = 'actioned' AND outcome IN ('hide_post', 'hide_message', 'warn',"
    " 'suspend') AND resolved_at IS NOT NULL)"
)
APPEND_ONLY = "moderation_actions is append-only: its lines are never changed"


def upgrade():
    # A membership may be suspended by the community's coordinators.
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_memberships_status_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_memberships_status_valid'), "status IN ('pending', 'active', 'suspended')"
        )

    # A handled report says what was done, by whom and when.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', commons.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolved_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reports_resolved_by_id_users'), 'users', ['resolved_by_id'], ['id'])
        batch_op.create_check_constraint(op.f('ck_reports_outcome_matches_status'), REPORT_OUTCOME)

    op.create_table('moderation_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('target_type', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', commons.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(action = 'lift_suspension') = (report_id IS NULL)", name=op.f('ck_moderation_actions_report_unless_lifting')),
    sa.CheckConstraint("action IN ('dismiss', 'hide_post', 'hide_message', 'warn', 'suspend', 'lift_suspension')", name=op.f('ck_moderation_actions_action_valid')),
    sa.CheckConstraint("target_type IN ('post', 'message', 'member')", name=op.f('ck_moderation_actions_target_type_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_moderation_actions_actor_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_moderation_actions_community_id_communities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_moderation_actions_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_actions'))
    )
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_actions_log', ['community_id', 'created_at', 'id'], unique=False)
    # Append-only, held by the database: any UPDATE of a line fails (the models can't say so).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER moderation_actions_append_only BEFORE UPDATE ON moderation_actions "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION moderation_actions_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER moderation_actions_append_only BEFORE UPDATE ON moderation_actions "
            "FOR EACH ROW EXECUTE FUNCTION moderation_actions_append_only()"
        )

    op.create_table('announcements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', commons.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(body) BETWEEN 1 AND 4000', name=op.f('ck_announcements_body_length')),
    sa.CheckConstraint('length(title) BETWEEN 1 AND 120', name=op.f('ck_announcements_title_length')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_announcements_author_id_users')),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_announcements_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcements'))
    )
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.create_index('ix_announcements_community', ['community_id', 'created_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_index('ix_announcements_community')
    op.drop_table('announcements')

    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS moderation_actions_append_only")
    else:
        op.execute("DROP TRIGGER IF EXISTS moderation_actions_append_only ON moderation_actions")
        op.execute("DROP FUNCTION IF EXISTS moderation_actions_append_only()")
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_moderation_actions_log')
    op.drop_table('moderation_actions')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reports_outcome_matches_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_reports_resolved_by_id_users'), type_='foreignkey')
        batch_op.drop_column('resolved_by_id')
        batch_op.drop_column('resolved_at')
        batch_op.drop_column('outcome')

    # Before suspensions existed: a suspended member must be let in again by a coordinator.
    op.execute("UPDATE memberships SET status = 'pending', joined_at = NULL WHERE status = 'suspended'")
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_memberships_status_valid'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_memberships_status_valid'), "status IN ('pending', 'active')"
        )
