"""ledger sums

What a change needs of the ledger, kept in SQL beside the postings: ``ledger_cells`` (the cents of
every EUR posting by tag, account and budget year; ``ledger.cells.Books``) and ``ledger_accounts``
(each opened account and its date). From now on the change service writes both in the same
transaction as each posting; this migration fills them from the postings already stored, parsing
each once with the core's own parser and fold, so they equal what the journal computes.

Revision ID: 7c1e9a4d2b56
Revises: 7e4c2a9d5b13
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c1e9a4d2b56'
down_revision = '7e4c2a9d5b13'
branch_labels = None
depends_on = None

NO_YEAR = 0  # portal.projects.models.NO_YEAR: the year column of postings without a budget year


def upgrade():
    op.create_table('ledger_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.Text(), nullable=False),
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'tag', 'account', 'year', name='uq_ledger_cells_key'),
    postgresql_with={'fillfactor': 50},  # room for HOT updates: a change rewrites thousands of rows
    )
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('opened', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'account', name='uq_ledger_accounts_project_account')
    )
    _fill_from_postings()


def downgrade():
    op.drop_table('ledger_accounts')
    op.drop_table('ledger_cells')


def _fill_from_postings():
    """Each project's sums, folded posting by posting from the stored text (never all entries at once)."""
    from ledger.cells import Books
    from ledger.entries import parse_entries

    conn = op.get_bind()
    cells = sa.table('ledger_cells', sa.column('project_id'), sa.column('tag'), sa.column('account'), sa.column('year'),
                     sa.column('cents'))
    accounts = sa.table('ledger_accounts', sa.column('project_id'), sa.column('account'), sa.column('opened'))
    for (pid,) in conn.execute(sa.text("SELECT id FROM projects ORDER BY id")).all():
        sums, opened = {}, {}
        rows = conn.execute(sa.text("SELECT seq, text FROM ledger_postings WHERE project_id = :p ORDER BY seq"), {"p": pid})
        for seq, text in rows:
            part = Books.of(parse_entries(text, "migration", seq))
            for key, cents in part.sums.items():
                sums[key] = sums.get(key, 0) + cents
            for account, day in part.opened.items():
                opened[account] = min(day, opened.get(account, day))
        if sums:
            conn.execute(cells.insert(), [{"project_id": pid, "tag": tag, "account": account,
                                           "year": NO_YEAR if year is None else year, "cents": cents}
                                          for (tag, account, year), cents in sums.items()])
        if opened:
            conn.execute(accounts.insert(), [{"project_id": pid, "account": a, "opened": d} for a, d in opened.items()])
