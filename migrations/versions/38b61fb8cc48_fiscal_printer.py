"""Fiscal printer: each sale's registration, the returns and corrections registers, fiscal names, the buyer's NIP

Revision ID: 38b61fb8cc48
Revises: 706dde9ae84c
Create Date: 2026-11-29 05:02:16.798888

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '38b61fb8cc48'
down_revision = '706dde9ae84c'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand: sa.false() for the boolean default (PostgreSQL refuses a bare 0).
    op.create_table('fiscal_register_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('return', 'correction', name='registerkind', native_enum=False, length=16), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('original_sale_id', sa.Integer(), nullable=False),
    sa.Column('receipt_number', sa.Integer(), nullable=True),
    sa.Column('receipt_date', sa.Date(), nullable=True),
    sa.Column('buyer_name', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_fiscal_register_entry_approved_by_id_user')),
    sa.ForeignKeyConstraint(['original_sale_id'], ['sale.id'], name=op.f('fk_fiscal_register_entry_original_sale_id_sale')),
    sa.ForeignKeyConstraint(['refund_id'], ['sale.id'], name=op.f('fk_fiscal_register_entry_refund_id_sale')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_fiscal_register_entry_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_register_entry')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_fiscal_register_entry_refund_id'))
    )
    with op.batch_alter_table('fiscal_register_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_register_entry_business_date'), ['business_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_fiscal_register_entry_kind'), ['kind'], unique=False)

    op.create_table('fiscal_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'registered', 'uncertain', 'voided', name='registrationstatus', native_enum=False, length=16), nullable=False),
    sa.Column('device', sa.String(length=220), nullable=False),
    sa.Column('in_flight', sa.JSON(), nullable=True),
    sa.Column('receipt_number', sa.Integer(), nullable=True),
    sa.Column('daily_reports', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_fiscal_registration_sale_id_sale')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['user.id'], name=op.f('fk_fiscal_registration_voided_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_registration')),
    sa.UniqueConstraint('sale_id', name=op.f('uq_fiscal_registration_sale_id'))
    )
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fiscal_registration_status'), ['status'], unique=False)

    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fiscal_name', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('fiscal_from_first_sale', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.add_column(sa.Column('buyer_nip', sa.String(length=10), server_default='', nullable=False))

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fiscal_printer', sa.String(length=220), server_default='', nullable=False))

    # ### end Alembic commands ###


def downgrade():
    # Reviewed by hand: sa.false() for the boolean default (PostgreSQL refuses a bare 0).
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('fiscal_printer')

    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_column('buyer_nip')

    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_column('fiscal_from_first_sale')
        batch_op.drop_column('fiscal_name')

    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fiscal_registration_status'))

    op.drop_table('fiscal_registration')
    with op.batch_alter_table('fiscal_register_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fiscal_register_entry_kind'))
        batch_op.drop_index(batch_op.f('ix_fiscal_register_entry_business_date'))

    op.drop_table('fiscal_register_entry')
    # ### end Alembic commands ###
