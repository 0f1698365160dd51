"""fiscal printer, round 2: the in-flight mark as two integer columns, the device's turn as a lease row,
the daily report marked before it prints, the returns register's goods as on the receipt

Revision ID: b3f1c2d4e5a6
Revises: 9e2b7c4d1a05
Create Date: 2026-12-07 12:40:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b3f1c2d4e5a6'
down_revision = '9e2b7c4d1a05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_flight_reports', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('in_flight_receipt', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('names', sa.JSON(), nullable=True))
    # The JSON mark becomes two integers; the JSON literal null (a settled mark) becomes SQL NULL.
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, in_flight FROM fiscal_registration WHERE in_flight IS NOT NULL")).all()
    for row_id, raw in rows:
        mark = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(mark, list) and len(mark) == 2:
            conn.execute(sa.text("UPDATE fiscal_registration SET in_flight_reports = :r, in_flight_receipt = :n "
                                 "WHERE id = :id"), {"r": int(mark[0]), "n": int(mark[1]), "id": row_id})
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.drop_column('in_flight')

    op.create_table(
        'fiscal_device',
        sa.Column('key', sa.String(length=220), nullable=False),
        sa.Column('holder', sa.String(length=120), nullable=True),
        sa.Column('held_until', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_fiscal_device')),
    )
    op.create_table(
        'fiscal_daily_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('device', sa.String(length=220), nullable=False),
        sa.Column('business_date', sa.Date(), nullable=False),
        sa.Column('status', sa.Enum('marked', 'printed', name='dailyreportstatus', native_enum=False,
                                    length=16), nullable=False),
        sa.Column('reports_before', sa.Integer(), nullable=False),
        sa.Column('by_vat', sa.JSON(), nullable=False),
        sa.Column('receipts', sa.Integer(), nullable=True),
        sa.Column('device_date', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('printed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fiscal_daily_report')),
        sa.UniqueConstraint('device', 'business_date', name='uq_fiscal_daily_report_day'),
    )
    with op.batch_alter_table('fiscal_register_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('goods', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('fiscal_register_entry', schema=None) as batch_op:
        batch_op.drop_column('goods')
    op.drop_table('fiscal_daily_report')
    op.drop_table('fiscal_device')
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_flight', sa.JSON(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, in_flight_reports, in_flight_receipt FROM fiscal_registration "
                                "WHERE in_flight_reports IS NOT NULL")).all()
    for row_id, reports, receipt in rows:
        conn.execute(sa.text("UPDATE fiscal_registration SET in_flight = :m WHERE id = :id"),
                     {"m": json.dumps([reports, receipt]), "id": row_id})
    with op.batch_alter_table('fiscal_registration', schema=None) as batch_op:
        batch_op.drop_column('names')
        batch_op.drop_column('in_flight_receipt')
        batch_op.drop_column('in_flight_reports')
