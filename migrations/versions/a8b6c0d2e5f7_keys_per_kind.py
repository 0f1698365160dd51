"""Completion keys and refund keys are two namespaces: a key is unique per kind of document (a sale's key
used for a refund no longer finds the sale, and a refund's key never finds another refund of another sale).

Revision ID: a8b6c0d2e5f7
Revises: f7a5b9c1d4e6
Create Date: 2026-12-07 19:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a8b6c0d2e5f7'
down_revision = 'f7a5b9c1d4e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sale_completion_key', type_='unique')
        batch_op.create_unique_constraint('uq_sale_completion_key_kind', ['completion_key', 'kind'])


def downgrade():
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sale_completion_key_kind', type_='unique')
        batch_op.create_unique_constraint('uq_sale_completion_key', ['completion_key'])
