"""Fiscal registrations carry a version, bumped by every write: a retry can no longer mark (and print) a
sale that the manager voided or settled by hand while the retry was reading the device.

Revision ID: f7a5b9c1d4e6
Revises: e6f4a8b0c3d5
Create Date: 2026-12-07 18:56:05.082194

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7a5b9c1d4e6'
down_revision = 'e6f4a8b0c3d5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.drop_column('version')
