"""The audit log in words a manager reads: what a record is, and its details with names, not ids, and
złoty, not grosze ("Razem: 63,50 zł, Zgoda: Marek", never "total=6350, approved_by=None")."""
from __future__ import annotations

from flask_babel import gettext as _

from ..core.models import AuditEvent
from ..core.money import format_money
from .exports import method_names

#: Details that are amounts in grosze.
MONEY = {"amount", "card_system", "card_terminal", "counted", "difference", "discount", "expected", "float", "kept",
         "net", "price", "total", "tolerance", "default_price_minor", "price_minor"}
#: Details that are a person's id.
PEOPLE = {"approved_by", "entered_by"}


def action_names() -> dict[str, str]:
    """The audit log's actions in the person's language (an unknown one shows its code). One row is
    one action: "Wypłata", not "Wypłaty"."""
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
        "item.price_change": _("Price changed"), "item.pull": _("Taken off the floor"),
        "item.restock": _("Stock added"), "item.write_off": _("Written off"),
        "print.retry": _("Print retried"), "receipt.reprint": _("Receipt reprinted"),
        "print.repeated": _("Sent again after a crash (marked as repeated)"),
        "rotation.colours": _("Tag colours changed"), "rotation.markdown": _("Marked down"),
        "rotation.rule": _("Tag colour rule changed"), "sale.discount": _("Discount"),
        "sale.discount_removed": _("Discount removed"), "sale.line_removed": _("Line removed"),
        "sale.price_override": _("Price overridden"), "sale.refund": _("Refund"), "sale.void": _("Basket cancelled"),
        "sale.void_left": _("Basket left open cancelled by a manager"),
        "settings.accounts": _("Accounts and exports changed"), "settings.fiscal_printer": _("Fiscal printer changed"),
        "settings.invoicing": _("Invoicing settings changed"), "settings.printer": _("Printer changed"),
        "settings.update": _("Settings changed"), "stock_take.start": _("Stock take started"),
        "stock_take.finish": _("Stock take finished"), "token.create": _("API token created"),
        "token.revoke": _("API token revoked"), "user.create": _("Person added"), "user.update": _("Person changed"),
        "user.unlock": _("Account unlocked"),
    }


def _labels() -> dict[str, str]:
    return {
        "accounts": _("Accounts"), "added": _("Added"), "affects_day": _("Day corrected"), "amount": _("Amount"),
        "approved_by": _("Approved by"), "attempt": _("Attempt"), "buyer": _("Buyer"),
        "card_system": _("Card (system)"), "card_terminal": _("Card (terminal)"), "carried_from": _("Carried over"),
        "category": _("Category"), "category_id": _("Category"), "cause": _("Cause"), "changes": _("Changes"),
        "code": _("Code"), "colours": _("Colours"), "consumers": _("Private persons"), "corrects": _("Corrects"),
        "count": _("Number"), "counted": _("Counted"), "csv_dialect": _("CSV files"), "day": _("Day"),
        "delivered": _("Delivered"), "description": _("Description"), "destination": _("Where to"),
        "difference": _("Over (+) / short (−)"), "discount": _("Discount"),
        "discount_limit_percent": _("Discount limit (%)"), "entered_by": _("Entered by"), "error": _("Error"),
        "expected": _("Expected"), "fiscal_mode": _("Receipts"), "fiscal_printer": _("Fiscal printer"),
        "float": _("Float"), "found": _("Found"), "fp": _("FP"), "how": _("How"), "items": _("Items"),
        "job": _("Print job"), "kept": _("Left in the drawer"), "kind": _("Kind"), "ksef": _("KSeF"),
        "ksef_number": _("KSeF number"), "line": _("Line"), "lines": _("Lines"), "lost": _("Lost"),
        "method": _("Money"), "minutes": _("Minutes"), "name": _("Name"), "net": _("Net sales"),
        "new": _("New price"), "nip": _("NIP"), "number": _("Number"), "old": _("Old price"),
        "paper_mm": _("Paper (mm)"), "percent": _("Percent"), "price": _("Price"), "printed": _("Printed"),
        "printer": _("Printer"), "profile": _("Profile"), "quantity": _("Quantity"), "receipts": _("Receipts"),
        "reference": _("Reference"), "refund": _("Refund"), "refund_of": _("Refund of"),
        "remembered": _("Remembered"), "reported_on": _("Reported on"), "role": _("Role"), "rule": _("Rule"),
        "sale": _("Sale"), "sale_id": _("Sale"), "scope": _("Scope"), "send_by": _("Send by"),
        "seconds": _("Seconds"), "series": _("Series"), "session": _("Till session"), "source": _("Typed from"),
        "token_changed": _("Token changed"),
        "tolerance": _("Tolerance"), "total": _("Total"), "with_value": _("With value"),
    }


def _kinds() -> dict[str, str]:
    return {
        "sale": _("Sale"), "saleline": _("Sale line"), "item": _("Item"), "user": _("Person"),
        "tillsession": _("Till session"), "zreport": _("Z report"), "category": _("Category"), "donor": _("Donor"),
        "donationbatch": _("Donation"), "adjustment": _("Correction"), "cashmovement": _("Cash movement"),
        "invoice": _("Invoice"), "buyer": _("Buyer"), "shop": _("Shop settings"), "printjob": _("Print job"),
        "apitoken": _("API token"), "stocktake": _("Stock take"), "dayreopening": _("Reopening of a day"),
        "countsignoff": _("Sign-off"), "fiscalregistration": _("Fiscal receipt"), "itemremoval": _("Taken off the floor"),
        "rotationrule": _("Tag colour rule"), "priceguide": _("Price guide"), "till": _("Till"),
        "businessday": _("Day"), "invoicesettings": _("Invoicing settings"), "ledgeraccount": _("Account"),
    }


def record(event: AuditEvent) -> str:
    """What the event concerns: "Sale no. 3", "Person no. 2"."""
    if not event.object_type:
        return "—"
    what = _kinds().get(event.object_type, event.object_type)
    return _("%(what)s no. %(number)s", what=what, number=event.object_id) if event.object_id else what


def _value(key: str, value, people: dict[int, str]) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in PEOPLE and isinstance(value, int):
        return people.get(value, "?")
    if key in MONEY and isinstance(value, int):
        return format_money(value)
    if key == "method" and isinstance(value, str):
        return method_names().get(value, value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def details(event: AuditEvent, people: dict[int, str]) -> str:
    """The details as "Label: value" pairs; empty ones left out."""
    labels = _labels()
    parts = []
    for key, value in (event.details or {}).items():
        if value is None or value == "" or value == []:
            continue
        label = labels.get(key, key.replace("_", " "))
        if key == "changes" and isinstance(value, dict):
            for field, change in value.items():
                name = labels.get(field, field.replace("_", " "))
                if isinstance(change, list) and len(change) == 2:
                    old, new = (format_money(v) if field.endswith("_minor") and isinstance(v, int) else v
                                for v in change)
                    parts.append(f"{name}: {old} → {new}")
                else:
                    parts.append(f"{name}: {_('changed')}")
            continue
        parts.append(f"{label}: {_value(key, value, people)}")
    return ", ".join(parts)
