"""The stock review: filtered and sorted stock lists by SQL (indexes, never Python over the table),
aging buckets, write-offs with a cause, and stock takes by category."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from ..auth.models import User
from ..catalog import service as catalog
from ..catalog.models import IN_STOCK_SQL, Category, Item, ItemKind, ItemStatus
from ..core import audit, validation
from ..core.errors import DomainError, InvalidInput, NotFound
from ..core.models import utcnow
from ..extensions import db
from ..intake.models import Cause, Destination, ItemRemoval
from .models import StockTake, StockTakeScan, TakeStatus

#: Price bands (grosze, upper bound exclusive) for filters and the sell-through report.
PRICE_BANDS = ((0, 500), (500, 1000), (1000, 2000), (2000, 5000), (5000, None))
#: Aging buckets in weeks since intake.
AGE_BUCKETS = ((0, 2), (2, 4), (4, 8), (8, None))
SORTS = {
    "newest": (Item.created_at.desc(), Item.id.desc()),
    "oldest": (Item.created_at.asc(), Item.id.asc()),
    "price_high": (Item.price_minor.desc(), Item.id.desc()),
    "price_low": (Item.price_minor.asc(), Item.id.desc()),
    "description": (Item.search_text.asc(), Item.id.desc()),
}
PER_PAGE = 50
#: The stock list counts matches up to this many ("more than 10 000"): counting all 500 000 sold items
#: of five years to print one number would cost more than the page.
COUNT_LIMIT = 10_000


def band_of(price_minor: int) -> int:
    """The index of the price band (``PRICE_BANDS``) a price falls in; ``band_sql`` is the same rule in SQL."""
    for n, (_low, high) in enumerate(PRICE_BANDS):
        if high is not None and price_minor < high:
            return n
    return len(PRICE_BANDS) - 1


def band_sql(price):
    """``band_of`` as an SQL expression over a price column."""
    return case(*[(price < high, n) for n, (_low, high) in enumerate(PRICE_BANDS) if high is not None],
                else_=len(PRICE_BANDS) - 1)


def band_label(low: int, high: int | None) -> str:
    from ..core.money import format_money

    return f"{format_money(low)} – {format_money(high)}" if high else f"≥ {format_money(low)}"


@dataclass
class StockFilter:
    category_id: int | None = None
    status: str | None = "in_stock"
    min_weeks: int | None = None  #: taken in at least this many weeks ago
    max_weeks: int | None = None  #: taken in less than this many weeks ago
    tag_colour: str | None = None
    band: int | None = None  #: index into PRICE_BANDS
    batch_id: int | None = None
    words: str = ""
    sort: str = "newest"


def stock_query(f: StockFilter, *, now: datetime | None = None):
    """The items matching the filter, as a SELECT (sorted; paginate or count it in SQL)."""
    now = now or utcnow()
    query = select(Item)
    if f.status == "in_stock":
        query = query.where(Item.status == IN_STOCK_SQL)  # the partial index of items on the floor
    elif f.status:
        try:
            query = query.where(Item.status == ItemStatus(f.status))
        except ValueError:
            raise InvalidInput(_l("Choose a status."), field="status") from None
    if f.category_id:
        query = query.where(Item.category_id == f.category_id)
    if f.min_weeks is not None:
        query = query.where(Item.created_at <= now - timedelta(weeks=f.min_weeks))
    if f.max_weeks is not None:
        query = query.where(Item.created_at > now - timedelta(weeks=f.max_weeks))
    if f.tag_colour:
        query = query.where(Item.tag_colour == f.tag_colour)
    if f.band is not None:
        if not 0 <= f.band < len(PRICE_BANDS):
            raise InvalidInput(_l("Choose a price band."), field="band")
        low, high = PRICE_BANDS[f.band]
        query = query.where(Item.price_minor >= low)
        if high is not None:
            query = query.where(Item.price_minor < high)
    if f.batch_id:
        query = query.where(Item.batch_id == f.batch_id)
    words = (f.words or "").strip()[:100]
    if words:
        query = catalog._matching(query, words)
    return query.order_by(*SORTS.get(f.sort, SORTS["newest"]))


@dataclass
class StockPage:
    items: list
    page: int
    total: int  #: matches counted up to COUNT_LIMIT + 1
    per_page: int = PER_PAGE

    @property
    def more(self) -> bool:
        """More than COUNT_LIMIT match (``total`` is then COUNT_LIMIT + 1)."""
        return self.total > COUNT_LIMIT

    @property
    def pages(self) -> int:
        return max((min(self.total, COUNT_LIMIT) + self.per_page - 1) // self.per_page, 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def list_stock(f: StockFilter, *, page: int = 1, now: datetime | None = None) -> StockPage:
    """One page of the filtered list and the number of matches (counted in SQL, up to a limit)."""
    query = stock_query(f, now=now)
    page = min(max(page, 1), (COUNT_LIMIT + PER_PAGE - 1) // PER_PAGE)
    total = db.session.scalar(select(func.count()).select_from(
        query.with_only_columns(Item.id).order_by(None).limit(COUNT_LIMIT + 1).subquery()))
    items = list(db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    return StockPage(items=items, page=page, total=int(total))


def aging(*, now: datetime | None = None) -> list[dict]:
    """Items on the floor per category in the age buckets (0–2, 2–4, 4–8, 8+ weeks), by one query."""
    now = now or utcnow()
    columns = []
    for low, high in AGE_BUCKETS:
        condition = Item.created_at <= now - timedelta(weeks=low)
        if high is not None:
            condition = and_(condition, Item.created_at > now - timedelta(weeks=high))
        columns.append(func.sum(case((condition, 1), else_=0)))
    rows = db.session.execute(
        select(Category.id, Category.name, func.count(Item.id), *columns)
        .join(Item, Item.category_id == Category.id)
        .where(Item.status == IN_STOCK_SQL, Item.kind == ItemKind.UNIQUE)
        .group_by(Category.id, Category.name).order_by(Category.name)).all()
    return [{"category_id": row[0], "category": row[1], "total": int(row[2]),
             "buckets": [int(value or 0) for value in row[3:]]} for row in rows]


def write_off(items: list[Item], *, by: User, cause, destination, reason) -> int:
    """Take items off the floor for good with a cause, where they went and why; audited, one row each."""
    try:
        cause = Cause(cause)
    except ValueError:
        raise InvalidInput(_l("Choose why."), field="cause") from None
    try:
        where = Destination(destination)
    except ValueError:
        raise InvalidInput(_l("Choose where it goes."), field="destination") from None
    reason = validation.text(reason, field="reason", max_len=200)
    if not items:
        raise InvalidInput(_l("Choose the items first."), field="item_id")
    for item in items:
        if item.status is not ItemStatus.IN_STOCK:
            raise InvalidInput(_l("%(item)s is not on the floor."), field="code", item=item.description)
    changed = db.session.execute(
        Item.__table__.update().where(Item.id.in_([i.id for i in items]), Item.status == ItemStatus.IN_STOCK)
        .values(status=ItemStatus.WRITTEN_OFF)).rowcount
    if changed != len(items):  # someone sold or reserved one a moment ago
        raise DomainError(_l("An item changed meanwhile; reload and try again."))
    for item in items:
        db.session.add(ItemRemoval(item_id=item.id, cause=cause, reason=reason, destination=where, user_id=by.id))
        audit.record("item.write_off", user_id=by.id, obj=item, reason=reason, cause=cause.value,
                     destination=where.value)
    db.session.flush()
    for item in items:
        db.session.refresh(item, ["status"])
    return len(items)


def items_by_ids(ids) -> list[Item]:
    numbers = [validation.whole_number(i, low=1) for i in ids]
    if None in numbers:
        raise InvalidInput(_l("Choose the items first."), field="item_id")
    wanted = sorted(set(numbers))[:500]
    return list(db.session.scalars(select(Item).where(Item.id.in_(wanted)))) if wanted else []


# --- stock takes ---------------------------------------------------------------------------------

def take(take_id) -> StockTake:
    found = db.session.get(StockTake, take_id) if isinstance(take_id, int) else None
    if found is None:
        raise NotFound(_l("No such stock take."))
    return found


def takes(limit: int = 30) -> list[StockTake]:
    return list(db.session.scalars(select(StockTake).order_by(StockTake.id.desc()).limit(limit)))


def start_take(category_id, *, by: User) -> StockTake:
    category = catalog.category(category_id)
    if db.session.scalar(select(StockTake.id).where(StockTake.category_id == category.id,
                                                    StockTake.status == TakeStatus.OPEN)):
        raise DomainError(_l("A stock take of %(name)s is already going on.", name=category.name))
    found = StockTake(category_id=category.id, started_by_id=by.id)
    db.session.add(found)
    db.session.flush()
    audit.record("stock_take.start", user_id=by.id, obj=found, category=category.name)
    return found


def scan(found: StockTake, code, *, by: User) -> tuple[Item, bool]:
    """Record an item as found on the floor; returns it and whether it was new to this stock take."""
    if found.status is not TakeStatus.OPEN:
        raise DomainError(_l("This stock take is finished."))
    item = catalog.by_code(str(code or "").strip())
    if item.category_id != found.category_id:
        raise InvalidInput(_l("%(item)s belongs to %(category)s, not to this stock take."), field="code",
                           item=item.description, category=item.category.name)
    if item.status is not ItemStatus.IN_STOCK:
        raise InvalidInput(_l("%(item)s is not in stock (it is %(status)s)."), field="code", item=item.description,
                           status=item.status.value)
    if db.session.scalar(select(StockTakeScan.id).where(StockTakeScan.take_id == found.id,
                                                        StockTakeScan.item_id == item.id)):
        return item, False
    db.session.add(StockTakeScan(take_id=found.id, item_id=item.id, user_id=by.id))
    db.session.flush()
    return item, True


def _missing_query(found: StockTake):
    scanned = select(StockTakeScan.item_id).where(StockTakeScan.take_id == found.id)
    return (select(Item).where(Item.status == IN_STOCK_SQL, Item.category_id == found.category_id,
                               Item.kind == ItemKind.UNIQUE, Item.created_at <= found.started_at,
                               Item.id.not_in(scanned)).order_by(Item.id))


def missing(found: StockTake) -> list[Item]:
    """Unique items of the category that were on the floor when the take started and were not scanned."""
    return list(db.session.scalars(_missing_query(found)))


def scanned_count(found: StockTake) -> int:
    return int(db.session.scalar(select(func.count()).select_from(StockTakeScan)
                                 .where(StockTakeScan.take_id == found.id)))


def finish_take(found: StockTake, *, by: User, mark_lost: bool, confirm: bool) -> int:
    """Finish the stock take; with ``mark_lost`` (and the person's confirmation) the missing items are
    written off as lost. Returns how many were marked lost."""
    if found.status is not TakeStatus.OPEN:
        raise DomainError(_l("This stock take is finished."))
    lost = missing(found) if mark_lost else []
    if lost and not confirm:
        raise InvalidInput(_l("Tick the box to confirm that %(count)d items are lost.", count=len(lost)),
                           field="confirm")
    if lost:
        write_off(lost, by=by, cause=Cause.LOST, destination=Destination.OTHER,
                  reason=str(_l("Missing at stock take no. %(number)d", number=found.id)))
    found.status, found.finished_by_id, found.finished_at, found.lost_count = \
        TakeStatus.FINISHED, by.id, utcnow(), len(lost)
    db.session.flush()
    audit.record("stock_take.finish", user_id=by.id, obj=found, lost=len(lost))
    return len(lost)


def weeks_since(moment: datetime, today: date | None = None) -> int:
    return max(((today or utcnow().date()) - moment.date()).days // 7, 0)
