"""Wrong PINs and passwords are counted per source (the address that typed them; for approvals, the
volunteer asking) in a new throttle table, and make that source wait longer and longer; nobody's PIN is
locked for everyone any more, so the per-person lock columns go.

Revision ID: b9c7d1e3f5a2
Revises: f0b2c4d6e8a1
Create Date: 2026-12-07 20:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b9c7d1e3f5a2'
down_revision = 'f0b2c4d6e8a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('wait_until', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_throttle_user_id_user')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle'))
    )
    with op.batch_alter_table('throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('password_failed_attempts')
        batch_op.drop_column('failed_attempts')
        batch_op.drop_column('password_locked_until')
        batch_op.drop_column('locked_until')



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('password_locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), server_default=sa.text("'0'"), nullable=False))
        batch_op.add_column(sa.Column('password_failed_attempts', sa.Integer(), server_default=sa.text("'0'"), nullable=False))

    with op.batch_alter_table('throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_user_id'))

    op.drop_table('throttle')
