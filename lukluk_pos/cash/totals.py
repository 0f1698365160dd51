"""A day's sales summed once, at closing, for reports over long periods.

When a day closes, its sales are summed per day, category, cashier, payment method and donation batch
into ``DayTotal`` rows, written with the Z report in the same transaction (``write``). A closed day
never changes (corrections are adjustments on a later day), so a report over a year reads about 30
rows per closed day. The days that are not closed yet, typically today, are summed from the sales
themselves with the same function (``from_records``), so a period's figures are always exact and equal
to the day reports. A day closed before these rows existed, or reopened, is summed from its sales too.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, timedelta

from sqlalchemy import and_, false, func, or_, select

from ..catalog.models import Item
from ..extensions import db
from ..till.models import Payment, Sale, SaleKind, SaleLine, SaleStatus
from .models import BusinessDay, DayStatus, DayTotal, ZReport

DIMENSIONS = ("day", "category", "cashier", "method", "batch")
PERIOD_KEYS = ("category", "cashier", "method")  #: summed over a period (``batch`` is followed to date)
#: Bounds of "all time" for the reports that follow a donation's goods to whenever they sold.
EVER = (date(2000, 1, 1), date(2199, 12, 31))


@dataclass
class Sums:
    sales_count: int = 0
    sales_quantity: int = 0
    sales_minor: int = 0
    refunds_count: int = 0
    refunds_quantity: int = 0
    refunds_minor: int = 0
    discounts_minor: int = 0
    voids_count: int = 0

    def add(self, other: Sums) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def add_kind(self, kind: SaleKind, count: int, quantity, amount) -> None:
        if kind is SaleKind.SALE:
            self.sales_count += int(count or 0)
            self.sales_quantity += int(quantity or 0)
            self.sales_minor += int(amount or 0)
        else:
            self.refunds_count += int(count or 0)
            self.refunds_quantity += int(quantity or 0)
            self.refunds_minor += int(amount or 0)

    @property
    def net_minor(self) -> int:
        return self.sales_minor - self.refunds_minor

    @property
    def net_quantity(self) -> int:
        return self.sales_quantity - self.refunds_quantity


SUM_FIELDS = tuple(f.name for f in fields(Sums))


class Totals:
    """A period's sales: per day, and (read when first asked) per dimension and key summed over the
    period. Closed days come from their stored rows, the other days from the sales."""

    def __init__(self, start: date, end: date):
        self._latest = _latest_reports(start, end)
        columns = [getattr(DayTotal, name) for name in SUM_FIELDS]
        self.by_day: dict[date, Sums] = {day: _sums(row) for day, *row in db.session.execute(
            select(DayTotal.day, *columns).where(DayTotal.z_report_id.in_(self._latest), DayTotal.dimension == "day"))}
        self._any_stored = bool(self.by_day)
        self._open = _gaps(start, end, set(self.by_day))
        for (day, _dimension, _key), sums in from_records(self._open, ("day",)).items():
            self.by_day.setdefault(day, Sums()).add(sums)
        self._by_key: dict[str, dict[str, Sums]] | None = None

    def of(self, dimension: str) -> dict[str, Sums]:
        if self._by_key is None:
            self._by_key = defaultdict(lambda: defaultdict(Sums))
            if self._any_stored:
                columns = [func.sum(getattr(DayTotal, name)) for name in SUM_FIELDS]
                for key_dimension, key, *row in db.session.execute(
                        select(DayTotal.dimension, DayTotal.key, *columns)
                        .where(DayTotal.z_report_id.in_(self._latest), DayTotal.dimension.in_(PERIOD_KEYS))
                        .group_by(DayTotal.dimension, DayTotal.key)):
                    self._by_key[key_dimension][key].add(_sums(row))
            for (_day, key_dimension, key), sums in from_records(self._open, PERIOD_KEYS).items():
                self._by_key[key_dimension][key].add(sums)
        return self._by_key.get(dimension, {})


def _in_ranges(ranges: list[tuple[date, date]]):
    if not ranges:
        return false()
    return or_(*[Sale.business_date.between(low, high) for low, high in ranges])


def from_records(ranges: list[tuple[date, date]], only: tuple[str, ...] = DIMENSIONS
                 ) -> dict[tuple[date, str, str], Sums]:
    """The sales of the days in ``ranges`` summed per (day, dimension, key), from the records (the
    dimensions in ``only``)."""
    out: dict[tuple[date, str, str], Sums] = defaultdict(Sums)
    if not ranges:
        return out
    days = _in_ranges(ranges)
    done = days & (Sale.status == SaleStatus.COMPLETED)
    if "day" in only:
        _day_sums(out, days, done)
    if "category" in only:
        for day, key, kind, count, quantity, total in db.session.execute(
                select(Sale.business_date, SaleLine.category_id, Sale.kind, func.count(), func.sum(SaleLine.quantity),
                       func.sum(SaleLine.total_minor)).join(Sale, Sale.id == SaleLine.sale_id).where(done)
                .group_by(Sale.business_date, SaleLine.category_id, Sale.kind)):
            out[(day, "category", str(key))].add_kind(kind, count, quantity, total)
    if "cashier" in only:
        for day, key, kind, count, quantity, total in db.session.execute(
                select(Sale.business_date, Sale.cashier_id, Sale.kind, func.count(), func.sum(Sale.item_count),
                       func.sum(Sale.total_minor)).where(done).group_by(Sale.business_date, Sale.cashier_id, Sale.kind)):
            out[(day, "cashier", str(key))].add_kind(kind, count, quantity, total)
    if "method" in only:
        for day, key, kind, count, total in db.session.execute(
                select(Sale.business_date, Payment.method, Sale.kind, func.count(), func.sum(Payment.amount_minor))
                .join(Sale, Sale.id == Payment.sale_id).where(done)
                .group_by(Sale.business_date, Payment.method, Sale.kind)):
            out[(day, "method", key.value)].add_kind(kind, count, 0, total)
    if "batch" in only:
        for day, key, kind, count, quantity, total in db.session.execute(
                select(Sale.business_date, Item.batch_id, Sale.kind, func.count(), func.sum(SaleLine.quantity),
                       func.sum(SaleLine.total_minor)).join(Sale, Sale.id == SaleLine.sale_id)
                .join(Item, Item.id == SaleLine.item_id).where(done, Item.batch_id.is_not(None))
                .group_by(Sale.business_date, Item.batch_id, Sale.kind)):
            out[(day, "batch", str(key))].add_kind(kind, count, quantity, total)
    return out


def _day_sums(out: dict, days, done) -> None:
    """Per day: sales and refunds (count, items, amount), discounts given and baskets voided."""
    for day, kind, count, total, quantity, discount in db.session.execute(
            select(Sale.business_date, Sale.kind, func.count(), func.sum(Sale.total_minor), func.sum(Sale.item_count),
                   func.sum(Sale.discount_minor)).where(done).group_by(Sale.business_date, Sale.kind)):
        entry = out[(day, "day", "")]
        entry.add_kind(kind, count, quantity, total)
        if kind is SaleKind.SALE:
            entry.discounts_minor += int(discount or 0)
    for day, amount in db.session.execute(
            select(Sale.business_date, func.sum(SaleLine.unit_price_minor * SaleLine.quantity - SaleLine.total_minor
                                                - SaleLine.basket_discount_minor))
            .join(Sale, Sale.id == SaleLine.sale_id).where(done, Sale.kind == SaleKind.SALE)
            .group_by(Sale.business_date)):
        out[(day, "day", "")].discounts_minor += int(amount or 0)
    for day, count in db.session.execute(
            select(Sale.business_date, func.count()).where(days, Sale.status == SaleStatus.VOIDED)
            .group_by(Sale.business_date)):
        out[(day, "day", "")].voids_count += int(count)


def write(report: ZReport) -> None:
    """Store the closing day's sums with its Z report (in the closing transaction). A ``day`` row is
    written even for a day without sales: it marks the day as summed."""
    rows = from_records([(report.day, report.day)])
    rows.setdefault((report.day, "day", ""), Sums())
    db.session.add_all(DayTotal(z_report_id=report.id, day=day, dimension=dimension, key=key,
                                **{name: getattr(sums, name) for name in SUM_FIELDS})
                       for (day, dimension, key), sums in rows.items())


def _latest_reports(start: date, end: date):
    """The last Z report of every day between ``start`` and ``end`` that is closed now."""
    return (select(func.max(ZReport.id)).join(BusinessDay, BusinessDay.day == ZReport.day)
            .where(ZReport.day.between(start, end), BusinessDay.status == DayStatus.CLOSED).group_by(ZReport.day))


def _sums(row) -> Sums:
    return Sums(*(int(value or 0) for value in row))


def _gaps(start: date, end: date, summed: set[date]) -> list[tuple[date, date]]:
    """The runs of days between ``start`` and ``end`` (inclusive) that are not in ``summed``."""
    ranges, low = [], start
    for day in sorted(d for d in summed if start <= d <= end):
        if day > low:
            ranges.append((low, day - timedelta(days=1)))
        low = day + timedelta(days=1)
    if low <= end:
        ranges.append((low, end))
    return ranges


def for_period(start: date, end: date) -> Totals:
    """The sales of the days from ``start`` to ``end``: closed days from their stored rows, the others
    (today, a reopened day, a day closed before the rows existed) from the sales."""
    return Totals(start, end)


def batch_sales(batch_ids: list[int]) -> dict[int, Sums]:
    """What the goods of these donation batches have sold for, to date (whenever they sold)."""
    if not batch_ids:
        return {}
    latest = _latest_reports(*EVER)
    keys = [str(b) for b in batch_ids]
    columns = [func.sum(getattr(DayTotal, name)) for name in SUM_FIELDS]
    summed = set(db.session.scalars(select(DayTotal.day).where(DayTotal.z_report_id.in_(latest),
                                                               DayTotal.dimension == "day")))
    out: dict[int, Sums] = defaultdict(Sums)
    for key, *row in db.session.execute(
            select(DayTotal.key, *columns).where(and_(DayTotal.dimension == "batch", DayTotal.key.in_(keys),
                                                      DayTotal.z_report_id.in_(latest))).group_by(DayTotal.key)):
        out[int(key)].add(_sums(row))
    wanted = set(keys)
    for (_day, _dimension, key), sums in from_records(_gaps(*EVER, summed), ("batch",)).items():
        if key in wanted:
            out[int(key)].add(sums)
    return out
