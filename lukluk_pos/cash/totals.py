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

from sqlalchemy import false, func, or_, select

from ..catalog.models import Item
from ..extensions import db
from ..till.models import Payment, Sale, SaleKind, SaleLine, SaleStatus
from .models import BusinessDay, DayStatus, DayTotal, ZReport

DIMENSIONS = ("day", "category", "cashier", "method", "buyer", "batch")
#: Summed over a period (``batch`` is followed to date). ``buyer`` is ``private`` (no NIP on the
#: receipt: the fiscal exemption's turnover) or ``business``.
PERIOD_KEYS = ("category", "cashier", "method", "buyer")
#: Bounds of "all time" for the reports that follow a donation's goods to whenever they sold.
EVER = (date(2000, 1, 1), date(2199, 12, 31))


@dataclass(slots=True)
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
        self.sales_count += other.sales_count
        self.sales_quantity += other.sales_quantity
        self.sales_minor += other.sales_minor
        self.refunds_count += other.refunds_count
        self.refunds_quantity += other.refunds_quantity
        self.refunds_minor += other.refunds_minor
        self.discounts_minor += other.discounts_minor
        self.voids_count += other.voids_count

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
        self._start, self._end = start, end
        summed, self._stale = _summed_days(start, end)
        columns = [getattr(DayTotal, name) for name in SUM_FIELDS]
        self.by_day: dict[date, Sums] = {}
        if summed:
            self.by_day = {day: _sums(row) for day, *row in db.session.execute(
                select(DayTotal.day, *columns).where(DayTotal.day.between(start, end), DayTotal.dimension == "day",
                                                     *_fresh(self._stale)))}
        self._any_stored = bool(summed)
        self._open = _gaps(start, end, summed)
        for (day, _dimension, _key), sums in from_records(self._open, ("day",)).items():
            self.by_day.setdefault(day, Sums()).add(sums)
        self._by_key: dict[str, dict[str, Sums]] = {}

    def of(self, dimension: str) -> dict[str, Sums]:
        """Per key of ``dimension`` (one of ``PERIOD_KEYS``), summed over the period."""
        if dimension not in self._by_key:
            found: dict[str, Sums] = defaultdict(Sums)
            if self._any_stored:
                columns = [func.sum(getattr(DayTotal, name)) for name in SUM_FIELDS]
                for key, *row in db.session.execute(
                        select(DayTotal.key, *columns)
                        .where(DayTotal.day.between(self._start, self._end), DayTotal.dimension == dimension,
                               *_fresh(self._stale))
                        .group_by(DayTotal.key)):
                    found[key].add(_sums(row))
            for (_day, _dimension, key), sums in from_records(self._open, (dimension,)).items():
                found[key].add(sums)
            self._by_key[dimension] = found
        return self._by_key[dimension]


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
            if key is not None:  # a sale is completed by someone; the report names people only
                out[(day, "cashier", str(key))].add_kind(kind, count, quantity, total)
    if "method" in only:
        for day, key, kind, count, total in db.session.execute(
                select(Sale.business_date, Payment.method, Sale.kind, func.count(), func.sum(Payment.amount_minor))
                .join(Sale, Sale.id == Payment.sale_id).where(done)
                .group_by(Sale.business_date, Payment.method, Sale.kind)):
            out[(day, "method", key.value)].add_kind(kind, count, 0, total)
    if "buyer" in only:
        private = Sale.buyer_nip == ""
        for day, is_private, kind, count, quantity, total in db.session.execute(
                select(Sale.business_date, private, Sale.kind, func.count(), func.sum(Sale.item_count),
                       func.sum(Sale.total_minor)).where(done).group_by(Sale.business_date, private, Sale.kind)):
            out[(day, "buyer", "private" if is_private else "business")].add_kind(kind, count, quantity, total)
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


def _summed_days(start: date, end: date) -> tuple[set[date], list[int]]:
    """The days between ``start`` and ``end`` whose stored sums stand (closed now, and their last Z
    report has sums), and the Z reports whose sums no longer count (a day reopened, or closed again
    since: the last Z report's sums replace the earlier ones). Usually that second list is empty."""
    # The first Z report with sums: rows are written in the order days close, so the first row's.
    first = db.session.scalar(select(DayTotal.z_report_id).order_by(DayTotal.id).limit(1))
    if first is None:
        return set(), []
    latest: dict[date, int] = {}
    reports = db.session.execute(select(ZReport.id, ZReport.day, BusinessDay.status)
                                 .join(BusinessDay, BusinessDay.day == ZReport.day)
                                 .where(ZReport.day.between(start, end), ZReport.id >= first)).all()
    closed = {day for _id, day, status in reports if status is DayStatus.CLOSED}
    for report_id, day, _status in reports:
        latest[day] = max(latest.get(day, report_id), report_id)
    stale = [report_id for report_id, day, _status in reports if day not in closed or latest[day] != report_id]
    # A day whose last Z report came before the sums existed is not summed (its earlier rows: none).
    summed = {day for day in closed if latest[day] >= first}
    return summed, stale


def _fresh(stale: list[int]) -> tuple:
    return (DayTotal.z_report_id.not_in(stale),) if stale else ()


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
    summed, stale = _summed_days(*EVER)
    keys = [str(b) for b in batch_ids]
    columns = [func.sum(getattr(DayTotal, name)) for name in SUM_FIELDS]
    out: dict[int, Sums] = defaultdict(Sums)
    if summed:
        for key, *row in db.session.execute(
                select(DayTotal.key, *columns).where(DayTotal.dimension == "batch", DayTotal.key.in_(keys),
                                                     *_fresh(stale)).group_by(DayTotal.key)):
            out[int(key)].add(_sums(row))
    wanted = set(keys)
    for (_day, _dimension, key), sums in from_records(_gaps(*EVER, summed), ("batch",)).items():
        if key in wanted:
            out[int(key)].add(sums)
    return out
