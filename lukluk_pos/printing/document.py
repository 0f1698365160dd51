"""What a receipt or test page says, as a list of layout blocks, built once and printed or shown.

A block is a small dict: ``{"t": "text", "text": ..., "align": "left|center", "bold": bool,
"big": bool}``, ``{"t": "rule", "width": n}``, ``{"t": "barcode", "code": ...}``, ``{"t": "drawer"}``,
``{"t": "cut"}``. The ESC/POS renderer and the HTML renderer both read the same blocks, so the
receipt in the browser matches the paper one line for line.
"""
from __future__ import annotations

import textwrap
from datetime import datetime

from flask_babel import format_datetime

from ..core.models import FiscalMode, Shop
from ..core.money import format_money
from ..till.models import PaymentMethod, Sale, SaleKind

TEST_LINE = "Zażółć gęślą jaźń ŻÓŁW"


def money(minor: int) -> str:
    """Amounts on paper: ``12,50`` with a plain space for thousands (printers know no nbsp)."""
    return format_money(minor, currency=False).replace("\u00a0", " ")


def text(value: str, *, align: str = "left", bold: bool = False, big: bool = False) -> dict:
    return {"t": "text", "text": value, "align": align, "bold": bold, "big": big}


def rule(width: int) -> dict:
    return {"t": "rule", "width": width}


def row(left: str, right: str, width: int, **style) -> dict:
    """Left text and a right-aligned amount on one line (the left side is cut to fit)."""
    room = width - len(right) - 1
    return text(f"{left[:room]:<{room}} {right}", **style)


def wrapped(value: str, width: int, **style) -> list[dict]:
    return [text(line, **style) for line in textwrap.wrap(value, width) or [""]]


def _nip(nip: str) -> str:
    return f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}" if len(nip) == 10 else nip


def header(shop: Shop | None, width: int) -> list[dict]:
    blocks = [text((shop.name if shop else "LukLuk POS")[: width // 2], align="center", bold=True, big=True)]
    if shop:
        for line in shop.address.splitlines():
            blocks += wrapped(line.strip(), width, align="center")
        if shop.nip:
            blocks.append(text(f"NIP {_nip(shop.nip)}", align="center"))
    return blocks


def receipt(sale: Sale, shop: Shop | None, width: int, *, copy: bool = False, open_drawer: bool = False) -> list[dict]:
    """A sale's or refund's receipt: shop, number, lines, totals, VAT summary, payments, barcode."""
    blocks: list[dict] = [{"t": "drawer"}] if open_drawer else []
    blocks += header(shop, width)
    blocks.append(text(""))
    if not shop or shop.fiscal_mode is FiscalMode.EXEMPT:
        blocks.append(text("NIEFISKALNY", align="center", bold=True))
    if sale.kind is SaleKind.REFUND:
        blocks.append(text("ZWROT", align="center", bold=True, big=True))
        if sale.refund_of is not None:
            blocks.append(text(f"do paragonu nr {sale.refund_of.number}", align="center"))
    if copy:
        blocks.append(text("KOPIA", align="center", bold=True, big=True))
    when = format_datetime(sale.completed_at or datetime.now(), "yyyy-MM-dd HH:mm")
    blocks.append(row(f"Paragon nr {sale.number}", when, width))
    cashier = sale.cashier.name if sale.cashier else ""
    blocks.append(text(f"Kasa: {sale.till.name}  Kasjer: {cashier}"[:width]))
    blocks.append(rule(width))
    vat: dict[str, int] = {}
    for line in sale.lines:
        blocks += wrapped(line.description, width)
        gross = line.unit_price_minor * line.quantity
        blocks.append(row(f"  {line.quantity} x {money(line.unit_price_minor)}", f"{money(gross)} {line.vat_code}", width))
        line_discount = gross - line.total_minor - line.basket_discount_minor
        if sale.kind is SaleKind.SALE and line_discount:
            reason = f" ({line.discount_reason})" if line.discount_reason else ""
            blocks.append(row(f"  rabat{reason}", f"-{money(line_discount)}", width))
        vat[line.vat_code] = vat.get(line.vat_code, 0) + line.total_minor
    blocks.append(rule(width))
    if sale.discount_minor:
        reason = f" ({sale.discount_reason})" if sale.discount_reason else ""
        blocks.append(row(f"Rabat{reason}", f"-{money(sale.discount_minor)}", width))
    label = "DO ZWROTU PLN" if sale.kind is SaleKind.REFUND else "SUMA PLN"
    blocks.append(row(label, money(sale.total_minor), width // 2, bold=True, big=True))
    for code, amount in sorted(vat.items()):
        blocks.append(row(f"Sprzedaż {code}" if code == "zw" else f"Sprzedaż opodatk. {code}%", money(amount), width))
    blocks.append(rule(width))
    for payment in sale.payments:
        name = "Gotówka" if payment.method is PaymentMethod.CASH else "Karta"
        if sale.kind is SaleKind.REFUND:
            blocks.append(row(f"Zwrot: {name.lower()}", money(payment.amount_minor), width))
        elif payment.method is PaymentMethod.CASH:
            blocks.append(row(name, money(payment.tendered_minor or payment.amount_minor), width))
            blocks.append(row("Reszta", money(payment.change_minor), width, bold=True))
        else:
            blocks.append(row(name, money(payment.amount_minor), width))
    blocks.append(text(""))
    blocks.append({"t": "barcode", "code": f"{sale.number:08d}"})
    if shop and shop.receipt_footer:
        blocks.append(text(""))
        for paragraph in shop.receipt_footer.splitlines():
            blocks += wrapped(paragraph.strip(), width, align="center")
    blocks.append({"t": "cut"})
    return blocks


def test_page(shop: Shop | None, width: int, printer: str) -> list[dict]:
    """The printer test: Polish letters, widths, a barcode and the drawer left alone."""
    return [
        *header(shop, width),
        text(""),
        text("STRONA TESTOWA", align="center", bold=True, big=True),
        text(TEST_LINE, align="center"),
        text(TEST_LINE.lower()),
        text(TEST_LINE.upper(), bold=True),
        rule(width),
        row("Kolumny", str(width), width),
        row("Drukarka", printer[: width // 2], width),
        row("Kwota", money(123450), width),
        {"t": "barcode", "code": "00000123"},
        {"t": "cut"},
    ]


def drawer() -> list[dict]:
    return [{"t": "drawer"}]


def labels(items, width: int) -> list[dict]:
    """Price tickets for the receipt printer: price, short description, barcode, week colour and date.
    ``items`` are (price_minor, description, code, tag_colour, intake date, copies)."""
    blocks: list[dict] = []
    for price_minor, description, code, colour, day, copies in items:
        for _ in range(copies):
            blocks += [
                text(f"{money(price_minor)} zł", align="center", bold=True, big=True),
                text(description[:width], align="center"),
                {"t": "barcode", "code": code, "type": "EAN13"},
                text(f"{colour} · {day:%Y-%m-%d}"[:width], align="center"),
                {"t": "cut"},
            ]
    return blocks
