"""The daily (Z) report: the sales figures, every till session's cash with over/short, the card
comparison, movements, corrections reported today, the fiscal register comparison and who was on duty.

``build`` returns plain JSON-ready values (grosze, ISO dates, names). ``close_day`` stores that dict
on the Z report, and ``for_day`` gives a closed day's stored dict (an open day's is built now). The
printed report, the HTML page, the JSON API, the CSV/XLSX exports and the journal are all drawn from
``for_day``, so they cannot disagree, and a closed day's figures never move.
"""
from __future__ import annotations

import copy
from datetime import date, datetime, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..auth.models import LoginSession, SignInMethod, User
from ..core import audit
from ..core.errors import DomainError, Forbidden, InvalidInput
from ..core.models import FiscalMode, Shop, next_value, utcnow
from ..extensions import db
from . import ledger, totals
from . import service as cash
from .figures import figures, utc_bounds
from .models import Adjustment, BusinessDay, CashMovement, DayStatus, SessionStatus, TillSession, ZReport

CASH_FIELDS = ("float_minor", "cash_received_minor", "change_given_minor", "cash_sales_minor", "cash_refunds_minor",
               "paid_in_minor", "paid_out_minor", "drops_minor", "expected_minor", "counted_minor",
               "difference_minor", "kept_minor", "banked_minor")


def _local(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(cash.zone()).isoformat(timespec="minutes")


def session_row(row: TillSession) -> dict:
    sums = cash.expected(row)
    closed = row.status is SessionStatus.CLOSED
    entry = {
        "id": row.id, "till": row.till.name, "status": row.status.value,
        "opened_by": row.opened_by.name, "opened_at": _local(row.opened_at),
        "closed_by": row.closed_by.name if row.closed_by else None, "closed_at": _local(row.closed_at),
        "carried_over": row.carried_from_id is not None,
        **{key: sums[key] for key in ("float_minor", "cash_received_minor", "change_given_minor", "cash_sales_minor",
                                      "cash_refunds_minor", "paid_in_minor", "paid_out_minor", "drops_minor")},
        # A closed session shows the expected figure fixed at its count (the same records, summed then).
        "expected_minor": row.expected_minor if closed else sums["expected_minor"],
        "counted_minor": row.counted_minor if closed else None,
        "difference_minor": row.difference_minor if closed else None,
        "kept_minor": row.kept_minor if closed else None,
        "banked_minor": (row.counted_minor - row.kept_minor) if closed else None,
        "counts": row.counts if closed else None,
        "card_system_minor": row.card_system_minor if closed else sums["card_net_minor"],
        "card_terminal_minor": row.card_terminal_minor,
        "card_difference_minor": (row.card_terminal_minor - row.card_system_minor)
        if closed and row.card_terminal_minor is not None else None,
        "sign_off": {"by": row.sign_off.user.name, "comment": row.sign_off.comment,
                     "at": _local(row.sign_off.created_at)} if row.sign_off else None,
        "needs_sign_off": cash.needs_sign_off(row),
    }
    return entry


def _sum(rows: list[dict], key: str) -> int:
    return sum(row[key] or 0 for row in rows)


def build(day: date, *, report: ZReport | None = None) -> dict:
    """Everything the day's report shows; ``report`` is the Z report being made (when closing)."""
    data = figures(day)
    sessions = cash.sessions_of(day)
    rows = [session_row(row) for row in sessions]
    data["sessions"] = rows
    data["cash"] = {key: _sum(rows, key) for key in CASH_FIELDS}
    data["cash"]["over_minor"] = sum(max(row["difference_minor"] or 0, 0) for row in rows)
    data["cash"]["short_minor"] = sum(max(-(row["difference_minor"] or 0), 0) for row in rows)
    typed = [row for row in rows if row["card_terminal_minor"] is not None]
    data["card"] = {"system_minor": _sum(rows, "card_system_minor"),
                    "terminal_minor": _sum(typed, "card_terminal_minor") if typed else None,
                    "difference_minor": _sum(typed, "card_difference_minor") if typed else None}

    ids = [row.id for row in sessions]
    movements = db.session.scalars(select(CashMovement).where(CashMovement.session_id.in_(ids))
                                   .order_by(CashMovement.created_at, CashMovement.id)) if ids else []
    data["movements"] = [{"at": _local(m.created_at), "till": m.session.till.name, "kind": m.kind.value,
                          "amount_minor": m.amount_minor, "reason": m.reason, "by": m.user.name} for m in movements]

    adjustments = db.session.scalars(select(Adjustment).where(Adjustment.reported_on == day).order_by(Adjustment.id))
    data["adjustments"] = [{"id": a.id, "affects_day": a.affects_day.isoformat(), "method": a.method,
                            "category": a.category.name if a.category else None, "category_id": a.category_id,
                            "amount_minor": a.amount_minor,
                            "reason": a.reason, "by": a.user.name, "at": _local(a.created_at)} for a in adjustments]
    data["adjustments_minor"] = sum(a["amount_minor"] for a in data["adjustments"])

    # Who was on duty: everyone who sold, opened or counted a till, or signed in at one with their PIN
    # that day. A password sign-in (the back office, the first start's admin) is not duty at the till.
    start, end = utc_bounds(day)
    names = set(data["on_duty"])
    names |= {row["opened_by"] for row in rows} | {row["closed_by"] for row in rows if row["closed_by"]}
    sign_ins = db.session.execute(
        select(User.name, LoginSession.created_at, LoginSession.ended_at).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.till_id.is_not(None), LoginSession.method == SignInMethod.PIN,
               LoginSession.created_at >= start, LoginSession.created_at < end)
        .order_by(LoginSession.created_at)).all()
    data["till_sign_ins"] = [{"name": name, "signed_in": _local(since), "signed_out": _local(until)}
                             for name, since, until in sign_ins]
    names |= {name for name, _since, _until in sign_ins}
    data["on_duty"] = sorted(names)

    shop = db.session.scalar(select(Shop).limit(1))
    reports = cash.z_reports(day)
    current = report or (reports[-1] if reports else None)
    data["status"] = DayStatus.CLOSED.value if report is not None else cash.day_status(day).value
    data["z_number"] = current.number if current else None
    data["closed_at"] = _local(current.created_at) if current else None
    data["closed_by"] = db.session.get(User, current.user_id).name if current else None
    data["earlier_z_numbers"] = [z.number for z in reports if current is None or z.number != current.number]
    data["reopenings"] = [{"at": _local(r.created_at), "by": r.user.name, "reason": r.reason}
                          for r in cash.reopenings(day)]
    data["fiscal_mode"] = shop.fiscal_mode.value if shop else FiscalMode.EXEMPT.value
    data["fiscal"] = _fiscal(data, current.fiscal if current else None)
    if report is not None:  # closing: the settings its outputs read are kept with the day
        data["kept"] = ledger.kept_at_close()
    return data


def for_day(day: date) -> dict:
    """The day's report as people read it. A closed day's figures are the ones stored when it was
    closed (its last Z report), so nothing that happens later (an item taken in, a sign-in, a
    correction) moves them; an open day's are summed from the records now."""
    if cash.day_status(day) is DayStatus.CLOSED:
        stored = db.session.scalar(select(ZReport).where(ZReport.day == day).order_by(ZReport.number.desc()).limit(1))
        if stored is not None:
            return copy.deepcopy(stored.figures)
    return build(day)


def close_day(day: date, user: User, *, fiscal: dict | None = None, at: datetime | None = None,
              approved_by: User | None = None) -> ZReport:
    """Close the day: the Z report gets its number and the day is locked. It is a manager's act: a
    manager closes it, or someone else with a manager's PIN approval (``approved_by``). The caller
    prints it and takes the backup after the commit."""
    manager = user if user.is_manager else approved_by
    if manager is None or not manager.is_manager:
        raise Forbidden(_l("Closing the day is a manager's act: a manager signs in or approves with their PIN."))
    if not isinstance(day, date):
        raise InvalidInput(_l("Choose a day."))
    moment = at or utcnow()
    if day > cash.today(moment):
        raise InvalidInput(_l("A day can be closed only once it has started."))
    # Take the write lock first (PostgreSQL: this day's row), then check and write.
    existing = db.session.scalar(select(BusinessDay).where(BusinessDay.day == day).with_for_update())
    problems = cash.close_blockers(day)
    if problems:
        raise DomainError(" ".join(problems))
    register = cash.parse_fiscal(fiscal)
    report = ZReport(number=next_value("z_report"), day=day, user_id=user.id, fiscal=register, figures={},
                     created_at=moment)
    db.session.add(report)
    if existing is None:
        db.session.add(BusinessDay(day=day, status=DayStatus.CLOSED))
    else:
        existing.status = DayStatus.CLOSED
    db.session.flush()
    figures = build(day, report=report)
    # Who closed it and, for a volunteer's close, the manager who approved it, with their roles: both
    # stand on the Z report.
    figures["closed_by_role"] = user.role.value
    figures["approved_by"] = manager.name if manager is not user else None
    figures["approved_by_role"] = manager.role.value if manager is not user else None
    report.figures = figures
    totals.write(report)
    db.session.flush()
    audit.record("day.close", user_id=user.id, obj=report, day=day.isoformat(), number=report.number,
                 net=report.figures["net_minor"], approved_by=manager.id if manager is not user else None)
    return report


def _fiscal(data: dict, register: dict | None) -> dict | None:
    """The register's daily report beside the system's own sales by VAT code and receipt count."""
    if register is None:
        return None
    system = {code: entry["sales_minor"] for code, entry in data["by_vat_code"].items()}
    codes = sorted(set(system) | set(register["by_vat"]))
    by_vat = {code: {"register_minor": register["by_vat"].get(code, 0), "system_minor": system.get(code, 0),
                     "difference_minor": register["by_vat"].get(code, 0) - system.get(code, 0)} for code in codes}
    return {"by_vat": by_vat, "register_receipts": register["receipts"], "system_receipts": data["sales_count"],
            # A device that gives no receipt count (NoviAPI) leaves that row without a difference.
            "receipts_difference": None if register["receipts"] is None else register["receipts"] - data["sales_count"],
            "source": register.get("source", "typed"), "report_number": register.get("number")}

