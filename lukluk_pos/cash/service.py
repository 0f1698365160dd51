"""The drawer and the day: opening a till with a float, cash movements, the blind count, the
manager's sign-off, closing the day (Z report), the lock on closed days, reopening and adjustments.

Expected cash is always summed from the session's own records — float, the cash sales' amounts
(tendered minus change, so change is never counted as takings), cash refunds and movements — so a
second look at a session gives the same figure, and a count is stored as counted, never forced.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..auth.models import User
from ..auth.service import approve
from ..core import audit, validation
from ..core.errors import DomainError, Forbidden, InvalidInput, NotFound
from ..core.models import FiscalMode, Shop, utcnow
from ..core.money import format_money
from ..core.web import format_day
from ..extensions import db
from ..till.models import OPEN_SQL, Payment, PaymentMethod, Sale, SaleKind, SaleStatus, Till
from .models import (
    DENOMINATIONS,
    SESSION_OPEN_SQL,
    Adjustment,
    BusinessDay,
    CashMovement,
    CountSignOff,
    DayReopening,
    DayStatus,
    MovementKind,
    SessionStatus,
    TillSession,
    ZReport,
)

#: Per denomination: more than any drawer or safe bag holds, and small enough that a count of every
#: denomination (10 000 × 888,88 zł) fits a PostgreSQL integer of grosze.
MAX_PIECES = 10_000


class TillNotOpen(DomainError):
    code = "till_not_open"
    message = _l("This till is not open: count the float under Cash up first.")


class StaleSession(DomainError):
    code = "till_from_another_day"
    message = _l("This till is still open from %(day)s: count it and close that day, then open the till for today.")


class DayClosed(DomainError):
    code = "day_closed"
    message = _l("The day %(day)s is closed: nothing can be added to it or changed.")


# --- dates --------------------------------------------------------------------------------------

def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Europe/Warsaw"))


def local_date(moment: datetime) -> date:
    """The shop's calendar date of a stored (naive UTC) timestamp."""
    return moment.replace(tzinfo=timezone.utc).astimezone(zone()).date()


def today(at: datetime | None = None) -> date:
    return local_date(at or utcnow())


# --- the day lock -------------------------------------------------------------------------------

def day_status(day: date) -> DayStatus:
    found = db.session.get(BusinessDay, day)
    return found.status if found is not None else DayStatus.OPEN


def ensure_day_open(day: date) -> None:
    """Refuse any write that would land in a closed day."""
    if day_status(day) is DayStatus.CLOSED:
        raise DayClosed(day=format_day(day))


def first_open_day(start: date) -> date:
    """``start`` or the first day after it that is not closed (where a correction gets reported)."""
    closed = set(db.session.scalars(select(BusinessDay.day).where(
        BusinessDay.day >= start, BusinessDay.status == DayStatus.CLOSED)))
    day = start
    while day in closed:
        day += timedelta(days=1)
    return day


# --- counting money -----------------------------------------------------------------------------

def parse_counts(raw: dict, *, field: str = "counts") -> tuple[dict[str, int], int]:
    """Pieces per denomination (keys are grosze, as text or int) → the cleaned counts and their total."""
    if not isinstance(raw, dict):
        raise InvalidInput(_l("Count the cash by notes and coins."), field=field)
    counts: dict[str, int] = {}
    for key, value in raw.items():
        try:
            denomination = int(key)
        except (TypeError, ValueError):
            denomination = None
        if denomination not in DENOMINATIONS:
            raise InvalidInput(_l("%(value)s is not a Polish note or coin."), field=field, value=str(key)[:20])
        if value in (None, ""):
            continue
        value = validation.whole_number(value, high=MAX_PIECES)
        if value is None:
            raise InvalidInput(_l("Type how many pieces: a whole number from 0 to %(max)d."), field=field,
                               max=MAX_PIECES)
        if value:
            counts[str(denomination)] = value
    return counts, sum(int(key) * value for key, value in counts.items())


# --- sessions -----------------------------------------------------------------------------------

def current_session(till_id: int, *, lock: bool = False) -> TillSession | None:
    query = select(TillSession).where(TillSession.till_id == till_id, TillSession.status == SESSION_OPEN_SQL)
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def session_for_sale(till_id: int) -> TillSession:
    """The till's open session, held against closing (shared lock) while a sale is written into it."""
    query = select(TillSession).where(TillSession.till_id == till_id, TillSession.status == SESSION_OPEN_SQL)
    if db.engine.dialect.name != "sqlite":
        query = query.with_for_update(read=True)
    found = db.session.scalar(query)
    if found is None:
        day = today()
        if day_status(day) is DayStatus.CLOSED:  # the day is over: say so, not "count the float"
            raise TillNotOpen(_l("Today (%(day)s) is closed: the till cannot be opened until an admin reopens the day."),
                              day=format_day(day))
        raise TillNotOpen()
    return found


def session_for_sale_asked(_sender, *, till_id: int) -> TillSession:
    """The till asks (``core.events.session_for_sale``) before it writes a sale: see ``session_for_sale``."""
    return session_for_sale(till_id)


def _basket_open(till_id: int) -> bool:
    return db.session.scalar(select(Sale.id).where(Sale.till_id == till_id, Sale.status == OPEN_SQL)) is not None


def ensure_current_session(till_id: int) -> None:
    """At the counter, a new sale may not start in a till left open from an earlier day: its sales would
    land in that day's report. (An open basket may still be finished; the demo and imports, which write
    past days on purpose, call the services directly.)"""
    opened = current_session(till_id)
    if opened is not None and opened.business_date < today():
        if not _basket_open(till_id):
            raise StaleSession(day=format_day(opened.business_date))


def session(session_id) -> TillSession:
    found = db.session.get(TillSession, session_id) if isinstance(session_id, int) else None
    if found is None:
        raise NotFound(_l("No such till session."))
    return found


def last_closed(till_id: int) -> TillSession | None:
    return db.session.scalar(select(TillSession).where(
        TillSession.till_id == till_id, TillSession.status == SessionStatus.CLOSED)
        .order_by(TillSession.closed_at.desc(), TillSession.id.desc()).limit(1))


def open_session(till_id: int, user: User, *, counts: dict | None = None, carry_over: bool = False,
                 at: datetime | None = None) -> TillSession:
    """Open the till with a float counted by denomination, or with the cash the last closing left in it."""
    found = db.session.scalar(select(Till).where(Till.id == till_id).with_for_update())
    if found is None or not found.active:
        raise NotFound(_l("This till is not set up."))
    moment = at or utcnow()
    day = today(moment)
    ensure_day_open(day)
    if current_session(till_id) is not None:
        raise DomainError(_l("This till is already open."))
    carried = None
    if carry_over:
        carried = last_closed(till_id)
        if carried is None:
            raise InvalidInput(_l("This till has not been closed before: count the float."), field="counts")
        float_counts, float_minor = None, carried.kept_minor or 0
    else:
        float_counts, float_minor = parse_counts(counts or {})
    opened = TillSession(till_id=till_id, business_date=day, opened_by_id=user.id, opened_at=moment,
                         float_minor=float_minor, float_counts=float_counts,
                         carried_from_id=carried.id if carried else None)
    db.session.add(opened)
    db.session.flush()
    audit.record("cash.open", user_id=user.id, obj=opened, float=float_minor, carried_from=opened.carried_from_id)
    return opened


def add_movement(till_id: int, user: User, *, kind, amount, reason, at: datetime | None = None) -> CashMovement:
    """Paid in, paid out or a safe drop, with its reason; audited."""
    try:
        kind = MovementKind(kind)
    except ValueError:
        raise InvalidInput(_l("Choose what kind of movement it is."), field="kind") from None
    amount_minor = validation.money(amount, field="amount")
    reason = validation.text(reason, field="reason", max_len=200)
    opened = current_session(till_id, lock=True)
    if opened is None:
        raise TillNotOpen()
    # No check against what the drawer should hold: the message would tell the counter the expected
    # figure before the blind count. A paid out larger than the drawer shows up as the count's difference.
    ensure_day_open(opened.business_date)
    movement = CashMovement(session_id=opened.id, kind=kind, amount_minor=amount_minor, reason=reason,
                            user_id=user.id, created_at=at or utcnow())
    db.session.add(movement)
    db.session.flush()
    audit.record(f"cash.{kind.value}", user_id=user.id, obj=movement, reason=reason, amount=amount_minor,
                 session=opened.id)
    return movement


def expected(opened: TillSession) -> dict[str, int]:
    """What should be in the drawer, from the session's records, and the card total beside it."""
    rows = db.session.execute(
        select(Payment.method, Sale.kind, func.sum(Payment.amount_minor),
               func.sum(func.coalesce(Payment.tendered_minor, Payment.amount_minor + Payment.change_minor)),
               func.sum(Payment.change_minor))
        .join(Sale, Sale.id == Payment.sale_id)
        .where(Sale.session_id == opened.id, Sale.status == SaleStatus.COMPLETED)
        .group_by(Payment.method, Sale.kind)).all()
    sums = {(method, kind): (int(amount or 0), int(tendered or 0), int(change or 0))
            for method, kind, amount, tendered, change in rows}
    cash_sales, cash_tendered, change = sums.get((PaymentMethod.CASH, SaleKind.SALE), (0, 0, 0))
    cash_refunds = sums.get((PaymentMethod.CASH, SaleKind.REFUND), (0, 0, 0))[0]
    card_sales = sums.get((PaymentMethod.CARD, SaleKind.SALE), (0, 0, 0))[0]
    card_refunds = sums.get((PaymentMethod.CARD, SaleKind.REFUND), (0, 0, 0))[0]
    moves = {kind: int(total) for kind, total in db.session.execute(
        select(CashMovement.kind, func.sum(CashMovement.amount_minor))
        .where(CashMovement.session_id == opened.id).group_by(CashMovement.kind))}
    paid_in, paid_out = moves.get(MovementKind.PAID_IN, 0), moves.get(MovementKind.PAID_OUT, 0)
    drops = moves.get(MovementKind.DROP, 0)
    # Cash taken for sales is what the customers handed over minus the change they got back.
    cash_received, change_given = cash_tendered, change
    return {
        "float_minor": opened.float_minor, "cash_received_minor": cash_received, "change_given_minor": change_given,
        "cash_sales_minor": cash_sales, "cash_refunds_minor": cash_refunds, "paid_in_minor": paid_in,
        "paid_out_minor": paid_out, "drops_minor": drops,
        "expected_minor": opened.float_minor + cash_received - change_given - cash_refunds + paid_in - paid_out - drops,
        "card_sales_minor": card_sales, "card_refunds_minor": card_refunds, "card_net_minor": card_sales - card_refunds,
    }


def tolerance() -> int:
    shop = db.session.scalar(select(Shop).limit(1))
    return shop.cash_tolerance_minor if shop else 0


def needs_sign_off(closed: TillSession) -> bool:
    return (closed.status is SessionStatus.CLOSED and closed.sign_off is None
            and abs(closed.difference_minor or 0) > tolerance())


def close_session(till_id: int, user: User, *, counts: dict, kept=None, card_terminal=None,
                  at: datetime | None = None) -> TillSession:
    """The blind count: what was counted is kept as counted; expected and the difference beside it."""
    opened = current_session(till_id, lock=True)
    if opened is None:
        raise TillNotOpen()
    ensure_day_open(opened.business_date)
    if _basket_open(till_id):
        raise DomainError(_l("A sale is still open at this till: finish or void it before counting."))
    clean, counted = parse_counts(counts)
    if kept in (None, ""):
        kept_minor = min(counted, opened.float_minor)
    else:
        kept_minor = validation.money(kept, field="kept", allow_zero=True)
        if kept_minor > counted:
            raise InvalidInput(_l("You cannot leave more than you counted (%(amount)s)."), field="kept",
                               amount=format_money(counted))
    # The terminal's day is below zero when card refunds outweigh card sales.
    terminal = None if card_terminal in (None, "") else validation.signed_money(card_terminal, field="card_terminal")
    figures = expected(opened)
    opened.status = SessionStatus.CLOSED
    opened.closed_by_id, opened.closed_at = user.id, at or utcnow()
    opened.counts, opened.counted_minor = clean, counted
    opened.expected_minor = figures["expected_minor"]
    opened.difference_minor = counted - figures["expected_minor"]
    opened.kept_minor = kept_minor
    opened.card_terminal_minor, opened.card_system_minor = terminal, figures["card_net_minor"]
    db.session.flush()
    audit.record("cash.close", user_id=user.id, obj=opened, counted=counted, expected=opened.expected_minor,
                 difference=opened.difference_minor, kept=kept_minor, card_terminal=terminal,
                 card_system=opened.card_system_minor)
    return opened


def sign_off(session_id, user: User, *, comment, manager_id=None, pin=None) -> CountSignOff:
    """A manager accepts a difference over the tolerance, with a comment (their PIN if someone else
    is signed in)."""
    closed = session(session_id)
    comment = validation.text(comment, field="comment", max_len=500)
    if not needs_sign_off(closed):
        raise DomainError(_l("This count needs no sign-off."))
    ensure_day_open(closed.business_date)
    manager = user if user.is_manager else approve(manager_id, pin)
    signed = CountSignOff(session_id=closed.id, user_id=manager.id, comment=comment)
    db.session.add(signed)
    db.session.flush()
    audit.record("cash.sign_off", user_id=manager.id, obj=closed, reason=comment,
                 difference=closed.difference_minor, entered_by=user.id)
    return signed


# --- the day ------------------------------------------------------------------------------------

def sessions_of(day: date) -> list[TillSession]:
    return list(db.session.scalars(select(TillSession).where(TillSession.business_date == day)
                                   .order_by(TillSession.till_id, TillSession.opened_at)))


def close_blockers(day: date) -> list[str]:
    """Why the day cannot be closed yet (empty when it can)."""
    problems = []
    if day_status(day) is DayStatus.CLOSED:
        problems.append(str(_l("The day is already closed.")))
    for row in db.session.scalars(select(TillSession).where(TillSession.business_date <= day,
                                                            TillSession.status == SESSION_OPEN_SQL)):
        problems.append(str(_l("%(till)s is still open: count its cash first.", till=row.till.name)))
    for row in sessions_of(day):
        if needs_sign_off(row):
            problems.append(str(_l("The count at %(till)s is over the tolerance and needs a manager's sign-off.",
                                   till=row.till.name)))
    return problems


def parse_fiscal(raw: dict | None) -> dict | None:
    """The fiscal register's daily report as typed: gross per VAT code and the number of receipts."""
    shop = db.session.scalar(select(Shop).limit(1))
    if shop is None or shop.fiscal_mode is FiscalMode.EXEMPT:
        return None
    raw = raw or {}
    if raw.get("source") == "device":  # read from the fiscal printer's daily report, not typed
        return raw
    by_vat = {}
    for code, value in (raw.get("by_vat") or {}).items():
        if value in (None, ""):
            continue
        by_vat[str(code)[:4]] = validation.money(value, field=f"vat_{code}", allow_zero=True)
    receipts = raw.get("receipts")
    receipts = validation.whole_number(receipts, high=1_000_000)
    if receipts is None:
        raise InvalidInput(_l("Type the number of receipts from the register's daily report."), field="receipts")
    return {"by_vat": dict(sorted(by_vat.items())), "receipts": receipts}


def reopen_day(day: date, user: User, *, reason) -> DayReopening:
    """An admin opens a closed day again, with a reason; closing it again gives a new Z report."""
    if not user.is_admin:
        raise Forbidden()
    reason = validation.text(reason, field="reason", max_len=500)
    found = db.session.scalar(select(BusinessDay).where(BusinessDay.day == day).with_for_update())
    if found is None or found.status is not DayStatus.CLOSED:
        raise DomainError(_l("This day is not closed."))
    found.status = DayStatus.OPEN
    row = DayReopening(day=day, user_id=user.id, reason=reason)
    db.session.add(row)
    db.session.flush()
    audit.record("day.reopen", user_id=user.id, obj=row, reason=reason, day=day.isoformat())
    return row


def add_adjustment(user: User, *, affects_day: date, method, amount, reason, category_id=None,
                   at: datetime | None = None) -> Adjustment:
    """A manager's dated correction of a closed day; it shows in the report of the next open day."""
    from ..catalog.models import Category

    if not user.is_manager:
        raise Forbidden()
    if not isinstance(affects_day, date):
        raise InvalidInput(_l("Choose a day."), field="affects_day")
    if day_status(affects_day) is not DayStatus.CLOSED:
        raise InvalidInput(_l("Only a closed day is corrected this way; an open day is corrected at the till."),
                           field="affects_day")
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise InvalidInput(_l("Choose cash or card."), field="method") from None
    if isinstance(amount, str) and amount.strip().startswith("-"):
        amount_minor = -validation.money(amount.strip()[1:], field="amount")
    elif isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
        amount_minor = -validation.money(-amount, field="amount")
    else:
        amount_minor = validation.money(amount, field="amount")
    reason = validation.text(reason, field="reason", max_len=500)
    if category_id not in (None, "", 0):
        if db.session.get(Category, category_id) is None:
            raise InvalidInput(_l("Choose a category."), field="category_id")
    else:
        category_id = None
    moment = at or utcnow()
    row = Adjustment(affects_day=affects_day, reported_on=first_open_day(today(moment)), method=method.value,
                     category_id=category_id, amount_minor=amount_minor, reason=reason, user_id=user.id,
                     created_at=moment)
    db.session.add(row)
    db.session.flush()
    audit.record("day.adjustment", user_id=user.id, obj=row, reason=reason, amount=amount_minor,
                 method=method.value, affects_day=affects_day.isoformat(), reported_on=row.reported_on.isoformat())
    return row


def z_reports(day: date) -> list[ZReport]:
    return list(db.session.scalars(select(ZReport).where(ZReport.day == day).order_by(ZReport.number)))


def reopenings(day: date) -> list[DayReopening]:
    return list(db.session.scalars(select(DayReopening).where(DayReopening.day == day).order_by(DayReopening.id)))


def restore_would_lose_the_day() -> str:
    """A restore now would lose a day still being written: a till not yet counted and closed (hooked into
    ``core.backup.restore``)."""
    return "Kasa jest otwarta (dzień trwa): policz i zamknij kasę albo użyj --force." if open_sessions() else ""


def open_sessions() -> list[TillSession]:
    return list(db.session.scalars(select(TillSession).where(TillSession.status == SESSION_OPEN_SQL)))
