"""the dashboard's floor counts from the stock index: kind and markdown time added to it

Revision ID: 9e2b7c4d1a05
Revises: 51a069291b32
Create Date: 2026-11-29 19:05:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9e2b7c4d1a05'
down_revision = '51a069291b32'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_status_category')
        batch_op.create_index('ix_item_status_category',
                              ['status', 'category_id', 'created_at', 'kind', 'marked_down_at'], unique=False)


def downgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_status_category')
        batch_op.create_index('ix_item_status_category', ['status', 'category_id', 'created_at'], unique=False)
