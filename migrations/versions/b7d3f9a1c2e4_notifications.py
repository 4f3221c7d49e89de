"""notifications: queued events, opt-outs, and each user's language for emails

Revision ID: b7d3f9a1c2e4
Revises: b5f1c3a8e2d7
Create Date: 2026-12-01 23:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b7d3f9a1c2e4'
down_revision = 'b5f1c3a8e2d7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id'))
    op.create_index(op.f('ix_notification_events_user_id'), 'notification_events', ['user_id'])
    op.create_index(op.f('ix_notification_events_created_at'), 'notification_events', ['created_at'])
    op.create_index(op.f('ix_notification_events_sent_at'), 'notification_events', ['sent_at'])
    op.create_table('notification_optouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'kind', name='uq_notification_optouts_user_kind'))
    op.create_index(op.f('ix_notification_optouts_user_id'), 'notification_optouts', ['user_id'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('language', sa.String(length=2), server_default='fi', nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('language')
    op.drop_index(op.f('ix_notification_optouts_user_id'), table_name='notification_optouts')
    op.drop_table('notification_optouts')
    op.drop_index(op.f('ix_notification_events_sent_at'), table_name='notification_events')
    op.drop_index(op.f('ix_notification_events_created_at'), table_name='notification_events')
    op.drop_index(op.f('ix_notification_events_user_id'), table_name='notification_events')
    op.drop_table('notification_events')
