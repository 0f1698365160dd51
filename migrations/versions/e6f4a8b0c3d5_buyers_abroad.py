"""Buyers abroad: the country and the foreign tax number (an EU VAT number, or another country's), for
FA(3)'s KodUE/NrVatUE and KodKraju/NrID. Existing buyers are in Poland.

Revision ID: e6f4a8b0c3d5
Revises: d5e3f7a9b2c4
Create Date: 2026-12-07 16:08:11.178329

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6f4a8b0c3d5'
down_revision = 'd5e3f7a9b2c4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('buyer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('country', sa.String(length=2), server_default='PL', nullable=False))
        batch_op.add_column(sa.Column('tax_id', sa.String(length=50), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('buyer', schema=None) as batch_op:
        batch_op.drop_column('tax_id')
        batch_op.drop_column('country')

