"""The audit log in words a manager reads.

One table says how every detail the code records reads: its label and how its value is shown (złoty,
not grosze; names, not ids; "tak"/"nie", not True/False; a role's name, not ``volunteer``; a Polish
date, not ISO). What a record concerns is named too: "Paragon nr 12", "Zwrot nr 3", "Kategoria
„Odzież”", never "Sprzedaż nr 57" (an internal id). ``tests/test_audit_words.py`` reads every
``audit.record`` call in the code and fails on an action, key or value this table does not cover.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.models import AuditEvent
from ..core.money import format_money
from ..core.web import format_day
from ..extensions import db
from .exports import account_names, method_names


def action_names() -> dict[str, str]:
    """The audit log's actions in the person's language. One row is one action: "Wypłata", not "Wypłaty"."""
    return {
        "auth.failed": _("Wrong PIN or password"), "auth.locked": _("Account locked"),
        "auth.refused_locked": _("Sign-in refused (locked)"), "auth.sign_in": _("Signed in"),
        "auth.delayed": _("Too many wrong attempts: that place waits"),
        "auth.refused_waiting": _("Sign-in refused (waiting after wrong attempts)"),
        "auth.sign_out": _("Signed out"), "buyer.save": _("Buyer saved"), "cash.open": _("Till opened"),
        "cash.close": _("Till counted and closed"), "cash.sign_off": _("Count signed off"),
        "cash.paid_in": _("A paid in"), "cash.paid_out": _("A paid out"), "cash.drop": _("A safe drop"),
        "category.create": _("Category added"), "category.update": _("Category changed"),
        "day.adjustment": _("Correction of a closed day"), "day.close": _("Day closed"), "day.reopen": _("Day reopened"),
        "donor.erase": _("Donor's details erased"), "drawer.open": _("Drawer opened"),
        "fiscal.daily_report": _("Fiscal daily report printed"), "fiscal.failed": _("Fiscal receipt failed"),
        "fiscal.registered": _("Fiscal receipt printed"), "fiscal.settled_by_hand": _("Fiscal receipt settled by hand"),
        "fiscal.uncertain": _("Fiscal receipt uncertain"), "fiscal.void": _("Sale voided before its fiscal receipt"),
        "intake.gift_confirmation": _("Gift confirmation printed"), "invoice.issue": _("Invoice issued"),
        "invoice.correct": _("Correcting invoice issued"), "invoice.ksef_accepted": _("Invoice accepted by KSeF"),
        "invoice.ksef_found": _("Invoice found in KSeF"), "invoice.ksef_rejected": _("Invoice rejected by KSeF"),
        "invoice.ksef_retry": _("Invoice sent to KSeF again"), "invoice.offline": _("Invoice issued offline"),
        "invoice.ksef_not_there": _("Invoice not in KSeF: it goes to the queue again"),
        "invoice.ksef_duplicate_found": _("Invoice already in KSeF (found after \"duplicate\")"),
        "invoice.ksef_upo": _("KSeF's confirmation (UPO) kept"),
        "invoice.ksef_session_gone": _("KSeF does not know the invoice's session"),
        "item.price_change": _("Price changed"), "item.pull": _("Taken off the floor"),
        "item.restock": _("Stock added"), "item.write_off": _("Written off"),
        "print.retry": _("Print retried"), "receipt.reprint": _("Receipt reprinted"),
        "print.repeated": _("Sent again after a crash (marked as repeated)"),
        "rotation.colours": _("Tag colours changed"), "rotation.markdown": _("Marked down"),
        "rotation.rule": _("Tag colour rule changed"), "sale.discount": _("Discount"),
        "sale.discount_removed": _("Discount removed"), "sale.line_removed": _("Line removed"),
        "sale.price_override": _("Price overridden"), "sale.refund": _("Refund"), "sale.void": _("Basket cancelled"),
        "sale.void_left": _("Basket left open cancelled by a manager"),
        "settings.backups": _("Backups changed"), "backup.send": _("Backup sent off the machine on request"),
        "backup.sheet": _("Recovery sheet shown"), "backup.restore": _("Database restored from a backup"),
        "settings.accounts": _("Accounts and exports changed"), "settings.fiscal_printer": _("Fiscal printer changed"),
        "settings.invoicing": _("Invoicing settings changed"), "settings.printer": _("Printer changed"),
        "settings.update": _("Settings changed"), "stock_take.start": _("Stock take started"),
        "stock_take.finish": _("Stock take finished"), "token.create": _("API token created"),
        "token.revoke": _("API token revoked"), "user.create": _("Person added"), "user.update": _("Person changed"),
        "user.unlock": _("Account unlocked"),
    }


# --- the ids a page's records name --------------------------------------------------------------

def _models() -> dict[str, type]:
    from ..auth.models import ApiToken, User
    from ..cash.models import Adjustment, CashMovement, DayReopening, TillSession, ZReport
    from ..catalog.models import Category, Item
    from ..intake.models import DonationBatch, Donor, GiftConfirmation, RotationRule
    from ..invoicing.models import Buyer, Invoice
    from ..printing.models import PrintJob
    from ..stock.models import StockTake
    from ..till.models import Sale, SaleLine, Till

    return {"sale": Sale, "saleline": SaleLine, "item": Item, "user": User, "tillsession": TillSession,
            "zreport": ZReport, "category": Category, "donor": Donor, "donationbatch": DonationBatch,
            "giftconfirmation": GiftConfirmation, "adjustment": Adjustment, "cashmovement": CashMovement,
            "invoice": Invoice, "buyer": Buyer, "printjob": PrintJob, "apitoken": ApiToken, "stocktake": StockTake,
            "dayreopening": DayReopening, "rotationrule": RotationRule, "till": Till}


#: Details whose value is the id of a row: key → its kind (as ``AuditEvent.object_type`` spells it).
REFERENCES = {"sale_id": "sale", "category_id": "category", "line": "saleline", "session": "tillsession",
              "carried_from": "tillsession", "job": "printjob"}


class Names:
    """The rows a page of records names, read in one query per kind (never one per row)."""

    def __init__(self, events: Iterable[AuditEvent], people: dict[int, str]):
        self.people = people
        wanted: dict[str, set[int]] = defaultdict(set)
        for event in events:
            if event.object_type and isinstance(event.object_id, int):
                wanted[event.object_type].add(event.object_id)
            for key, value in (event.details or {}).items():
                if key in REFERENCES and isinstance(value, int) and not isinstance(value, bool):
                    wanted[REFERENCES[key]].add(value)
        self.rows: dict[str, dict[int, object]] = {}
        self._load(wanted)
        # Rows named through others: a print job by its sale, a tag colour rule by its category.
        self._load({"sale": {job.sale_id for job in self.rows.get("printjob", {}).values() if job.sale_id},
                    "category": {rule.category_id for rule in self.rows.get("rotationrule", {}).values()
                                 if rule.category_id}})

    def _load(self, wanted: dict[str, set[int]]) -> None:
        models = _models()
        for kind, ids in wanted.items():
            ids = ids - set(self.rows.get(kind, {}))
            model = models.get(kind)
            if model is not None and ids:
                found = db.session.scalars(select(model).where(model.id.in_(ids)))
                self.rows.setdefault(kind, {}).update({row.id: row for row in found})

    def row(self, kind: str, row_id):
        return self.rows.get(kind, {}).get(row_id)

    def person(self, user_id) -> str:
        return self.people.get(user_id, "?")

    def describe(self, kind: str, row_id) -> str:
        """A row in words: "Paragon nr 12", "Kategoria „Odzież”"; a row gone shows its kind and id."""
        row = self.row(kind, row_id)
        if row is not None:
            said = _DESCRIBE.get(kind, lambda row, names: "")(row, self)
            if said:
                return said
        what = _kinds().get(kind, kind)
        return _("%(what)s no. %(number)s", what=what, number=row_id) if row_id else what


def _quoted(what: str, name: str) -> str:
    return _("%(what)s „%(name)s”", what=what, name=name)


def _sale(sale, names: Names) -> str:
    from ..till.models import SaleKind

    if sale.number is None:
        return _("Basket at till „%(till)s”", till=sale.till.name)
    if sale.kind is SaleKind.REFUND:
        return _("Refund no. %(number)s", number=sale.number)
    return _("Receipt no. %(number)s", number=sale.number)


def _session(session, names: Names) -> str:
    return _("Till „%(till)s”, %(day)s", till=session.till.name, day=format_day(session.business_date))


def _job(job, names: Names) -> str:
    what = job_names().get(job.kind.value, job.kind.value)
    sale = names.row("sale", job.sale_id)
    return _("%(what)s: %(sale)s", what=what, sale=_sale(sale, names)) if sale is not None else what


def _donor(donor, names: Names) -> str:
    if donor.erased_at is not None or not donor.name:
        return _("Donor (details erased)")
    return _("Donor: %(name)s", name=donor.name)


def _rule(rule, names: Names) -> str:
    category = names.row("category", rule.category_id)
    return _quoted(_("Tag colour rule for"), category.name) if category else _("Tag colour rule for every category")


def _item(item, names: Names) -> str:
    return _("Item %(code)s: %(description)s", code=item.code, description=item.description)


_DESCRIBE: dict[str, Callable] = {
    "sale": _sale, "tillsession": _session, "printjob": _job, "donor": _donor, "rotationrule": _rule,
    "item": _item,
    "saleline": lambda line, names: line.description,
    "user": lambda user, names: user.name,
    "zreport": lambda z, names: _("Z report no. %(number)s of %(day)s", number=z.number, day=format_day(z.day)),
    "category": lambda cat, names: _quoted(_("Category"), cat.name),
    "till": lambda till, names: _quoted(_("Till"), till.name),
    "buyer": lambda buyer, names: _("Buyer: %(name)s", name=buyer.name),
    "invoice": lambda invoice, names: _("Invoice %(number)s", number=invoice.number),
    "apitoken": lambda token, names: _quoted(_("API token"), token.name),
    "stocktake": lambda take, names: _("Stock take: %(category)s", category=take.category.name),
    "donationbatch": lambda batch, names: _("Donation of %(day)s", day=format_day(batch.received_at)),
    "adjustment": lambda row, names: _("Correction of %(day)s", day=format_day(row.affects_day)),
    "dayreopening": lambda row, names: _("Reopening of %(day)s", day=format_day(row.day)),
    "cashmovement": lambda row, names: "{} {}".format(movement_names().get(row.kind.value, row.kind.value),
                                                      format_money(row.amount_minor)),
}


def _kinds() -> dict[str, str]:
    """What a record concerns when there is no row to name (a shop's settings, a row since gone)."""
    return {
        "sale": _("Sale"), "saleline": _("Sale line"), "item": _("Item"), "user": _("Person"),
        "tillsession": _("Till session"), "zreport": _("Z report"), "category": _("Category"), "donor": _("Donor"),
        "donationbatch": _("Donation"), "adjustment": _("Correction"), "cashmovement": _("Cash movement"),
        "invoice": _("Invoice"), "buyer": _("Buyer"), "shop": _("Shop settings"), "printjob": _("Print job"),
        "apitoken": _("API token"), "stocktake": _("Stock take"), "dayreopening": _("Reopening of a day"),
        "countsignoff": _("Sign-off"), "fiscalregistration": _("Fiscal receipt"), "itemremoval": _("Taken off the floor"),
        "rotationrule": _("Tag colour rule"), "priceguide": _("Price guide"), "till": _("Till"),
        "businessday": _("Day"), "invoicesettings": _("Invoicing settings"), "ledgeraccount": _("Account"),
        "giftconfirmation": _("Gift confirmation"),
    }


# --- values -------------------------------------------------------------------------------------

def role_names() -> dict[str, str]:
    return {"volunteer": _("Volunteer"), "manager": _("Manager"), "admin": _("Admin")}


def sign_in_names() -> dict[str, str]:
    return {"pin": _("PIN"), "password": _("password")}


def fiscal_mode_names() -> dict[str, str]:
    return {"exempt": _("Exempt: non-fiscal receipts"), "register": _("Standalone fiscal cash register"),
            "printer": _("Fiscal printer driven by the till")}


def movement_names() -> dict[str, str]:
    return {"paid_in": _("A paid in"), "paid_out": _("A paid out"), "drop": _("A safe drop")}


def job_names() -> dict[str, str]:
    return {"receipt": _("Receipt print"), "report": _("Z report print"), "label": _("Labels print"),
            "drawer": _("Drawer opening"), "test": _("Test print"), "gift": _("Gift confirmation print")}


def _choices() -> dict[str, Callable[[], dict[str, str]]]:
    """Keys whose value is one of a few codes, and the names of those codes."""
    from ..stock.views import cause_names, destination_names

    return {
        "role": role_names, "fiscal_mode": fiscal_mode_names, "method": method_names, "kind": sign_in_names,
        "scope": lambda: {"line": _("One line"), "basket": _("Whole basket")},
        "token_scope": lambda: {"reports:read": _("reading reports and exports")},
        "destination": destination_names, "cause": cause_names,
        "csv_dialect": lambda: {"pl": _("Polish Excel: semicolon, decimal comma"),
                                "en": _("English Excel: comma, decimal point")},
        "ksef": lambda: {"off": _("Off (invoices stay outside KSeF)"), "test": _("Test environment"),
                         "demo": _("Demo (pre-production) environment"), "prod": _("Production")},
        "how": lambda: {"answer": _("the printer's answer"), "counters": _("the printer's counters (answer lost)"),
                        "by_hand": _("by hand")},
        "mode": lambda: {"Online": _("online"), "Offline": _("offline")},
    }


def _money(value, names: Names) -> str:
    return format_money(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _count(value, names: Names) -> str:
    return format_decimal(value) if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _yes_no(value, names: Names) -> str:
    return _("yes") if value else _("no")


def _text(value, names: Names) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _day_value(value, names: Names) -> str:
    try:
        return format_day(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _number(value, names: Names) -> str:
    return _("no. %(number)s", number=value)


def _person(value, names: Names) -> str:
    return names.person(value)


def _reference(kind: str):
    return lambda value, names: names.describe(kind, value)


def _accounts(value, names: Names) -> str:
    if not isinstance(value, dict):
        return str(value)
    labels = account_names()
    parts = []
    for key, number in value.items():
        if not number:
            continue
        if key.startswith("category:"):
            category = key.partition(":")[2]
            label = names.describe("category", int(category)) if category.isdigit() else category
        else:
            label = labels.get(key, key)
        parts.append(f"{label} → {number}")
    return "; ".join(parts) or _("none")


def _rotation(value, names: Names) -> str:
    if isinstance(value, list) and len(value) == 3:
        return _("marked down by %(percent)s%% after %(weeks)s weeks, off the floor after %(pull)s weeks",
                 weeks=value[0], percent=value[1], pull=value[2])
    return str(value)


def _source(value, names: Names) -> str:
    """Whose mistakes a wait counts: a throttle's key ("pin:3:10.0.0.5", "approval:by:7") in words."""
    text = str(value)
    if text.startswith("approval:by:"):
        asker = text.removeprefix("approval:by:")
        who = names.person(int(asker)) if asker.isdigit() else asker
        return _("a manager's approval asked for by %(who)s", who=who)
    address = text.split(":", 2)[-1]
    return _("the device at %(address)s", address=address) if address not in ("local", "-") else _("this computer")


def _buyer(value, names: Names) -> str:
    """A buyer as recorded: their NIP, or "person" for a private person."""
    return _("a private person") if value == "person" else _("NIP %(nip)s", nip=value)


def _change_status(value, names: Names) -> str:
    return {"changed": _("changed"), "removed": _("removed")}.get(str(value), str(value))


def _choice(key: str):
    """A value that is one of a few codes, shown by its name; ``show.codes`` names the list (for the test
    that every code has a name)."""
    def show(value, names: Names) -> str:
        return _choices()[key]().get(str(value), str(value))
    show.codes = key
    return show


Show = Callable[[object, Names], str]


def fields() -> dict[str, tuple[str, Show]]:
    """Every detail key the code records → (its label, how its value reads)."""
    return {
        "accounts": (_("Accounts"), _accounts), "added": (_("Added"), _count), "affects_day": (_("Day corrected"), _day_value),
        "amount": (_("Amount"), _money), "approved_by": (_("Approved by"), _person), "attempt": (_("Attempt"), _count),
        "buyer": (_("Buyer"), _buyer), "card_system": (_("Card (system)"), _money),
        "card_terminal": (_("Card (terminal)"), _money), "carried_from": (_("Carried over from"), _reference("tillsession")),
        "category": (_("Category"), _text), "cause": (_("Cause"), _choice("cause")), "category_id": (_("Category"), _reference("category")),
        "code": (_("Code"), _text), "colours": (_("Colours"), _text), "consumers": (_("Private persons' invoices to KSeF"), _yes_no),
        "corrects": (_("Corrects"), _text), "count": (_("Number"), _count), "counted": (_("Counted"), _money),
        "csv_dialect": (_("CSV files"), _choice("csv_dialect")), "day": (_("Day"), _day_value),
        "delivered": (_("Delivered"), _yes_no), "description": (_("Description"), _text),
        "destination": (_("Where to"), _choice("destination")), "difference": (_("Over (+) / short (−)"), _money),
        "discount": (_("Discount"), _money), "discount_limit_percent": (_("Discount limit (%)"), _count),
        "entered_by": (_("Entered by"), _person), "error": (_("Error"), _text), "expected": (_("Expected"), _money),
        "fiscal_mode": (_("Receipts"), _choice("fiscal_mode")), "fiscal_printer": (_("Fiscal printer"), _text),
        "float": (_("Float"), _money), "folder": (_("USB stick or folder"), _text),
        "copy": (_("Backup"), _text), "previous": (_("The database it replaced, kept as"), _text),
        "keep": (_("Copies kept (days / weeks / months)"), _text), "repository": (_("restic repository"), _text), "found": (_("Found"), _text), "fp": (_("FP"), _yes_no),
        "how": (_("How"), _choice("how")), "items": (_("Items"), _count), "job": (_("Print job"), _reference("printjob")),
        "kept": (_("Left in the drawer"), _money), "kind": (_("What was typed"), _choice("kind")),
        "ksef": (_("KSeF"), _choice("ksef")), "ksef_number": (_("KSeF number"), _text), "line": (_("Line"), _reference("saleline")),
        "lines": (_("Lines"), _count), "lost": (_("Lost"), _count), "method": (_("Money"), _choice("method")),
        "mode": (_("KSeF mode"), _choice("mode")), "name": (_("Name"), _text), "net": (_("Net sales"), _money),
        "new": (_("New price"), _money), "nip": (_("Buyer"), _buyer), "number": (_("Number"), _text),
        "old": (_("Old price"), _money), "paper_mm": (_("Paper (mm)"), _count), "percent": (_("Percent"), _count),
        "price": (_("Price"), _money), "printed": (_("Printed"), _yes_no), "printer": (_("Printer"), _text),
        "profile": (_("Profile"), _text), "quantity": (_("Quantity"), _count), "receipts": (_("Receipts"), _count),
        "recovered": (_("Printed after a restart"), _yes_no), "reference": (_("Reference"), _text),
        "refund": (_("Refund"), _number), "refund_of": (_("Refund of receipt"), _number),
        "remembered": (_("Remembered"), _text), "reported_on": (_("Reported on"), _day_value),
        "role": (_("Role"), _choice("role")), "rule": (_("Rule"), _rotation), "sale": (_("Receipt"), _number),
        "sale_id": (_("Sale"), _reference("sale")), "scope": (_("Scope"), _choice("scope")),
        "send_by": (_("Send by"), _day_value), "seconds": (_("Wait (seconds)"), _count), "series": (_("Series"), _text),
        "session": (_("Till session"), _reference("tillsession")), "sha256": (_("UPO SHA-256"), _text),
        "source": (_("Typed from"), _source), "till": (_("Till"), _text), "token_changed": (_("Token changed"), _yes_no),
        "tolerance": (_("Tolerance"), _money), "total": (_("Total"), _money), "with_value": (_("With value"), _yes_no),
    }


def action_fields() -> dict[tuple[str, str], tuple[str, Show]]:
    """Where one key means another thing in one action: a sign-in's ``method`` is a PIN or a password,
    not money; an invoice's ``session`` is KSeF's, not a till's."""
    signed_in = (_("Signed in with"), _choice("kind"))
    ksef_session = (_("KSeF session"), _text)
    return {("auth.sign_in", "method"): signed_in,
            ("token.create", "scope"): (_("May"), _choice("token_scope")),
            ("invoice.ksef_not_there", "session"): ksef_session,
            ("invoice.ksef_session_gone", "session"): ksef_session}


def change_fields() -> dict[str, tuple[str, Show]]:
    """The fields a "changes" detail can name (a category's, a person's) → (label, how a value reads)."""
    return {"name": (_("Name"), _text), "default_price_minor": (_("Default price"), _money),
            "vat_code": (_("VAT rate"), _text), "active": (_("Active"), _yes_no),
            "fiscal_name": (_("Name on fiscal receipts"), _text),
            "fiscal_from_first_sale": (_("Fiscal from the first sale"), _yes_no),
            "role": (_("Role"), _choice("role")), "pin": (_("PIN"), _change_status),
            "password": (_("Password"), _change_status)}


# --- a record in words --------------------------------------------------------------------------

def record(event: AuditEvent, names: Names) -> str:
    """What the event concerns: "Paragon nr 12", "Kategoria „Odzież”", "Ustawienia sklepu"."""
    if not event.object_type:
        return "—"
    return names.describe(event.object_type, event.object_id)


def details(event: AuditEvent, names: Names) -> str:
    """The details as "Label: value" pairs; empty ones left out."""
    table, special, changed = fields(), action_fields(), change_fields()
    parts = []
    for key, value in (event.details or {}).items():
        if value is None or value == "" or value == [] or value == {}:
            continue
        if key == "changes" and isinstance(value, dict):
            for field, change in value.items():
                label, show = changed.get(field, (field.replace("_", " "), _text))
                if isinstance(change, list) and len(change) == 2:
                    parts.append(f"{label}: {_or_dash(change[0], show, names)} → {_or_dash(change[1], show, names)}")
                else:
                    parts.append(f"{label}: {show(change, names)}")
            continue
        label, show = special.get((event.action, key)) or table.get(key) or (key.replace("_", " "), _text)
        parts.append(f"{label}: {show(value, names)}")
    return ", ".join(parts)


def _or_dash(value, show: Show, names: Names) -> str:
    return "—" if value is None or value == "" else show(value, names)
