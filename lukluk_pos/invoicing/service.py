"""Issuing invoices: the buyer register, an invoice for a completed sale, a correction for a refund.

Rules (DESIGN.md, "Polish rules"; the cooperative's bookkeeper decides the settings):
- a sale is invoiced at most once, with a gapless yearly number per series (``FV/12/2026``);
- a sale rung on a fiscal receipt (fiscal printer or standalone register) is invoiced with the ``FP``
  mark, and for a business only if the receipt carries that buyer's NIP (art. 106b ust. 5);
- a private person asks within three months from the end of the month of the sale (art. 106b ust. 3);
- a refund of an invoiced sale produces a correcting invoice linked to it, in the refund's transaction.
"""
from __future__ import annotations

import calendar
import functools
from datetime import date, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..core import audit, sealing, validation
from ..core.errors import DomainError, InvalidInput, NotFound
from ..core.models import FiscalMode, Shop, next_value, utcnow
from ..extensions import db
from ..till.models import Sale, SaleKind, SaleStatus
from .models import Buyer, BuyerKind, Invoice, InvoiceKind, InvoiceSettings, KsefStatus

#: FA(3) rates of the catalogue's VAT codes, in percent (None: not taxed).
RATES = {"23": 23, "8": 8, "5": 5, "0": 0, "zw": None}
#: From this day every invoice to a business goes through KSeF (the KSeF act's last phase).
KSEF_MANDATORY_FROM = date(2027, 1, 1)
#: EU member states as FA(3)'s KodUE lists them (Greece is EL there, GR in addresses; XI Northern Ireland).
EU = {"AT", "BE", "BG", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HR", "HU", "IE", "IT", "LV", "LT",
      "LU", "MT", "NL", "PT", "RO", "SK", "SI", "ES", "SE", "XI"}
#: FA(3) fields the exemption basis may be written in.
EXEMPTION_FIELDS = ("P_19A", "P_19B", "P_19C")


class InvoiceRefused(DomainError):
    code = "invoice_refused"
    message = _l("The invoice cannot be issued.")


def settings() -> InvoiceSettings:
    """The invoicing settings row, made with its defaults on first use."""
    row = db.session.scalar(select(InvoiceSettings).limit(1))
    if row is None:
        shop = db.session.scalar(select(Shop).limit(1))
        row = InvoiceSettings(place=_town(shop.address) if shop else "")
        db.session.add(row)
        db.session.flush()
    return row


def secrets_unreadable() -> list[str]:
    """Which saved secrets (``ksef_token``, ``offline_key``) this installation cannot read: sealed with
    another installation's key (a backup restored on a new computer without its ``data.key``)."""
    from sqlalchemy import text

    row = db.session.execute(text("SELECT ksef_token, offline_key FROM invoice_settings LIMIT 1")).first()
    if row is None:
        return []
    return [name for name, stored in zip(("ksef_token", "offline_key"), row) if not sealing.readable(stored)]


def _town(address: str) -> str:
    """The town from a shop address like "ul. Monte Cassino 10, 81-701 Sopot" (for the place of issue)."""
    last = address.replace("\n", ",").split(",")[-1].strip()
    words = last.split()
    return " ".join(words[1:] if words and words[0][:2].isdigit() else words)[:60]


def ksef_enabled(config: InvoiceSettings) -> bool:
    return config.ksef_environment != "off" or bool(current_app.config.get("KSEF_URL"))


def ksef_ready(config: InvoiceSettings) -> bool:
    """KSeF is chosen and the shop's token entered: invoices can go."""
    return ksef_enabled(config) and bool(config.ksef_token)


# --- buyers --------------------------------------------------------------------------------------

def find_buyer(nip_text) -> Buyer | None:
    """A business buyer by NIP as typed (dashes, spaces, a PL prefix are fine); None when unknown."""
    return db.session.scalar(select(Buyer).where(Buyer.nip == validation.nip(nip_text)))


@functools.cache
def countries() -> frozenset[str]:
    """The country codes FA(3) accepts (``TKodKraju``), read from the schema ``ksef-client`` ships."""
    from importlib import resources

    from lxml import etree

    schema = resources.files("ksef_client.documents.fa3") / "schemas" / "KodyKrajow_v10-0E.xsd"
    doc = etree.parse(str(schema))
    return frozenset(doc.xpath("//xsd:simpleType[@name='TKodKraju']//xsd:enumeration/@value",
                               namespaces={"xsd": "http://www.w3.org/2001/XMLSchema"}))


def _foreign_id(country, tax_id) -> tuple[str, str]:
    """A foreign buyer's country (alpha-2, not PL) and tax number as FA(3) takes them: an EU VAT number is
    1–12 capital letters, digits, ``+`` or ``*`` (its country prefix and spaces dropped)."""
    import re

    code = (country if isinstance(country, str) else "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code) or code == "PL" or code not in countries():
        raise InvalidInput(_l("Choose the buyer's country: two letters, e.g. DE (not PL: a Polish business has a NIP)."),
                           field="country")
    text_value = validation.text(tax_id, field="tax_id", max_len=50)
    if code in EU:
        number = text_value.upper().replace(" ", "").replace("-", "").replace(".", "")
        number = number.removeprefix("EL" if code == "GR" else code)
        if not re.fullmatch(r"[0-9A-Z+*]{1,12}", number):
            raise InvalidInput(_l("An EU VAT number is up to 12 letters and digits after the country code, "
                                  "e.g. DE123456789."), field="tax_id")
        return code, number
    return code, text_value


def save_buyer(*, kind: str, nip=None, name, address1="", address2="", email="", user: User, country="",
               tax_id="") -> Buyer:
    """Add a buyer, or bring a known business (same NIP, or same country and tax number) up to date;
    invoices keep their own copy."""
    if kind not in (BuyerKind.BUSINESS.value, BuyerKind.PERSON.value, BuyerKind.FOREIGN.value):
        raise InvalidInput(_l("Choose a business or a private person."), field="kind")
    name = validation.text(name, field="name", max_len=200)
    # An invoice names the buyer's address, a private person's too (art. 106e ust. 1 pkt 3).
    address1 = validation.text(address1, field="address1", max_len=160)
    address2 = validation.text(address2, field="address2", max_len=160)
    email = validation.text(email, field="email", max_len=120, required=False)
    if email and ("@" not in email or " " in email):
        raise InvalidInput(_l("Enter an e-mail address like name@example.org."), field="email")
    if kind == BuyerKind.BUSINESS.value:
        digits = validation.nip(nip)
        buyer = db.session.scalar(select(Buyer).where(Buyer.nip == digits))
        if buyer is None:  # two tills may add the same new NIP at once: the second re-reads the first's
            try:
                with db.session.begin_nested():
                    buyer = Buyer(kind=BuyerKind.BUSINESS, nip=digits, created_by_id=user.id, name=name)
                    db.session.add(buyer)
            except IntegrityError:
                buyer = db.session.scalar(select(Buyer).where(Buyer.nip == digits))
    elif kind == BuyerKind.FOREIGN.value:
        code, number = _foreign_id(country, tax_id)
        buyer = db.session.scalar(select(Buyer).where(Buyer.kind == BuyerKind.FOREIGN, Buyer.country == code,
                                                      Buyer.tax_id == number))
        if buyer is None:
            buyer = Buyer(kind=BuyerKind.FOREIGN, nip=None, country=code, tax_id=number, created_by_id=user.id)
            db.session.add(buyer)
    else:
        buyer = Buyer(kind=BuyerKind.PERSON, nip=None, created_by_id=user.id)
        db.session.add(buyer)
    before = (buyer.name, buyer.address1, buyer.address2, buyer.email)
    buyer.name, buyer.address1, buyer.address2, buyer.email = name, address1, address2, email
    db.session.flush()
    if before != (name, address1, address2, email):  # a new buyer, or a known one's details changed
        audit.record("buyer.save", user_id=user.id, obj=buyer, nip=buyer.nip or "person", name=name)
    return buyer


def buyers(query: str = "", limit: int = 200) -> list[Buyer]:
    stmt = select(Buyer).order_by(Buyer.name).limit(limit)
    query = validation.text(query, field="q", max_len=60, required=False)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit() and ch.isascii())
        like = f"%{query.lower()}%"
        cond = func.lower(Buyer.name).like(like)
        stmt = stmt.where(cond | (Buyer.nip.like(f"%{digits}%")) if digits else cond)
    return list(db.session.scalars(stmt))


# --- issuing -------------------------------------------------------------------------------------

def sale_for(receipt) -> Sale:
    """A completed sale by the number on its receipt or its barcode (``00000042``)."""
    text = receipt.strip().lstrip("#") if isinstance(receipt, str) else ""
    number = int(text) if text.isdigit() and text.isascii() and len(text) <= 12 else None
    sale = db.session.scalar(select(Sale).where(Sale.number == number)) if number else None
    if sale is None or sale.kind is not SaleKind.SALE or sale.status is not SaleStatus.COMPLETED:
        raise NotFound(_l("No completed sale has the receipt number %(number)s."), field="receipt",
                       number=text[:12] or "?")
    return sale


def invoice_of(sale: Sale) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.sale_id == sale.id))


def consumer_deadline(sold: date) -> date:
    """The last day a private person may ask: three months from the end of the month of the sale."""
    month = sold.month + 3
    year = sold.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def vat_split(gross_by_code: dict[str, int]) -> list[dict]:
    """Net and tax per VAT code from the gross totals (half up, on the absolute value), codes in order."""
    rows = []
    for code in ("23", "8", "5", "0", "zw"):
        if code not in gross_by_code:
            continue
        gross, rate = gross_by_code[code], RATES[code]
        tax = 0 if not rate else (abs(gross) * rate * 2 + (100 + rate)) // (2 * (100 + rate))
        tax = -tax if gross < 0 else tax
        rows.append({"code": code, "gross_minor": gross, "net_minor": gross - tax, "vat_minor": tax})
    return rows


def _fiscal_receipt(sale: Sale, shop: Shop) -> bool:
    """Whether the sale was rung on a fiscal receipt (an invoice for it carries FP)."""
    from ..fiscal.models import FiscalRegistration

    if shop.fiscal_mode is FiscalMode.REGISTER:
        return True
    return db.session.scalar(select(FiscalRegistration.id).where(FiscalRegistration.sale_id == sale.id)) is not None


def _fiscal_receipt_of(sale: Sale) -> dict | None:
    """The fiscal receipt's own number and date (a refund takes a till number, never a fiscal one);
    None when the sale was rung on a standalone register, whose numbers the till does not know."""
    from ..cash.service import local_date
    from ..fiscal.models import FiscalRegistration

    row = db.session.scalar(select(FiscalRegistration).where(FiscalRegistration.sale_id == sale.id))
    if row is None or row.receipt_number is None:
        return None
    when = local_date(row.registered_at) if row.registered_at else sale.business_date
    return {"number": row.receipt_number, "date": when.isoformat() if when else None}


def _exemption(config: InvoiceSettings, gross: dict[str, int]) -> dict:
    """The exemption basis copied onto an invoice with exempt lines, and the FA(3) field it goes in. A
    subjective exemption (art. 113: a shop below the turnover limit) cannot stand beside taxed lines."""
    if "zw" not in gross:
        return {"exemption_basis": "", "exemption_field": ""}
    basis = config.exemption_basis
    taxed = any(code != "zw" for code in gross)
    if taxed and "113" in basis.replace(" ", "").split("ust")[0]:
        raise InvoiceRefused(_l("The exemption basis in the settings is art. 113 (a shop below the VAT limit), yet this "
                                "sale has taxed goods beside exempt ones: an administrator sets the basis of exempt "
                                "goods (for donated used goods: art. 43 ust. 1 pkt 2) under Invoicing settings."))
    field = config.exemption_field if config.exemption_field in EXEMPTION_FIELDS else "P_19A"
    return {"exemption_basis": basis, "exemption_field": field}


def _seller(shop: Shop) -> dict:
    if not validation.nip_is_valid(shop.nip or ""):
        raise InvoiceRefused(_l("The shop's NIP is not set: an administrator enters it in the settings first."))
    lines = [part.strip() for part in shop.address.replace("\n", ",").split(",") if part.strip()]
    if not lines:
        raise InvoiceRefused(_l("The shop's address is not set: an administrator enters it in the settings first."))
    return {"name": shop.name, "nip": shop.nip, "address1": lines[0][:160],
            "address2": ", ".join(lines[1:])[:160], "country": "PL"}


def _buyer_copy(buyer: Buyer) -> dict:
    copy = {"kind": buyer.kind.value, "name": buyer.name, "nip": buyer.nip or "", "address1": buyer.address1,
            "address2": buyer.address2, "country": buyer.country or "PL"}
    if buyer.kind is BuyerKind.FOREIGN:
        copy["tax_id"], copy["eu"] = buyer.tax_id, buyer.country in EU
    return copy


def _payments(sale: Sale, sign: int = 1) -> list[dict]:
    by_method: dict[str, int] = {}
    for payment in sale.payments:
        by_method[payment.method.value] = by_method.get(payment.method.value, 0) + payment.amount_minor
    return [{"method": method, "amount_minor": sign * amount} for method, amount in sorted(by_method.items())
            if amount]


def _number(series: str, year: int) -> tuple[int, str]:
    sequence = next_value(f"invoice:{series}:{year}")
    return sequence, f"{series}/{sequence}/{year}"


def _ksef_status(config: InvoiceSettings, buyer: Buyer) -> KsefStatus:
    if not ksef_enabled(config):
        return KsefStatus.LOCAL
    if buyer.kind is BuyerKind.PERSON and not config.send_consumer_invoices:
        return KsefStatus.LOCAL
    return KsefStatus.QUEUED


def _seal(invoice: Invoice) -> None:
    """Build the invoice's FA(3) XML once, check it against the XSD, keep it and its hash."""
    from ksef_client.documents.fa3.xml import FA3XmlValidationError

    from . import fa3  # lxml is loaded when the first invoice is made, not when the till starts

    xml = fa3.build(invoice.number, invoice.kind.value, invoice.issue_date, invoice.sale_date, invoice.data)
    try:
        fa3.validate(xml)
    except FA3XmlValidationError as exc:  # a value the checks above let through: refused, never a 500
        current_app.logger.warning("invoice %s: FA(3) schema refused it: %s", invoice.number, str(exc)[:500])
        raise InvoiceRefused(_l("The invoice's data do not fit the FA(3) schema (check the buyer's details); "
                                "nothing was issued.")) from exc
    invoice.xml, invoice.xml_sha256 = xml.decode("utf-8"), fa3.sha256_b64(xml)


def issue(*, sale_id: int, buyer_id: int, user: User, today: date) -> Invoice:
    """Issue the invoice for a completed sale (locked while it is checked and numbered)."""
    sale = db.session.scalar(select(Sale).where(Sale.id == sale_id).with_for_update())
    buyer = db.session.get(Buyer, buyer_id)
    if sale is None or sale.kind is not SaleKind.SALE or sale.status is not SaleStatus.COMPLETED:
        raise NotFound(_l("Only a completed sale can be invoiced."), field="receipt")
    if buyer is None:
        raise NotFound(_l("Choose the buyer."), field="nip")
    done = invoice_of(sale)
    if done is not None:
        raise InvoiceRefused(_l("This sale is already invoiced: %(number)s."), field="receipt", number=done.number)
    if db.session.scalar(select(Sale.id).where(Sale.refund_of_id == sale.id, Sale.status == SaleStatus.COMPLETED)
                         .limit(1)) is not None:
        raise InvoiceRefused(_l("Part of this sale was refunded: an invoice can only be issued for a sale "
                                "nothing was refunded from."), field="receipt")
    shop = db.session.scalar(select(Shop).limit(1))
    seller = _seller(shop)
    sold = sale.business_date or today
    fp = _fiscal_receipt(sale, shop)
    if buyer.kind is BuyerKind.BUSINESS and fp and sale.buyer_nip != buyer.nip:
        raise InvoiceRefused(
            _l("Receipt no. %(number)s does not carry the NIP %(nip)s: an invoice for a fiscal receipt to a business "
               "may only be issued when the buyer's NIP was given before the sale and printed on the receipt."),
            field="nip", number=sale.number, nip=buyer.nip)
    if buyer.kind is BuyerKind.PERSON and today > consumer_deadline(sold):
        raise InvoiceRefused(
            _l("A private buyer may ask for an invoice until %(deadline)s (three months from the end of the month of "
               "the sale); that time has passed."), field="receipt", deadline=consumer_deadline(sold).strftime("%d.%m.%Y"))
    config = settings()
    if buyer.kind is not BuyerKind.PERSON and today >= KSEF_MANDATORY_FROM and not ksef_ready(config):
        raise InvoiceRefused(
            _l("From 1 January 2027 an invoice to a business is issued only through KSeF, and KSeF is not set up: an "
               "administrator chooses the KSeF environment and enters the shop's KSeF token (and the offline "
               "certificate, for days KSeF cannot be reached) under Invoicing settings."), field="nip")
    lines, gross = [], {}
    for line in sale.lines:
        lines.append({"description": line.description, "quantity": line.quantity, "unit_minor": line.unit_price_minor,
                      "discount_minor": line.unit_price_minor * line.quantity - line.total_minor,
                      "total_minor": line.total_minor, "vat_code": line.vat_code})
        gross[line.vat_code] = gross.get(line.vat_code, 0) + line.total_minor
    vat = vat_split(gross)
    data = {"seller": seller, "buyer": _buyer_copy(buyer), "place": config.place, "lines": lines, "vat": vat,
            "total_minor": sale.total_minor, "payments": _payments(sale), "paid_on": sold.isoformat(), "fp": fp,
            "receipt_number": sale.number, "fiscal_receipt": _fiscal_receipt_of(sale) if fp else None,
            **_exemption(config, gross)}
    sequence, number = _number(config.series, today.year)
    invoice = Invoice(kind=InvoiceKind.INVOICE, series=config.series, year=today.year, sequence=sequence, number=number,
                      sale_id=sale.id, buyer=buyer, issue_date=today, sale_date=sold, issued_by_id=user.id, data=data,
                      total_minor=sale.total_minor, ksef_status=_ksef_status(config, buyer))
    _seal(invoice)
    db.session.add(invoice)
    db.session.flush()
    audit.record("invoice.issue", user_id=user.id, obj=invoice, number=number, sale=sale.number, fp=fp,
                 buyer=buyer.nip or "person")
    return invoice


def correct_for_refund(refund: Sale, *, user_id: int, today: date) -> Invoice | None:
    """The correcting invoice for a refund of an invoiced sale (None when the sale was not invoiced)."""
    original = db.session.scalar(select(Invoice).where(Invoice.sale_id == refund.refund_of_id))
    if original is None:
        return None
    config = settings()
    lines, gross = [], {}
    for line in refund.lines:
        lines += _correction_rows(line, refund)
        gross[line.vat_code] = gross.get(line.vat_code, 0) - line.total_minor
    # The corrected invoice's data stand, its sale date (P_6) and exemption basis included (art. 106j ust. 2).
    data = dict(original.data, lines=lines, vat=vat_split(gross), total_minor=-refund.total_minor,
                payments=_payments(refund, -1), paid_on=(refund.business_date or today).isoformat(),
                receipt_number=refund.number, refunded=True,
                exemption_basis=original.data.get("exemption_basis", "") if "zw" in gross else "",
                exemption_field=(original.data.get("exemption_field") or "P_19A") if "zw" in gross else "",
                correction={"reason": refund.refund_reason[:256] or "Zwrot towaru", "number": original.number,
                            "issue_date": original.issue_date.isoformat(), "ksef_number": original.ksef_number,
                            "invoice_id": original.id, "sale_date": original.sale_date.isoformat()})
    sequence, number = _number(config.correction_series, today.year)
    correction = Invoice(kind=InvoiceKind.CORRECTION, series=config.correction_series, year=today.year,
                         sequence=sequence, number=number, refund_id=refund.id, corrects_id=original.id,
                         buyer_id=original.buyer_id, issue_date=today, sale_date=original.sale_date,
                         issued_by_id=user_id, data=data, total_minor=-refund.total_minor)
    if original.ksef_status is KsefStatus.LOCAL:
        correction.ksef_status = KsefStatus.LOCAL
    elif original.ksef_status is KsefStatus.ACCEPTED:
        correction.ksef_status = KsefStatus.QUEUED
    else:  # its XML needs the corrected invoice's KSeF number: sealed when that arrives (ksef.py)
        correction.ksef_status = KsefStatus.WAITING
    if correction.ksef_status is not KsefStatus.WAITING:
        _seal(correction)
    db.session.add(correction)
    db.session.flush()
    audit.record("invoice.correct", user_id=user_id, obj=correction, number=number, corrects=original.number,
                 refund=refund.number, total=correction.total_minor)
    return correction


def _correction_rows(line, refund: Sale) -> list[dict]:
    """A refunded line as FA(3) shows a correction of line data: the line before the correction (after any
    earlier refunds of it) and after, as two rows (``StanPrzed``) — no negative quantities or discounts."""
    from ..till.models import SaleLine

    original = db.session.get(SaleLine, line.refund_of_line_id) if line.refund_of_line_id else None
    if original is None:  # a refund line not tied to a sale line: the difference as one row
        return [{"description": line.description, "quantity": line.quantity, "unit_minor": line.unit_price_minor,
                 "discount_minor": line.unit_price_minor * line.quantity - line.total_minor,
                 "total_minor": -line.total_minor, "vat_code": line.vat_code, "difference": True}]
    earlier = db.session.execute(
        select(func.coalesce(func.sum(SaleLine.quantity), 0), func.coalesce(func.sum(SaleLine.total_minor), 0))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(SaleLine.refund_of_line_id == original.id, Sale.status == SaleStatus.COMPLETED,
               Sale.id != refund.id)).one()
    quantity_before, total_before = original.quantity - int(earlier[0]), original.total_minor - int(earlier[1])
    quantity_after, total_after = quantity_before - line.quantity, total_before - line.total_minor
    unit = original.unit_price_minor

    def row(quantity, total, before):
        return {"description": original.description, "quantity": quantity, "unit_minor": unit,
                "discount_minor": max(0, unit * quantity - total), "total_minor": total,
                "vat_code": original.vat_code, "before": before}
    return [row(quantity_before, total_before, True), row(quantity_after, total_after, False)]


def release_waiting(original: Invoice) -> int:
    """Corrections waiting for ``original``'s KSeF number: seal them now and queue them."""
    waiting = list(db.session.scalars(select(Invoice).where(Invoice.corrects_id == original.id,
                                                            Invoice.ksef_status == KsefStatus.WAITING)))
    for correction in waiting:
        correction.data = dict(correction.data, correction=dict(correction.data["correction"],
                                                                ksef_number=original.ksef_number))
        _seal(correction)
        correction.ksef_status, correction.ksef_next_attempt_at = KsefStatus.QUEUED, utcnow()
    return len(waiting)


def next_business_day(day: date) -> date:
    """offline24: an invoice issued offline reaches KSeF by the next business day (Saturdays, Sundays and
    Poland's public holidays skipped, from the ``holidays`` library)."""
    import holidays

    free = holidays.Poland(years=(day.year, day.year + 1))
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in free:
        day += timedelta(days=1)
    return day


# --- reading -------------------------------------------------------------------------------------

def invoices(start: date, end: date) -> list[Invoice]:
    return list(db.session.scalars(select(Invoice).where(Invoice.issue_date >= start, Invoice.issue_date <= end)
                                   .order_by(Invoice.issue_date, Invoice.id)))


def attention() -> list[Invoice]:
    """What the manager must see: not yet in KSeF after a failure, rejected, or waiting offline."""
    return list(db.session.scalars(select(Invoice).where(
        Invoice.ksef_status.in_([KsefStatus.REJECTED, KsefStatus.QUEUED, KsefStatus.SENDING, KsefStatus.SENT,
                                 KsefStatus.WAITING]),
        (Invoice.ksef_attempts > 0) | (Invoice.ksef_status == KsefStatus.REJECTED) | Invoice.offline
        | (Invoice.ksef_status == KsefStatus.WAITING)).order_by(Invoice.id)))


def offline_due(first: date | None, last: date) -> int:
    """How many offline24 invoices, not yet in KSeF, must reach it by a day from ``first`` to ``last``
    (``first`` None: any day up to ``last`` — the overdue ones)."""
    stmt = select(func.count()).select_from(Invoice).where(
        Invoice.offline.is_(True), Invoice.ksef_status.not_in([KsefStatus.ACCEPTED, KsefStatus.LOCAL]),
        Invoice.send_by <= last)
    if first is not None:
        stmt = stmt.where(Invoice.send_by >= first)
    else:
        stmt = stmt.where(Invoice.send_by < last)
    return db.session.scalar(stmt) or 0


def month_table(rows: list[Invoice], month: str):
    """The bookkeeper's month file: number, kind, dates, buyer, net/VAT/gross, receipt, KSeF number."""
    from flask_babel import gettext as _

    from ..core.tables import Money, Table

    table = Table(_("Invoices %(month)s", month=month), [
        _("Number"), _("Kind"), _("Issued"), _("Sold"), _("Buyer"), _("NIP"), _("Net"), _("VAT"), _("Gross"),
        _("Receipt"), _("Corrects"), _("KSeF number"), _("KSeF"), _("KSeF mode"), _("UPO SHA-256")])
    for invoice in rows:
        net = sum(row["net_minor"] for row in invoice.data["vat"])
        tax = sum(row["vat_minor"] for row in invoice.data["vat"])
        table.rows.append([
            invoice.number, _("correction") if invoice.kind is InvoiceKind.CORRECTION else _("invoice"),
            invoice.issue_date, invoice.sale_date, invoice.data["buyer"]["name"], invoice.data["buyer"]["nip"],
            Money(net), Money(tax), Money(invoice.total_minor), invoice.data.get("receipt_number") or "",
            (invoice.data.get("correction") or {}).get("number", ""), invoice.ksef_number,
            invoice.ksef_status.value + (" offline24" if invoice.offline else ""), invoice.ksef_mode,
            invoice.ksef_upo_sha256])
    if rows:
        table.rows.append([_("Total"), "", "", "", "", "",
                           Money(sum(sum(r["net_minor"] for r in i.data["vat"]) for i in rows)),
                           Money(sum(sum(r["vat_minor"] for r in i.data["vat"]) for i in rows)),
                           Money(sum(i.total_minor for i in rows)), "", "", "", "", "", ""])
    return table


def invoiced_to_businesses(_sender, *, start: date, end: date) -> int:
    """Listening to the fiscal area's question (``core.events.invoiced_to_businesses``): sales of the period
    invoiced to a business buyer, less what was refunded of them — outside the exemption's limit."""
    # Driven from the invoices (a shop issues few): asked as one query, SQLite walked the whole year's
    # sales probing each for an invoice, then every sale before the period's end for its refunds (113 ms
    # on the five-year shop, the dashboard's largest part). The ids are read first, then summed by key.
    ids = list(db.session.scalars(select(Invoice.sale_id).join(Buyer, Buyer.id == Invoice.buyer_id)
                                  .where(Buyer.kind == BuyerKind.BUSINESS, Invoice.sale_id.is_not(None))))
    total = 0
    for first in range(0, len(ids), 500):
        in_period = list(db.session.scalars(select(Sale.id).where(
            Sale.id.in_(ids[first:first + 500]), Sale.status == SaleStatus.COMPLETED, Sale.business_date >= start,
            Sale.business_date <= end)))
        if not in_period:
            continue
        total += int(db.session.scalar(select(func.coalesce(func.sum(Sale.total_minor), 0))
                                       .where(Sale.id.in_(in_period))) or 0)
        # Their refunds (one made later in the period counts too), found by the refund_of_id index; the
        # period's end is applied here (as a condition on the day, SQLite walked the day index instead).
        total -= sum(amount for amount, day in db.session.execute(
            select(Sale.total_minor, Sale.business_date).where(Sale.refund_of_id.in_(in_period),
                                                               Sale.status == SaleStatus.COMPLETED))
            if day is not None and day <= end)
    return total


def correct_refund(_sender, *, refund: Sale, user_id: int, fresh: bool, **_details) -> None:
    """Listening to the till (``core.events.sale_refunded``): an invoiced sale's refund is documented by a
    correcting invoice, in the refund's transaction (once: not when the refund's key is asked again)."""
    if fresh:
        correct_for_refund(refund, user_id=user_id, today=refund.business_date)
