"""A day's figures from the sales themselves: counts, gross, discounts, refunds, voids, net, and the
split by payment method, category and VAT code. A sale belongs to the business day of the till
session it was completed in (the shop's date when that till was opened), so a session that runs past
midnight stays whole in one report."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from ..auth.models import User
from ..catalog.models import Category, Item
from ..extensions import db
from ..till.models import Payment, Sale, SaleKind, SaleLine, SaleStatus


def utc_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's start and end in naive UTC (how timestamps are stored)."""
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Warsaw"))
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(timezone.utc).replace(tzinfo=None)
    return start, end


def figures(day: date) -> dict:
    """Everything the day report and its exports show, in grosze; every total is a sum of records."""
    start, end = utc_bounds(day)
    done = (Sale.business_date == day) & (Sale.status == SaleStatus.COMPLETED)

    by_kind = {kind: (int(count), int(total or 0), int(discount or 0)) for kind, count, total, discount in
               db.session.execute(select(Sale.kind, func.count(), func.sum(Sale.total_minor),
                                         func.sum(Sale.discount_minor)).where(done).group_by(Sale.kind))}
    sales_count, gross_after_basket, basket_discounts = by_kind.get(SaleKind.SALE, (0, 0, 0))
    refund_count, refunds, _ = by_kind.get(SaleKind.REFUND, (0, 0, 0))
    line_discounts = int(db.session.scalar(
        select(func.coalesce(func.sum(SaleLine.unit_price_minor * SaleLine.quantity - SaleLine.total_minor
                                      - SaleLine.basket_discount_minor), 0))
        .join(Sale, Sale.id == SaleLine.sale_id).where(done, Sale.kind == SaleKind.SALE)))
    discounts = basket_discounts + line_discounts
    voids = db.session.execute(select(func.count()).select_from(Sale).where(
        Sale.business_date == day, Sale.status == SaleStatus.VOIDED)).scalar_one()
    numbers = db.session.execute(select(func.min(Sale.number), func.max(Sale.number)).where(done)).one()

    def split(column, join=None, ident=None):
        """Sales minus refunds, per value of ``column`` (with ``ident``, each entry keeps that id too,
        so the journal finds a category's account even after the category is renamed)."""
        keys = (column,) if ident is None else (column, ident)
        query = select(*keys, Sale.kind, func.sum(SaleLine.total_minor)).join(Sale, Sale.id == SaleLine.sale_id)
        if join is not None:
            query = query.join(*join)
        rows = db.session.execute(query.where(done).group_by(*keys, Sale.kind)).all()
        out: dict[str, dict[str, int]] = {}
        for row in rows:
            key, kind, amount = row[0], row[-2], row[-1]
            entry = out.setdefault(str(key), {"sales_minor": 0, "refunds_minor": 0})
            if ident is not None:
                entry["id"] = row[1]
            entry["sales_minor" if kind is SaleKind.SALE else "refunds_minor"] += int(amount or 0)
        for entry in out.values():
            entry["net_minor"] = entry["sales_minor"] - entry["refunds_minor"]
        return dict(sorted(out.items()))

    payments: dict[str, dict[str, int]] = {}
    for method, kind, amount, tendered, change in db.session.execute(
            select(Payment.method, Sale.kind, func.sum(Payment.amount_minor), func.sum(Payment.tendered_minor),
                   func.sum(Payment.change_minor)).join(Sale, Sale.id == Payment.sale_id).where(done)
            .group_by(Payment.method, Sale.kind)):
        entry = payments.setdefault(method.value, {"sales_minor": 0, "refunds_minor": 0, "tendered_minor": 0,
                                                   "change_minor": 0})
        if kind is SaleKind.SALE:
            entry["sales_minor"] += int(amount or 0)
            entry["tendered_minor"] += int(tendered or 0)
            entry["change_minor"] += int(change or 0)
        else:
            entry["refunds_minor"] += int(amount or 0)
    for entry in payments.values():
        entry["net_minor"] = entry["sales_minor"] - entry["refunds_minor"]

    items_sold = int(db.session.scalar(select(func.coalesce(func.sum(SaleLine.quantity), 0))
                                       .join(Sale, Sale.id == SaleLine.sale_id).where(done, Sale.kind == SaleKind.SALE)))
    items_in = int(db.session.scalar(select(func.count()).select_from(Item).where(
        Item.created_at >= start, Item.created_at < end)))
    on_duty = sorted(db.session.scalars(select(User.name).join(Sale, Sale.cashier_id == User.id)
                                        .where(done).distinct()))
    return {
        "date": day.isoformat(),
        "first_receipt": numbers[0], "last_receipt": numbers[1],
        "sales_count": sales_count, "refunds_count": refund_count, "voids_count": int(voids),
        "gross_minor": gross_after_basket + discounts, "discounts_minor": discounts,
        "refunds_minor": refunds, "net_minor": gross_after_basket - refunds,
        "by_payment_method": dict(sorted(payments.items())),
        "by_category": split(Category.name, (Category, Category.id == SaleLine.category_id), Category.id),
        "by_vat_code": split(SaleLine.vat_code),
        "items_sold": items_sold, "items_taken_in": items_in, "on_duty": on_duty,
    }
