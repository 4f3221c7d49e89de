"""state only from changes

A project's state is what replaying its recorded changes gives (``ledger.changes.apply``): the
summary columns that repeated it (budget, start, end, rule, population year, policy) and the
``memberships`` rows are dropped, so no page can read a second, stale copy.

The downgrade puts the columns and the table back and fills them by replaying the changes.

Revision ID: 9c4e2a7b1d30
Revises: 56517c830388
Create Date: 2026-12-01 18:00:00

"""
import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = '9c4e2a7b1d30'
down_revision = '56517c830388'
branch_labels = None
depends_on = None

SUMMARY = ("budget_cents", "start", "end", "rule", "population_year", "policy")


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memberships_project_id'))
    op.drop_table('memberships')
    # recreate="never": SQLite (3.35+) drops a column in place; recreating the table would trip the
    # foreign keys that point at it.
    with op.batch_alter_table('projects', schema=None, recreate="never") as batch_op:
        for column in SUMMARY:
            batch_op.drop_column(column)


def downgrade():
    with op.batch_alter_table('projects', schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column('budget_cents', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('start', sa.Date(), nullable=False, server_default='2000-01-01'))
        batch_op.add_column(sa.Column('end', sa.Date(), nullable=False, server_default='2000-12-31'))
        batch_op.add_column(sa.Column('rule', sa.String(length=20), nullable=False, server_default='equal'))
        batch_op.add_column(sa.Column('population_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('policy', sa.String(length=20), nullable=False, server_default='whole-term'))
    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('city_code', sa.String(length=3), nullable=False),
    sa.Column('joined', sa.Date(), nullable=False),
    sa.Column('left', sa.Date(), nullable=True),
    sa.Column('join_decision', sa.Text(), nullable=False),
    sa.Column('leave_decision', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_project_id'), ['project_id'], unique=False)
    _fill_from_changes()


def _fill_from_changes():
    """The summary columns and membership rows, from each project's state after its last change."""
    from ledger.changes import apply
    from ledger.project import Op, version_for

    conn = op.get_bind()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for (pid,) in conn.execute(sa.text("SELECT id FROM projects")).all():
        state = None
        rows = conn.execute(sa.text("SELECT op FROM project_changes WHERE project_id = :p ORDER BY seq"), {"p": pid}).all()
        for (text,) in rows:
            change = Op.from_json(json.loads(text))
            if change.kind != "ledger-imported":
                state = apply(state, change)
        if state is None:
            continue
        version = version_for(state, now.year)
        conn.execute(sa.text("UPDATE projects SET budget_cents = :b, start = :s, \"end\" = :e, rule = :r, population_year = :y,"
                             " policy = :pol WHERE id = :p"),
                     {"b": state.total, "s": state.start, "e": state.end, "r": version.kind, "y": version.population_year,
                      "pol": state.policy, "p": pid})
        for m in state.members:
            conn.execute(sa.text("INSERT INTO memberships (project_id, city_code, joined, \"left\", join_decision, leave_decision,"
                                 " created_at) VALUES (:p, :c, :j, :l, '', '', :n)"),
                         {"p": pid, "c": m.code, "j": m.joined, "l": m.left, "n": now})
