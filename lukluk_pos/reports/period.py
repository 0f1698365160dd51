"""Reports over any period: sales by day/week/month, category, payment method and person; average sale;
sell-through and days to sell; donation intake; discounts, refunds and voids; and the shop's social
impact (second life, kilograms kept from landfill, value per donation and source, hours at the till).

The sales reports add up each day's sums (``cash.totals``: a closed day's stored at its closing, the
other days' summed from the sales), by business day, so a day here equals that day's Z report; the
stock, donation and people reports are SQL aggregates over the records. Each returns an
``exports.Table``; the registry at the bottom gives each one its
title and chart, and the page, the SVG, the CSV and the XLSX are all drawn from that one table.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..auth.models import LoginSession, SignInMethod, User
from ..cash import service as cash
from ..cash import totals
from ..cash.figures import utc_bounds
from ..catalog.models import Category, Item, ItemKind, ItemStatus
from ..core import validation
from ..core.errors import InvalidInput
from ..extensions import db
from ..intake.models import Cause, Destination, DonationBatch, ItemRemoval
from ..stock import figures as stock_figures
from ..stock.service import PRICE_BANDS, band_label, band_sql
from .exports import Money, Table, method_names

GRAINS = ("day", "week", "month")
MAX_DAYS = 10 * 366  #: ten years: a whole history fits, a typo in the year does not run away


@dataclass(frozen=True)
class Period:
    start: date
    end: date  #: inclusive
    grain: str = "day"

    @property
    def utc(self) -> tuple[datetime, datetime]:
        return utc_bounds(self.start)[0], utc_bounds(self.end)[1]


def parse_period(start: str | None, end: str | None, grain: str | None) -> Period:
    """The period from the page's fields; by default the last 30 days, by day."""
    today = cash.today()
    try:
        last = validation.iso_day(end) if end else today
        first = validation.iso_day(start) if start else last - timedelta(days=29)
    except ValueError:
        raise InvalidInput(_l("Give the days as YYYY-MM-DD."), field="start") from None
    if first > last:
        raise InvalidInput(_l("The period starts after it ends."), field="start")
    if (last - first).days > MAX_DAYS:
        raise InvalidInput(_l("Choose at most ten years."), field="start")
    grain = grain if grain in GRAINS else ("day" if (last - first).days <= 62 else "month")
    return Period(first, last, grain)


def bucket(day: date, grain: str) -> str:
    if grain == "week":
        monday = day - timedelta(days=day.weekday())
        return f"{monday.isocalendar().year}-W{monday.isocalendar().week:02d}"
    if grain == "month":
        return f"{day:%Y-%m}"
    return day.isoformat()


def _period_cell(key: str, grain: str):
    """A table's period: a day as a date (the page writes it the Polish way, a spreadsheet gets a date
    cell, a CSV its ISO text); a week or month as its label."""
    return date.fromisoformat(key) if grain == "day" else key


def _days_between(later, earlier):
    if db.engine.dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return func.extract("epoch", later - earlier) / 86400.0


# --- sales -----------------------------------------------------------------------------------------

def _totals(p: Period) -> totals.Totals:
    """The period's sales: closed days read from their stored sums, the others summed now (kept for the
    request, as one page shows several reports of the same period)."""
    cache = g.setdefault("period_totals", {}) if has_request_context() else {}
    if (p.start, p.end) not in cache:
        cache[(p.start, p.end)] = totals.for_period(p.start, p.end)
    return cache[(p.start, p.end)]


def _id(key: str) -> int | None:
    """A stored key back to the id it names (a line without a category was stored as "None")."""
    return int(key) if key.isdigit() else None


def _by_bucket(p: Period) -> dict[str, totals.Sums]:
    out: dict[str, totals.Sums] = {}
    for day, sums in _totals(p).by_day.items():
        out.setdefault(bucket(day, p.grain), totals.Sums()).add(sums)
    return out


def sales_over_time(p: Period) -> Table:
    """Per day, week or month: sales, refunds, net (each day's net is its Z report's), average sale and
    items per sale."""
    t = Table(_("Sales over time"), [_("Period"), _("Sales"), _("Sales total"), _("Refunded"), _("Net sales"),
                                     _("Average sale"), _("Items per sale")])
    for key, s in sorted(_by_bucket(p).items()):
        if not (s.sales_count or s.refunds_count):
            continue
        count, total = s.sales_count, s.sales_minor
        t.rows.append([_period_cell(key, p.grain), count, Money(total), Money(s.refunds_minor), Money(s.net_minor),
                       Money((total + count // 2) // count if count else 0),
                       round(s.sales_quantity / count, 2) if count else 0])
    return t


def by_category(p: Period) -> Table:
    names = dict(db.session.execute(select(Category.id, Category.name)).all())
    t = Table(_("Sales by category"), [_("Category"), _("Items sold"), _("Net sales")])
    t.rows = sorted([names.get(_id(key), "?"), s.net_quantity, Money(s.net_minor)]
                    for key, s in _totals(p).of("category").items())
    return t


def by_payment(p: Period) -> Table:
    names = method_names()
    t = Table(_("Sales by payment method"), [_("Payment method"), _("Sales total"), _("Refunded"), _("Net sales")])
    t.rows = [[names.get(m, m), Money(s.sales_minor), Money(s.refunds_minor), Money(s.net_minor)]
              for m, s in sorted(_totals(p).of("method").items())]
    return t


def by_person(p: Period) -> Table:
    people = dict(db.session.execute(select(User.id, User.name)).all())
    per_name: dict[str, totals.Sums] = {}
    for key, s in _totals(p).of("cashier").items():
        per_name.setdefault(people.get(_id(key), "?"), totals.Sums()).add(s)
    t = Table(_("Sales by person"), [_("Person"), _("Sales"), _("Net sales"), _("Average sale")])
    for name, s in sorted(per_name.items()):
        count, net = s.sales_count, s.net_minor
        t.rows.append([name, count, Money(net), Money((net + count // 2) // count if count else 0)])
    return t


def adjustments_table(p: Period) -> Table:
    """Discounts, refunds and voids per day, week or month."""
    t = Table(_("Discounts, refunds and voids"), [_("Period"), _("Discounts"), _("Refunds"), _("Refunded"),
                                                  _("Voided baskets")])
    t.rows = [[_period_cell(key, p.grain), Money(s.discounts_minor), s.refunds_count, Money(s.refunds_minor), s.voids_count]
              for key, s in sorted(_by_bucket(p).items()) if s.sales_count or s.refunds_count or s.voids_count]
    return t


# --- stock and donations -----------------------------------------------------------------------------

def _cohort(p: Period):
    start, end = p.utc
    return (Item.created_at >= start) & (Item.created_at < end) & (Item.kind == ItemKind.UNIQUE)


def stock_as_at() -> datetime | None:
    """When the stored stock figures were summed (after the last close), kept for the request."""
    if not has_request_context():
        return stock_figures.taken_at()
    if "stock_as_at" not in g:
        g.stock_as_at = stock_figures.taken_at()
    return g.stock_as_at


def _cohort_rows(p: Period) -> list[tuple]:
    """The period's intake cohort summed per (category, price band): taken in, sold, days to sell: the
    figures stored after the last close (``stock.figures``) plus the items taken in since, from the
    items. Both sell-through reports read it, so a page showing both sums it once (kept for the request)."""
    cache = g.setdefault("sell_through_cohorts", {}) if has_request_context() else {}
    if p not in cache:
        sold = Item.status == ItemStatus.SOLD
        band = band_sql(Item.price_minor)
        live = _cohort(p)
        at = stock_as_at()
        stored = stock_figures.cohort(p.start, p.end) if at is not None else []
        if at is not None:  # only what was taken in since the figures: one range of the intake-time index
            start, end = p.utc
            live = (Item.created_at >= max(start, at)) & (Item.created_at < end) & (Item.kind == ItemKind.UNIQUE)
        cache[p] = list(stored) + list(db.session.execute(
            select(Item.category_id, band, func.count(), func.sum(case((sold, 1), else_=0)),
                   func.sum(case((sold, _days_between(Item.sold_at, Item.created_at)), else_=0)))
            .where(live).group_by(Item.category_id, band)).all())
    return cache[p]


def _sell_through(p: Period, index: int, label) -> list[list]:
    totals: dict = {}
    for row in _cohort_rows(p):
        entry = totals.setdefault(row[index], [0, 0, 0.0])
        entry[0] += int(row[2])
        entry[1] += int(row[3] or 0)
        entry[2] += float(row[4] or 0)
    return [[label(key), n, s, round(100 * s / n, 1) if n else 0, round(days / s, 1) if s else ""]
            for key, (n, s, days) in sorted(totals.items())]


def sell_through_category(p: Period) -> Table:
    """Of the unique items taken in during the period: how many have sold, and how fast."""
    names = dict(db.session.execute(select(Category.id, Category.name)).all())
    t = Table(_("Sell-through by category"), [_("Category"), _("Taken in"), _("Sold"), _("Sell-through %"),
                                              _("Average days to sell")])
    t.rows = sorted(_sell_through(p, 0, lambda k: names.get(k, "?")), key=lambda r: r[0])
    return t


def sell_through_band(p: Period) -> Table:
    t = Table(_("Sell-through by price band"), [_("Price band"), _("Taken in"), _("Sold"), _("Sell-through %"),
                                                _("Average days to sell")])
    t.rows = _sell_through(p, 1, lambda k: band_label(*PRICE_BANDS[k]))
    return t


def _realised_by_batch(p: Period) -> dict[int, int]:
    """Net sales of the period's donations' items per batch (sales minus refunds, to date): closed days
    from their stored sums per batch, the days since from the sales (kept for the request)."""
    cache = g.setdefault("period_realised", {}) if has_request_context() else {}
    if p not in cache:
        batches = [row[0] for row in _batches(p)]
        cache[p] = {batch: s.net_minor for batch, s in totals.batch_sales(batches).items()}
    return cache[p]


def _batches(p: Period) -> list[tuple]:
    """The donations received in the period: id, when, source, tag colour (kept for the request)."""
    cache = g.setdefault("period_batches", {}) if has_request_context() else {}
    if p not in cache:
        start, end = p.utc
        cache[p] = list(db.session.execute(
            select(DonationBatch.id, DonationBatch.received_at, DonationBatch.source, DonationBatch.tag_colour)
            .where(DonationBatch.received_at >= start, DonationBatch.received_at < end).order_by(DonationBatch.id)))
    return cache[p]


def _batch_items(p: Period) -> dict[int, tuple[int, int]]:
    """Per donation of the period: its items and their prices, as stored after the last close plus the
    items taken in since (or all from the items, before the first close)."""
    ids = [row[0] for row in _batches(p)]
    if not ids:
        return {}
    at = stock_as_at()
    out = stock_figures.batch_items(ids) if at is not None else {}
    if at is None:
        since = db.session.execute(select(Item.batch_id, func.count(), func.coalesce(func.sum(Item.price_minor), 0))
                                   .where(Item.batch_id.in_(ids)).group_by(Item.batch_id))
    else:  # the items taken in after the figures (a range of the intake-time index), summed here
        counted: dict[int, list[int]] = {}
        for batch_id, price in db.session.execute(select(Item.batch_id, Item.price_minor).where(Item.created_at >= at)):
            entry = counted.setdefault(batch_id, [0, 0])
            entry[0] += 1
            entry[1] += price
        since = [(batch_id, n, priced) for batch_id, (n, priced) in counted.items()]
    wanted = set(ids)
    for batch_id, n, priced in since:
        if batch_id in wanted:
            stored = out.get(batch_id, (0, 0))
            out[batch_id] = (stored[0] + int(n), stored[1] + int(priced))
    return out


def intake_table(p: Period) -> Table:
    """Donations received in the period by source: batches, items, the value priced and realised."""
    items, realised = _batch_items(p), _realised_by_batch(p)
    sums: dict = {}
    for batch_id, _at, source, _colour in _batches(p):
        entry = sums.setdefault(source, [0, 0, 0, 0])
        n, priced = items.get(batch_id, (0, 0))
        entry[0] += 1
        entry[1] += n
        entry[2] += priced
        entry[3] += realised.get(batch_id, 0)
    names = source_names()
    t = Table(_("Donations taken in"), [_("Source"), _("Donations"), _("Items"), _("Value priced"),
                                        _("Value realised")])
    t.rows = [[names.get(s.value, s.value), b, n, Money(v), Money(r)]
              for s, (b, n, v, r) in sorted(sums.items(), key=lambda kv: kv[0].value)]
    return t


def source_names() -> dict[str, str]:
    return {"anonymous": _("Anonymous (left at the door)"), "individual": _("A person"),
            "business": _("A business"), "partner": _("A partner organisation")}


def value_by_batch(p: Period) -> Table:
    items, realised = _batch_items(p), _realised_by_batch(p)
    names = source_names()
    t = Table(_("Value raised per donation"), [_("Donation"), _("Received"), _("Source"), _("Items"),
                                                _("Value realised")])
    t.rows = [[f"{_('No.')} {b}", cash.local_date(at), names.get(s.value, s.value),
               items.get(b, (0, 0))[0], Money(realised.get(b, 0))] for b, at, s, _colour in _batches(p)]
    return t


def removals_table(p: Period) -> Table:
    """Items taken off the floor unsold, by cause and where they went (counted apart from sales)."""
    start, end = p.utc
    from ..stock.views import cause_names, destination_names

    rows = db.session.execute(
        select(ItemRemoval.cause, ItemRemoval.destination, func.count(), func.coalesce(func.sum(Item.price_minor), 0))
        .join(Item, Item.id == ItemRemoval.item_id)
        .where(ItemRemoval.created_at >= start, ItemRemoval.created_at < end)
        .group_by(ItemRemoval.cause, ItemRemoval.destination)).all()
    causes, places = cause_names(), destination_names()
    t = Table(_("Write-offs and pulls"), [_("Why"), _("Where it went"), _("Items"), _("Price on the label")])
    t.rows = sorted([[causes[c.value], places[d.value], int(n), Money(int(v))] for c, d, n, v in rows])
    return t


# --- impact ------------------------------------------------------------------------------------------

SECOND_LIFE_PLACES = (Destination.PARTNER, Destination.TEXTILE_RECYCLING)


def impact(p: Period) -> dict:
    """Goods given a second life (sold, less refunds; or passed to partners or textile recycling), their
    estimated weight kept out of landfill from the categories' weights, and money raised."""
    weights = dict(db.session.execute(select(Category.id, Category.weight_g)).all())
    by_category = _totals(p).of("category")
    sold = (sum(s.net_quantity for s in by_category.values()),
            sum(s.net_quantity * (weights.get(_id(key)) or 0) for key, s in by_category.items()),
            sum(s.net_minor for s in by_category.values()))
    start, end = p.utc
    passed = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Category.weight_g), 0))
        .select_from(ItemRemoval).join(Item, Item.id == ItemRemoval.item_id)
        .join(Category, Category.id == Item.category_id)
        .where(ItemRemoval.created_at >= start, ItemRemoval.created_at < end,
               ItemRemoval.destination.in_(SECOND_LIFE_PLACES), ItemRemoval.cause != Cause.LOST)).one()
    return {"items_sold": int(sold[0]), "grams_sold": int(sold[1]), "raised_minor": int(sold[2]),
            "items_passed_on": int(passed[0]), "grams_passed_on": int(passed[1]),
            "items_second_life": int(sold[0]) + int(passed[0]), "kg": round((int(sold[1]) + int(passed[1])) / 1000, 1)}


def hours(p: Period) -> Table:
    """Hours at the till per person and month, from PIN sign-ins at a till (a password sign-in is the
    back office and counts for nothing here). A sign-in ends at sign-out,
    at the next sign-in at the same till, when that till is counted and closed, or after the sign-in
    limit — whichever comes first (the last person of the day rarely signs out). A sign-in still open
    counts until now, never ahead of the clock."""
    from ..cash.models import TillSession
    from ..core.models import utcnow

    start, end = p.utc
    now = utcnow()
    limit = timedelta(hours=current_app.config.get("SIGN_IN_HOURS", 14))
    rows = db.session.execute(
        select(LoginSession.till_id, LoginSession.created_at, LoginSession.ended_at, User.name)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.till_id.is_not(None), LoginSession.method == SignInMethod.PIN,
               LoginSession.created_at >= start - limit, LoginSession.created_at < end)
        .order_by(LoginSession.till_id, LoginSession.created_at)).all()
    closings: dict[int, list[datetime]] = {}
    for till_id, closed_at in db.session.execute(
            select(TillSession.till_id, TillSession.closed_at).where(
                TillSession.closed_at.is_not(None), TillSession.closed_at >= start, TillSession.closed_at < end + limit)
            .order_by(TillSession.closed_at)):
        closings.setdefault(till_id, []).append(closed_at)
    minutes: dict[tuple[str, str], float] = {}
    for n, (till_id, began, ended, name) in enumerate(rows):
        if began < start:
            continue
        stop = min(began + limit, now)
        if ended is not None:
            stop = min(stop, ended)
        if n + 1 < len(rows) and rows[n + 1][0] == till_id:
            stop = min(stop, rows[n + 1][1])
        stop = min([stop] + [closed for closed in closings.get(till_id, []) if closed > began][:1])
        key = (name, f"{cash.local_date(began):%Y-%m}")
        minutes[key] = minutes.get(key, 0.0) + max((stop - began).total_seconds() / 60, 0)
    t = Table(_("Hours at the till"), [_("Person"), _("Month"), _("Hours")])
    t.rows = [[name, month, round(value / 60, 1)] for (name, month), value in sorted(minutes.items())]
    return t


# --- the registry --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    name: str
    title: Callable[[], str]
    build: Callable[[Period], Table]
    chart: str  #: bar | line | pie | hbar
    value: int  #: the column drawn


REPORTS = [
    Report("sales", lambda: _("Sales over time"), sales_over_time, "bar", 4),
    Report("categories", lambda: _("Sales by category"), by_category, "hbar", 2),
    Report("payments", lambda: _("Sales by payment method"), by_payment, "pie", 3),
    Report("people", lambda: _("Sales by person"), by_person, "hbar", 2),
    Report("sell_through", lambda: _("Sell-through by category"), sell_through_category, "hbar", 3),
    Report("price_bands", lambda: _("Sell-through by price band"), sell_through_band, "bar", 3),
    Report("intake", lambda: _("Donations taken in"), intake_table, "bar", 4),
    Report("adjustments", lambda: _("Discounts, refunds and voids"), adjustments_table, "bar", 1),
    Report("removals", lambda: _("Write-offs and pulls"), removals_table, "hbar", 2),
]
IMPACT_REPORTS = [
    Report("batches", lambda: _("Value raised per donation"), value_by_batch, "bar", 4),
    Report("sources", lambda: _("Donations taken in"), intake_table, "pie", 4),
    Report("hours", lambda: _("Hours at the till"), hours, "hbar", 2),
]
BY_NAME = {r.name: r for r in REPORTS + IMPACT_REPORTS}
