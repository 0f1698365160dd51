"""What a receipt or test page says, as a list of layout blocks, built once and printed or shown.

A block is a small dict: ``{"t": "text", "text": ..., "align": "left|center", "bold": bool,
"big": bool}``, ``{"t": "rule", "width": n}``, ``{"t": "barcode", "code": ...}``, ``{"t": "drawer"}``,
``{"t": "cut"}``. The ESC/POS renderer and the HTML renderer both read the same blocks, so the
receipt in the browser matches the paper one line for line.
"""
from __future__ import annotations

import textwrap
from datetime import datetime
from types import SimpleNamespace

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


def row(left: str, right: str, width: int, **style) -> list[dict]:
    """Left text and a right-aligned amount. Nothing is cut: a left side too long for the line wraps,
    and the amount stands on its last line (or on a line of its own)."""
    room = width - len(right) - 1
    if len(left) <= room:
        return [text(f"{left:<{room}} {right}", **style)]
    lines = textwrap.wrap(left, width) or [""]
    if len(lines[-1]) <= room:
        return [text(line, **style) for line in lines[:-1]] + [text(f"{lines[-1]:<{room}} {right}", **style)]
    return [text(line, **style) for line in lines] + [text(f"{right:>{width}}", **style)]


def wrapped(value: str, width: int, **style) -> list[dict]:
    """Text over as many lines as it needs (long words are broken, never dropped)."""
    return [text(line, **style) for line in textwrap.wrap(value, width) or [""]]


def _nip(nip: str) -> str:
    return f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}" if len(nip) == 10 else nip


def header(shop: Shop | None, width: int) -> list[dict]:
    # Large type is twice as wide: the shop's name wraps at half the width, it is never cut.
    blocks = wrapped(shop.name if shop else "LukLuk POS", width // 2, align="center", bold=True, big=True)
    if shop:
        for line in shop.address.splitlines():
            blocks += wrapped(line.strip(), width, align="center")
        if shop.nip:
            blocks.append(text(f"NIP {_nip(shop.nip)}", align="center"))
    return blocks


def repeated(blocks: list[dict], mark: str) -> list[dict]:
    """A document sent again after a crash: no drawer kick, and ``mark`` in large type at its top (after the
    shop's header when there is one), once however often it is repeated."""
    out = [block for block in blocks if block.get("t") != "drawer"]
    marker = text(mark, align="center", bold=True, big=True)
    if marker in out:
        return out
    at = next((i for i, block in enumerate(out) if block.get("t") == "text" and block.get("text") == ""), 0)
    return out[:at] + [marker] + out[at:]


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
    blocks += row(f"Paragon nr {sale.number}", when, width)
    cashier = sale.cashier.name if sale.cashier else ""
    blocks += wrapped(f"Kasa: {sale.till.name}  Kasjer: {cashier}", width)
    blocks.append(rule(width))
    vat: dict[str, int] = {}
    for line in sale.lines:
        blocks += wrapped(line.description, width)
        gross = line.unit_price_minor * line.quantity
        blocks += row(f"  {line.quantity} x {money(line.unit_price_minor)}", f"{money(gross)} {line.vat_code}", width)
        line_discount = gross - line.total_minor - line.basket_discount_minor
        if sale.kind is SaleKind.SALE and line_discount:
            reason = f" ({line.discount_reason})" if line.discount_reason else ""
            blocks += row(f"  rabat{reason}", f"-{money(line_discount)}", width)
        elif sale.kind is SaleKind.REFUND and line_discount:
            # What the customer paid for it was less: the discount's share, so the paper adds up.
            blocks += row("  rabat ze sprzedaży", f"-{money(line_discount)}", width)
        vat[line.vat_code] = vat.get(line.vat_code, 0) + line.total_minor
    blocks.append(rule(width))
    if sale.discount_minor:
        reason = f" ({sale.discount_reason})" if sale.discount_reason else ""
        blocks += row(f"Rabat{reason}", f"-{money(sale.discount_minor)}", width)
    label = "DO ZWROTU PLN" if sale.kind is SaleKind.REFUND else "SUMA PLN"
    blocks += row(label, money(sale.total_minor), width // 2, bold=True, big=True)
    what = "Zwrot" if sale.kind is SaleKind.REFUND else "Sprzedaż"
    for code, amount in sorted(vat.items()):
        blocks += row(f"{what} {code}" if code == "zw" else f"{what} opodatk. {code}%", money(amount), width)
    blocks.append(rule(width))
    for payment in sale.payments:
        name = "Gotówka" if payment.method is PaymentMethod.CASH else "Karta"
        if sale.kind is SaleKind.REFUND:
            blocks += row(f"Zwrot: {name.lower()}", money(payment.amount_minor), width)
        elif payment.method is PaymentMethod.CASH:
            blocks += row(name, money(payment.tendered_minor or payment.amount_minor), width)
            blocks += row("Reszta", money(payment.change_minor), width, bold=True)
        else:
            blocks += row(name, money(payment.amount_minor), width)
    blocks.append(text(""))
    blocks.append({"t": "barcode", "code": f"{sale.number:08d}"})
    if shop and shop.receipt_footer:
        blocks.append(text(""))
        for paragraph in shop.receipt_footer.splitlines():
            blocks += wrapped(paragraph.strip(), width, align="center")
    blocks.append({"t": "cut"})
    return blocks


def gift_confirmation(data: dict, shop: Shop | None, width: int) -> list[dict]:
    """The donor's confirmation of the gift (intake.service.gift_confirmation): who, when, what, the
    shop's statement, the value when asked, and two signatures."""
    blocks = header(shop, width)
    blocks.append(text(""))
    blocks.append(text("POTWIERDZENIE", align="center", bold=True, big=True))
    blocks.append(text("PRZYJĘCIA DAROWIZNY", align="center", bold=True))
    blocks += row(f"Dar nr {data['batch']}", format_datetime(data["received"], "yyyy-MM-dd"), width)
    blocks += wrapped(f"Darczyńca: {data['donor']}", width)
    if data.get("donor_address"):
        blocks += wrapped(data["donor_address"], width)
    if data.get("donor_nip"):
        blocks += wrapped(f"NIP {data['donor_nip']}", width)
    if data.get("shop_krs"):
        blocks += wrapped(f"Obdarowany: KRS {data['shop_krs']}", width)
    blocks.append(rule(width))
    blocks += wrapped(data["statement"], width)
    if data.get("purpose"):
        blocks += wrapped(data["purpose"], width)
    blocks.append(rule(width))
    for line in data["lines"]:
        blocks += wrapped(line["description"], width)
        if data["with_value"]:
            blocks += row(f"  {line['quantity']} x {money(line['price_minor'])}",
                              money(line["quantity"] * line["price_minor"]), width)
        else:
            blocks.append(text(f"  {line['quantity']} szt."))
    blocks.append(rule(width))
    if data["with_value"]:
        blocks += row("WARTOŚĆ DAROWIZNY", money(data["value_minor"]), width, bold=True)
        blocks += wrapped(data["value_note"], width)
    else:
        blocks += row("Liczba sztuk", str(sum(line["quantity"] for line in data["lines"])), width)
    blocks += [text(""), text(""), text("." * min(width, 32))]
    blocks += wrapped(f"za sklep: {data['received_by']}", width)
    blocks += [text(""), text(""), text("." * min(width, 32)), text("darczyńca"), text("")]
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
        *row("Kolumny", str(width), width),
        *row("Drukarka", printer, width),
        *row("Kwota", money(123450), width),
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
                *wrapped(description, width, align="center"),
                {"t": "barcode", "code": code, "type": "EAN13"},
                *wrapped(f"{colour} · {day:%Y-%m-%d}", width, align="center"),
                {"t": "cut"},
            ]
    return blocks


PAYMENT_NAMES = {"cash": "Gotówka", "card": "Karta"}
MOVEMENT_NAMES = {"paid_in": "Wpłata", "paid_out": "Wypłata", "drop": "Do sejfu"}


#: The people's roles on paper (the receipt printer speaks Polish whatever the screen does).
ROLES_PL = {"volunteer": "wolontariusz", "manager": "kierownik", "admin": "administrator"}


def z_report(data: dict, shop: Shop | None, width: int) -> list[dict]:
    """The day's Z report on the receipt printer (in Polish, like the receipts), from ``zreport.build``. A
    closed day is headed by the shop as it was at the close (``data["kept"]``), not as it is now."""
    kept = (data.get("kept") or {}).get("shop")
    if kept:
        shop = SimpleNamespace(name=kept["name"], address=kept["address"], nip=kept["nip"])
    blocks = [*header(shop, width), text("")]
    blocks.append(text(f"RAPORT DOBOWY Z nr {data['z_number'] or '-'}", align="center", bold=True))
    blocks.append(text(data["date"], align="center", bold=True, big=True))
    if data["earlier_z_numbers"]:
        blocks += wrapped(f"Po ponownym otwarciu; wcześniej nr {', '.join(map(str, data['earlier_z_numbers']))}", width)
    if data["closed_at"]:
        who = data["closed_by"] + (f", {ROLES_PL[data['closed_by_role']]}" if data.get("closed_by_role") else "")
        blocks += wrapped(f"Zamknięcie: {data['closed_at'][:16].replace('T', ' ')} ({who})", width)
        if data.get("approved_by"):
            blocks += wrapped(f"Zatwierdził(a): {data['approved_by']}, {ROLES_PL[data['approved_by_role']]}", width)
    receipts = f"{data['first_receipt']}-{data['last_receipt']}" if data["first_receipt"] else "brak"
    blocks += row("Paragony", receipts, width)
    blocks.append(rule(width))
    for label, key in (("Sprzedaż brutto", "gross_minor"), ("Rabaty", "discounts_minor"),
                       ("Zwroty", "refunds_minor")):
        blocks += row(label, money(data[key]), width)
    blocks += row("NETTO", money(data["net_minor"]), width, bold=True)
    blocks += row("Liczba sprzedaży", str(data["sales_count"]), width)
    blocks += row("Liczba zwrotów", str(data["refunds_count"]), width)
    blocks += row("Anulowane koszyki", str(data["voids_count"]), width)
    blocks += row("Sprzedane sztuki", str(data["items_sold"]), width)
    blocks += row("Przyjęte z darów", str(data["items_taken_in"]), width)
    for title, key, names in (("Formy płatności", "by_payment_method", PAYMENT_NAMES),
                              ("Kategorie", "by_category", {}), ("Stawki VAT", "by_vat_code", {})):
        blocks += [rule(width), text(title, bold=True)]
        for name, entry in data[key].items():
            blocks += row(names.get(name, name), money(entry["net_minor"]), width)
    blocks += [rule(width), text("GOTÓWKA", bold=True)]
    for session in data["sessions"]:
        blocks += wrapped(f"{session['till']} ({session['opened_at'][11:16]}-{(session['closed_at'] or '')[11:16]})",
                          width)
        for label, key in (("Pogotowie kasowe", "float_minor"), ("Przyjęta gotówka", "cash_received_minor"),
                           ("Wydana reszta", "change_given_minor"), ("Zwroty gotówką", "cash_refunds_minor"),
                           ("Wpłaty", "paid_in_minor"), ("Wypłaty", "paid_out_minor"), ("Do sejfu", "drops_minor"),
                           ("Powinno być", "expected_minor"), ("Policzono", "counted_minor")):
            value = session[key]
            blocks += row(f" {label}", money(value) if value is not None else "-", width)
        difference = session["difference_minor"]
        if difference is not None:
            word = "Nadwyżka" if difference > 0 else "Niedobór" if difference < 0 else "Różnica"
            blocks += row(f" {word}", money(difference), width, bold=True)
        if session["card_terminal_minor"] is not None:
            blocks += row(" Karta: terminal", money(session["card_terminal_minor"]), width)
        blocks += row(" Karta: system", money(session["card_system_minor"]), width)
        if session["sign_off"]:
            blocks += wrapped(f" Zatwierdzenie ({session['sign_off']['by']}): {session['sign_off']['comment']}", width)
    cash_total = data["cash"]
    blocks += row("Nadwyżki razem", money(cash_total["over_minor"]), width)
    blocks += row("Niedobory razem", money(cash_total["short_minor"]), width)
    if data["movements"]:
        blocks += [rule(width), text("Wpłaty i wypłaty", bold=True)]
        for move in data["movements"]:
            blocks += row(f"{MOVEMENT_NAMES[move['kind']]} {move['by']}", money(move["amount_minor"]), width)
            blocks += wrapped(f"  {move['reason']}", width)
    if data["adjustments"]:
        blocks += [rule(width), text("Korekty", bold=True)]
        for adj in data["adjustments"]:
            blocks += row(f"{adj['affects_day']} {PAYMENT_NAMES.get(adj['method'], adj['method'])}",
                              money(adj["amount_minor"]), width)
            blocks += wrapped(f"  {adj['reason']} ({adj['by']})", width)
    if data["fiscal"]:
        fiscal = data["fiscal"]
        heading = (f"Raport dobowy drukarki nr {fiscal.get('report_number')} / system"
                   if fiscal.get("source") == "device" else "Kasa fiskalna / system")
        blocks += [rule(width), text(heading, bold=True)]
        for code, entry in fiscal["by_vat"].items():
            blocks += row(f"VAT {code}", f"{money(entry['register_minor'])}/{money(entry['system_minor'])}", width)
        blocks += row("Paragony", f"{fiscal['register_receipts'] if fiscal['register_receipts'] is not None else '-'}/{fiscal['system_receipts']}", width)
    blocks += [rule(width), text("Na zmianie:", bold=True)]
    blocks += wrapped(", ".join(data["on_duty"]) or "-", width)
    blocks.append({"t": "cut"})
    return blocks
