"""KSeF's whole lifecycle: online sessions recorded (to be closed by any process), the UPO kept byte for
byte with its hash, the invoicing mode KSeF recorded, and which FA(3) field states the exemption basis.

Invoices accepted before this revision get their UPO downloaded by the worker (their SHA-256 is empty).
The exemption basis keeps what the administrator set; the field is P_19A (a provision of the VAT act).

Revision ID: c4d2e6f8a1b3
Revises: b3f1c2d4e5a6
Create Date: 2026-12-07 15:42:55.106501

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d2e6f8a1b3'
down_revision = 'b3f1c2d4e5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ksef_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=False),
    sa.Column('url', sa.String(length=200), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_why', sa.String(length=16), nullable=False, server_default=''),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ksef_session')),
    sa.UniqueConstraint('reference', name=op.f('uq_ksef_session_reference'))
    )
    with op.batch_alter_table('ksef_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ksef_session_closed_at'), ['closed_at'], unique=False)

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ksef_mode', sa.String(length=8), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('ksef_upo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('ksef_upo_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('ksef_lookups', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('invoice_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exemption_field', sa.String(length=8), nullable=False, server_default='P_19A'))



def downgrade():
    with op.batch_alter_table('invoice_settings', schema=None) as batch_op:
        batch_op.drop_column('exemption_field')

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_column('ksef_lookups')
        batch_op.drop_column('ksef_upo_sha256')
        batch_op.drop_column('ksef_upo')
        batch_op.drop_column('ksef_mode')

    with op.batch_alter_table('ksef_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ksef_session_closed_at'))

    op.drop_table('ksef_session')
