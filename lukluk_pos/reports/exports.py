"""The day and the month for the cooperative's accounts: CSV that Polish Excel and LibreOffice open
as they are (UTF-8 with BOM, ``;`` and decimal comma; the dialect is a shop setting), XLSX through
openpyxl, and the journal — one line per account per day — for the bookkeeper's import.

Every file is drawn from ``zreport.for_day``, the same dict the printed and HTML reports show, and the
amounts are grosze until the last moment (written as exact decimals), so they agree to the grosz.
"""
from __future__ import annotations

import calendar
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..cash import zreport
from ..cash.ledger import ACCOUNT_KEYS, DEFAULT_ACCOUNTS, accounts, category_names  # noqa: F401 (the views' names)
from ..cash.models import Adjustment, LedgerAccount, TillSession
from ..core.tables import (  # noqa: F401 (the writing is the ground floor's; these names are the reports')
    DIALECTS,
    FORMULA_START,
    TYPES,
    Money,
    Table,
    download,
    month_asked,
    month_bounds,
    to_csv,
    to_xlsx,
)
from ..extensions import db
from ..till.models import Sale


def method_names() -> dict[str, str]:
    """A payment method's key (as stored) → its name in the person's language."""
    return {"cash": _("Cash"), "card": _("Card")}


def _day(text: str) -> date:
    """A report's ISO date as a date, so a spreadsheet gets a date cell."""
    return date.fromisoformat(text)


# --- accounts -----------------------------------------------------------------------------------

def account_names() -> dict[str, str]:
    return {"cash": _("Cash in the drawer"), "card": _("Card payments in settlement"), "safe": _("Cash in the safe"),
            "paid_in": _("Cash paid in"), "paid_out": _("Cash paid out (expenses)"),
            "over_short": _("Cash over and short"), "adjustments": _("Corrections of closed days"),
            "revenue": _("Sales revenue (categories without their own account)")}


def save_accounts(values: dict[str, str]) -> None:
    for key, number in values.items():
        number = (number or "").strip()
        row = db.session.get(LedgerAccount, key)
        if row is None:
            db.session.add(LedgerAccount(key=key, number=number))
        else:
            row.number = number
    db.session.flush()


# --- the journal --------------------------------------------------------------------------------

def journal(data: dict, numbers: dict[str, str] | None = None) -> list[dict]:
    """The day as balanced postings, one line per account: debit what came in, credit where from.

    ``data`` is the day's report (a closed day's as stored at its close). A day closed since the accounts
    were kept with it (``data["kept"]``) posts to the accounts and names of its close, whatever the plan
    says now; an open day (and a day closed before that) to the bookkeeper's current plan."""
    kept = data.get("kept")
    numbers = kept["accounts"] if kept else (numbers or accounts())
    names = kept["categories"] if kept else category_names()
    by_name = {name: int(key.split(":", 1)[1]) for key, name in names.items()}
    postings: dict[str, int] = {}  # account number → signed amount (debit positive)

    def post(account: str, amount: int) -> None:
        postings[account] = postings.get(account, 0) + amount

    method_account = {"cash": numbers["cash"], "card": numbers["card"]}
    for method, entry in data["by_payment_method"].items():
        post(method_account[method], entry["net_minor"])
    for name, entry in data["by_category"].items():
        post(numbers.get(f"category:{entry.get('id', by_name.get(name))}", numbers["revenue"]), -entry["net_minor"])
    for move in data["movements"]:
        amount = move["amount_minor"]
        if move["kind"] == "paid_in":
            post(numbers["cash"], amount), post(numbers["paid_in"], -amount)
        elif move["kind"] == "paid_out":
            post(numbers["paid_out"], amount), post(numbers["cash"], -amount)
        else:
            post(numbers["safe"], amount), post(numbers["cash"], -amount)
    for session in data["sessions"]:
        if session["difference_minor"]:
            post(numbers["cash"], session["difference_minor"])
            post(numbers["over_short"], -session["difference_minor"])
    for adj in data["adjustments"]:
        post(method_account[adj["method"]], adj["amount_minor"])
        target = numbers.get(f"category:{adj.get('category_id') or by_name.get(adj['category'])}") \
            if adj["category"] else None
        post(target or numbers["adjustments"], -adj["amount_minor"])
    if sum(postings.values()) != 0:  # every posting above has its counterpart: this is a bug, never data
        raise RuntimeError(f"the journal of {data['date']} does not balance: {postings}")
    labels = _labels(numbers, names)
    lines = []
    for account in sorted(postings):
        amount = postings[account]
        if amount == 0:
            continue
        lines.append({"date": data["date"], "account": account, "debit_minor": max(amount, 0),
                      "credit_minor": max(-amount, 0), "description": labels.get(account, "")})
    return lines


def _labels(numbers: dict[str, str], categories: dict[str, str]) -> dict[str, str]:
    """Account number → what it holds: its key's name, or the categories whose revenue goes there."""
    names = account_names()
    by_number: dict[str, list[str]] = {}
    for key, number in numbers.items():
        by_number.setdefault(number, []).append(key)
    labels = {}
    for number, keys in by_number.items():
        fixed = [names[key] for key in keys if key in names and key != "revenue"]
        revenue = [categories[key] for key in keys if key in categories]
        parts = fixed[:]
        if revenue:
            parts.append(names["revenue"] if "revenue" in keys or len(revenue) > 3
                         else _("Revenue: %(name)s", name=", ".join(revenue)))
        labels[number] = "; ".join(parts)
    return labels


# --- tables -------------------------------------------------------------------------------------

def day_table(data: dict) -> Table:
    """The day report as section/item/value rows: counts as numbers, amounts as złoty."""
    t = Table(_("Day report %(day)s", day=data["date"]), [_("Section"), _("Entry"), _("Value")])
    summary = _("Summary")
    t.rows += [[summary, _("Z report number"), data["z_number"] or ""], [summary, _("Date"), _day(data["date"])],
               [summary, _("Status"), _("Closed") if data["status"] == "closed" else _("Open")],
               [summary, _("First receipt"), data["first_receipt"] or ""],
               [summary, _("Last receipt"), data["last_receipt"] or ""],
               [summary, _("Sales"), data["sales_count"]], [summary, _("Refunds"), data["refunds_count"]],
               [summary, _("Voided baskets"), data["voids_count"]],
               [summary, _("Gross sales"), Money(data["gross_minor"])],
               [summary, _("Discounts"), Money(data["discounts_minor"])],
               [summary, _("Refunded"), Money(data["refunds_minor"])],
               [summary, _("Net sales"), Money(data["net_minor"])],
               [summary, _("Items sold"), data["items_sold"]], [summary, _("Items taken in"), data["items_taken_in"]]]
    methods = method_names()
    for section, key in ((_("By payment method"), "by_payment_method"), (_("By category"), "by_category"),
                         (_("By VAT code"), "by_vat_code")):
        for name, entry in data[key].items():
            t.rows.append([section, methods.get(name, name) if key == "by_payment_method" else name,
                           Money(entry["net_minor"])])
    cash_section = _("Cash")
    for label, key in ((_("Float"), "float_minor"), (_("Cash received"), "cash_received_minor"),
                       (_("Change given"), "change_given_minor"), (_("Cash refunds"), "cash_refunds_minor"),
                       (_("Paid in"), "paid_in_minor"), (_("Paid out"), "paid_out_minor"),
                       (_("Safe drops"), "drops_minor"), (_("Expected"), "expected_minor"),
                       (_("Counted"), "counted_minor"), (_("Over (+) / short (−)"), "difference_minor"),
                       (_("Left in the drawer"), "kept_minor"), (_("To the safe or bank"), "banked_minor")):
        t.rows.append([cash_section, label, Money(data["cash"][key])])
    t.rows.append([_("Card"), _("System"), Money(data["card"]["system_minor"])])
    if data["card"]["terminal_minor"] is not None:
        t.rows.append([_("Card"), _("Terminal"), Money(data["card"]["terminal_minor"])])
    for adj in data["adjustments"]:
        t.rows.append([_("Corrections"), _("%(day)s, %(method)s: %(reason)s", day=adj["affects_day"],
                                           method=methods.get(adj["method"], adj["method"]).lower(),
                                           reason=adj["reason"]), Money(adj["amount_minor"])])
    return t


def month_days(year: int, month: int) -> list[date]:
    """The month's days that have a till session or a correction to report."""
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    days = set(db.session.scalars(select(TillSession.business_date).where(
        TillSession.business_date >= first, TillSession.business_date <= last)))
    days |= set(db.session.scalars(select(Adjustment.reported_on).where(
        Adjustment.reported_on >= first, Adjustment.reported_on <= last)))
    days |= {d for d in db.session.scalars(select(Sale.business_date).where(
        Sale.business_date >= first, Sale.business_date <= last).distinct()) if d}
    return sorted(days)


def month_reports(year: int, month: int) -> list[dict]:
    return [zreport.for_day(day) for day in month_days(year, month)]


def month_table(year: int, month: int, reports: list[dict]) -> Table:
    t = Table(_("Month %(month)s", month=f"{year}-{month:02d}"),
              [_("Date"), _("Z report number"), _("Status"), _("Sales"), _("Gross sales"), _("Discounts"),
               _("Refunded"), _("Net sales"), _("Cash"), _("Card"), _("Over (+) / short (−)"), _("Corrections")])
    keys = ("gross_minor", "discounts_minor", "refunds_minor", "net_minor")
    totals: list[int] = []
    count = 0
    for data in reports:
        methods = data["by_payment_method"]
        values = [data[k] for k in keys] + [methods.get("cash", {}).get("net_minor", 0),
                                            methods.get("card", {}).get("net_minor", 0),
                                            data["cash"]["difference_minor"], data["adjustments_minor"]]
        totals = [a + b for a, b in zip(totals or [0] * len(values), values, strict=True)]
        count += data["sales_count"]
        t.rows.append([_day(data["date"]), data["z_number"] or "", _("Closed") if data["status"] == "closed" else _("Open"),
                       data["sales_count"],
                       *[Money(v) for v in values]])
    t.rows.append([_("Total"), "", "", count, *[Money(v) for v in totals or [0] * (len(t.headers) - 4)]])
    return t


def journal_table(reports: list[dict]) -> Table:
    t = Table(_("Journal"), [_("Date"), _("Account"), _("Debit"), _("Credit"), _("Description")])
    numbers = accounts()
    for data in reports:
        for line in journal(data, numbers):
            t.rows.append([_day(line["date"]), line["account"], Money(line["debit_minor"]), Money(line["credit_minor"]),
                           line["description"]])
    return t


