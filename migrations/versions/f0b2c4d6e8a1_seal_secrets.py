"""The KSeF token and the offline certificate's private key are sealed with the instance's key
(``instance/data.key``, 0600; lukluk_pos/core/sealing.py), so no backup holds them in clear. What an
installation already holds is sealed here; the downgrade opens it again.

Revision ID: f0b2c4d6e8a1
Revises: a8b6c0d2e5f7
Create Date: 2026-12-07 19:45:00

"""
from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f0b2c4d6e8a1'
down_revision = 'a8b6c0d2e5f7'
branch_labels = None
depends_on = None

COLUMNS = ("ksef_token", "offline_key")


def _rewrite(change):
    if context.is_offline_mode():
        return  # SQL written for later: the key is on the machine that runs it
    from flask import current_app

    instance = current_app.instance_path
    conn = op.get_bind()
    table = sa.table("invoice_settings", sa.column("id"), *(sa.column(name, sa.Text) for name in COLUMNS))
    for row in conn.execute(sa.select(table)).all():
        values = {name: change(getattr(row, name) or "", instance) for name in COLUMNS}
        conn.execute(table.update().where(table.c.id == row.id).values(**values))


def upgrade():
    from lukluk_pos.core.sealing import seal

    _rewrite(seal)


def downgrade():
    from lukluk_pos.core.sealing import unseal

    _rewrite(unseal)
