"""A gift confirmation as first issued, kept and reprinted identically; items keep the pieces and price
they were taken in with; the donor's address and NIP; the cooperative's KRS number.

Items taken in before this revision have no received figures: the confirmation works them out (pieces on
hand plus sold less refunded, the price before the first recorded change).

Revision ID: d5e3f7a9b2c4
Revises: c4d2e6f8a1b3
Create Date: 2026-12-07 16:04:46.184686

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e3f7a9b2c4'
down_revision = 'c4d2e6f8a1b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gift_confirmation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['donation_batch.id'], name=op.f('fk_gift_confirmation_batch_id_donation_batch')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_gift_confirmation_issued_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_confirmation')),
    sa.UniqueConstraint('batch_id', name=op.f('uq_gift_confirmation_batch_id'))
    )
    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('nip', sa.String(length=10), server_default='', nullable=False))

    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('received_quantity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('received_price_minor', sa.Integer(), nullable=True))

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('krs', sa.String(length=10), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('krs')

    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('received_price_minor')
        batch_op.drop_column('received_quantity')

    with op.batch_alter_table('donor', schema=None) as batch_op:
        batch_op.drop_column('nip')
        batch_op.drop_column('address')

    op.drop_table('gift_confirmation')
