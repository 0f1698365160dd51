"""The stock figures the long reports read: every unique item taken in, summed per day of intake,
category and price band (taken in, sold, days to sell), and every donation's items and prices.

Sell-through follows items, not days: an item taken in last spring may sell tonight, so a year's
cohort cannot be closed the way a day's sales are. Summing a year's cohort from the items means
reading ~100 000 rows on a five-year shop (about 100 ms on SQLite), so the sums are refreshed after
each day's close, on a thread of their own after the answer (``start_after_close``), and a report
reads them (``cohort``, ``batch_items``) plus the items taken in since, counted live. What they show is
the items' state as at the last close; the reports say so. Sales and money are never read from here.
"""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import date, datetime

from flask import current_app
from sqlalchemy import delete, func, insert, select

from ..cash.figures import utc_bounds
from ..cash.service import local_date
from ..catalog.models import Item, ItemKind, ItemStatus
from ..core.models import utcnow
from ..extensions import db
from .models import StockFigure
from .service import band_of

log = logging.getLogger(__name__)
_ONE_AT_A_TIME = threading.Lock()


def refresh(at: datetime | None = None) -> int:
    """Sum every item taken in before ``at`` (now) and replace the stored figures; the caller commits.
    Returns the number of rows written. One set of figures is kept: the refresh replaces it in one
    transaction, so a reader sees the old set or the new one, whole. The items are read first, a month
    of intake at a time (months of the shop's calendar, so no day is split), and only then written, so
    the write (SQLite's one writer) is short and the tills never wait for the reading."""
    taken_at = at or utcnow()
    first = db.session.scalar(select(func.min(Item.created_at)))
    batches: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    rows: list[tuple] = []
    month = date(local_date(first).year, local_date(first).month, 1) if first is not None else None
    while month is not None and utc_bounds(month)[0] < taken_at:
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        rows += _cohorts(utc_bounds(month)[0], min(utc_bounds(following)[0], taken_at), batches)
        month = following
    rows += [(None, None, None, batch_id, n, 0, 0.0, priced) for batch_id, (n, priced) in batches.items()]
    db.session.execute(delete(StockFigure))
    names = ("day", "category_id", "band", "batch_id", "items", "sold", "sold_days", "priced_minor")
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(StockFigure), [dict(zip(names, row), taken_at=taken_at)
                                                 for row in rows[start:start + 5000]])
    return len(rows)


def _cohorts(low: datetime, high: datetime, batches: dict) -> list[tuple]:
    """The cohort rows of the items taken in from ``low`` to ``high`` (adding their donations' sums to
    ``batches``)."""
    cohorts: dict[tuple[date, int, int], list] = defaultdict(lambda: [0, 0, 0.0])
    day_of: dict[datetime, date] = {}  # the shop's date per UTC hour (zones change offset on the hour)
    rows = db.session.execute(
        select(Item.created_at, Item.kind, Item.category_id, Item.price_minor, Item.status, Item.sold_at, Item.batch_id)
        .where(Item.created_at >= low, Item.created_at < high))
    for created, kind, category_id, price, status, sold_at, batch_id in rows:
        if batch_id is not None:
            entry = batches[batch_id]
            entry[0] += 1
            entry[1] += price
        if kind is not ItemKind.UNIQUE:
            continue
        hour = created.replace(minute=0, second=0, microsecond=0)
        day = day_of.get(hour)
        if day is None:
            day = day_of[hour] = local_date(hour)
        cohort = cohorts[(day, category_id, band_of(price))]
        cohort[0] += 1
        if status is ItemStatus.SOLD and sold_at is not None:
            cohort[1] += 1
            cohort[2] += (sold_at - created).total_seconds() / 86400
    return [(day, category_id, band, None, n, sold, days, 0) for (day, category_id, band), (n, sold, days)
            in cohorts.items()]


def start_after_close() -> None:
    """Called by the day close after its commit: refresh the figures on a thread of their own (the person
    closing has their answer already; the thread is kept in ``app.extensions`` for whoever waits on it),
    or at once where the settings say so (tests). A failure is logged; the reports then read the last
    figures, or the items themselves if there are none."""
    if not current_app.config.get("STOCK_FIGURES_IN_BACKGROUND", True):
        _refresh_logged()
        return
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            _refresh_logged()

    thread = threading.Thread(target=run, name="stock-figures-after-close")
    current_app.extensions["lukluk_stock_figures"] = thread
    thread.start()


def _refresh_logged() -> None:
    with _ONE_AT_A_TIME:
        try:
            refresh()
            db.session.commit()
        except Exception:  # noqa: BLE001 — the close is done; the reports fall back on the items
            db.session.rollback()
            log.exception("Refreshing the stock figures after a close failed")


def taken_at() -> datetime | None:
    """When the stored figures were summed (None: never; the reports read the items)."""
    return db.session.scalar(select(StockFigure.taken_at).limit(1))  # one set of figures, one time


def cohort(start: date, end: date) -> list[tuple]:
    """The stored cohort of unique items taken in from ``start`` to ``end`` (the shop's dates), per
    (category, band): taken in, sold, days to sell summed."""
    return list(db.session.execute(
        select(StockFigure.category_id, StockFigure.band, func.sum(StockFigure.items), func.sum(StockFigure.sold),
               func.sum(StockFigure.sold_days))
        .where(StockFigure.day.between(start, end))
        .group_by(StockFigure.category_id, StockFigure.band)))


def batch_items(batch_ids: list[int]) -> dict[int, tuple[int, int]]:
    """The stored count and prices of these donations' items."""
    if not batch_ids:
        return {}
    return {batch_id: (int(n), int(priced)) for batch_id, n, priced in db.session.execute(
        select(StockFigure.batch_id, StockFigure.items, StockFigure.priced_minor)
        .where(StockFigure.batch_id.in_(batch_ids)))}



def refresh_after_close(_sender, **_close) -> None:
    """Listening to the day's close (``core.events.day_closed``): see ``start_after_close``."""
    start_after_close()
