"""What an invoice says on paper — one reading of its stored data for the A4 page and the PDF — its QR
codes (KOD I, and KOD II when issued offline), and the PDF drawn with fpdf2 on the server.

An invoice is a legal document in Polish whatever language the screen is in; the page around it follows
the screen's language.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app

from ..core.money import format_money
from . import ksef, service
from .models import Invoice, InvoiceKind, KsefStatus

RATE_LABELS = {"23": "23%", "8": "8%", "5": "5%", "0": "0%", "zw": "zw."}
PAYMENT_LABELS = {"cash": "gotówka", "card": "karta płatnicza"}
#: TrueType fonts with Polish letters, looked for in turn when LUKLUK_PDF_FONT is not set: Debian's
#: DejaVu Sans and Liberation Sans, Windows' and macOS' Arial. (regular, bold)
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
]


def money(minor: int) -> str:
    return format_money(minor, currency=False)


def day(value) -> str:
    value = date.fromisoformat(value) if isinstance(value, str) else value
    return value.strftime("%d.%m.%Y")


@dataclass
class QrCode:
    url: str
    label: str

    def svg(self) -> str:
        import qrcode
        import qrcode.image.svg

        image = qrcode.make(self.url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
        return image.to_string(encoding="unicode")

    def png(self) -> bytes:
        import qrcode

        buffer = io.BytesIO()
        qrcode.make(self.url, box_size=8, border=2).save(buffer, format="PNG")
        return buffer.getvalue()


@dataclass
class Paper:
    """The invoice as printed: every text and figure, in Polish."""

    title: str
    number: str
    issued: str
    sold: str
    place: str
    seller: list[str]
    buyer: list[str]
    lines: list[list[str]]
    vat: list[list[str]]
    total: str
    notes: list[str]
    ksef: str
    upo: str = ""
    codes: list[QrCode] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _party(data: dict) -> list[str]:
    lines = [data["name"]]
    if data.get("nip"):
        lines.append(f"NIP {data['nip']}")
    elif data.get("tax_id"):
        prefix = ("EL" if data["country"] == "GR" else data["country"]) if data.get("eu") else ""
        lines.append(f"{'Nr VAT UE' if data.get('eu') else 'Nr identyfikacji podatkowej'} {prefix}{data['tax_id']}")
    lines += [text for text in (data.get("address1"), data.get("address2")) if text]
    if data.get("country") and data["country"] != "PL":
        lines.append(data["country"])
    return lines


def codes(invoice: Invoice) -> tuple[list[QrCode], list[str]]:
    """KOD I (the invoice in KSeF) on every invoice meant for KSeF, labelled with its KSeF number once KSeF
    accepted it and OFFLINE until then (the documentation's rule for an invoice handed over before its
    number is known); KOD II (the shop's offline certificate) on an invoice issued offline. Returns the
    codes and anything that keeps one from being made."""
    from ksef_client import KsefClientOptions
    from ksef_client.services.verification_link import VerificationLinkService

    config = service.settings()
    base = ksef.qr_base(config)
    if base is None or not invoice.xml_sha256 or invoice.ksef_status in (KsefStatus.LOCAL, KsefStatus.REJECTED):
        return [], []
    links = VerificationLinkService(KsefClientOptions(base_url=ksef.base_url(config) or base, base_qr_url=base))
    seller = invoice.data["seller"]["nip"]
    label = invoice.ksef_number if invoice.ksef_status is KsefStatus.ACCEPTED else "OFFLINE"
    found = [QrCode(links.build_invoice_verification_url(seller, invoice.issue_date, invoice.xml_sha256), label)]
    warnings = []
    if invoice.offline:
        if config.offline_certificate and config.offline_key:
            from cryptography import x509

            certificate = x509.load_pem_x509_certificate(config.offline_certificate.encode())
            url = links.build_certificate_verification_url(
                seller_nip=seller, context_identifier_type="Nip", context_identifier_value=seller,
                certificate_serial=f"{certificate.serial_number:016X}"[-16:], invoice_hash=invoice.xml_sha256,
                signing_certificate_pem=config.offline_certificate, private_key_pem=config.offline_key)
            found.append(QrCode(url, "CERTYFIKAT"))
        else:
            warnings.append("Brak certyfikatu offline KSeF: KOD II nie może być wydrukowany.")
    return found, warnings


def paper(invoice: Invoice) -> Paper:
    data = invoice.data
    title = "Faktura korygująca" if invoice.kind is InvoiceKind.CORRECTION else "Faktura"
    lines = []
    for position, line in enumerate(data["lines"], start=1):
        state = {True: "przed korektą: ", False: "po korekcie: "}.get(line.get("before"), "")
        lines.append([str(position), state + line["description"], str(line["quantity"]), "szt.", money(line["unit_minor"]),
                      money(line["discount_minor"]) if line["discount_minor"] else "", money(line["total_minor"]),
                      RATE_LABELS[line["vat_code"]]])
    vat = [[RATE_LABELS[row["code"]], money(row["net_minor"]),
            money(row["vat_minor"]) if row["code"] != "zw" else "—", money(row["gross_minor"])] for row in data["vat"]]
    notes = []
    if invoice.kind is InvoiceKind.CORRECTION:
        corrected = data["correction"]
        notes.append(f"Korygowana faktura: {corrected['number']} z dnia {day(corrected['issue_date'])}"
                     + (f", numer KSeF {corrected['ksef_number']}" if corrected.get("ksef_number") else ""))
        notes.append(f"Przyczyna korekty: {corrected['reason']}")
        notes.append(f"Do zwrotu: {money(-invoice.total_minor)} zł (zwrot nr {data['receipt_number']})")
    else:
        paid = ", ".join(f"{PAYMENT_LABELS[p['method']]} {money(p['amount_minor'])} zł" for p in data["payments"])
        notes.append(f"Zapłacono {day(data['paid_on'])}: {paid}")
    if data.get("fp"):
        receipt = data.get("fiscal_receipt")
        if receipt:
            when = f" z dnia {day(receipt['date'])}" if receipt.get("date") else ""
            notes.append(f"FP — faktura do paragonu fiskalnego nr {receipt['number']}{when}")
        else:
            notes.append(f"FP — faktura do paragonu fiskalnego (sprzedaż nr {data['receipt_number']} w kasie sklepu)")
    if data.get("exemption_basis"):
        notes.append(f"Zwolnienie z VAT: {data['exemption_basis']}")
    found, warnings = codes(invoice)
    return Paper(title=title, number=invoice.number, issued=day(invoice.issue_date), sold=day(invoice.sale_date),
                 place=data.get("place") or "", seller=_party(data["seller"]), buyer=_party(data["buyer"]),
                 lines=lines, vat=vat, total=money(invoice.total_minor), notes=notes, ksef=ksef_line(invoice),
                 upo=upo_line(invoice), codes=found, warnings=warnings)


def ksef_line(invoice: Invoice) -> str:
    status = invoice.ksef_status
    if status is KsefStatus.ACCEPTED:
        if invoice.offline:
            how = " (wystawiona w trybie offline24)"
        elif invoice.ksef_mode == "Offline":
            how = " (KSeF przyjął ją w trybie offline: dotarła dnia późniejszego niż data wystawienia)"
        else:
            how = ""
        return f"Numer KSeF: {invoice.ksef_number}{how}"
    if status is KsefStatus.LOCAL:
        return "Faktura wystawiona poza KSeF."
    if status is KsefStatus.REJECTED:
        return "KSeF odrzucił fakturę — kierownik sklepu wyjaśnia przyczynę."
    if invoice.offline:
        return f"Wystawiona w trybie offline24; zostanie przesłana do KSeF do {day(invoice.send_by)}."
    return "Faktura w drodze do KSeF."


def upo_line(invoice: Invoice) -> str:
    """The UPO, KSeF's official receipt of the invoice, once downloaded: named with its hash."""
    if not invoice.ksef_upo_sha256:
        return ""
    return f"Urzędowe poświadczenie odbioru (UPO) KSeF: SHA-256 {invoice.ksef_upo_sha256}"


# --- PDF ------------------------------------------------------------------------------------------

class PdfUnavailable(Exception):
    """No TrueType font with Polish letters was found for the PDF."""


def font_files() -> tuple[str, str]:
    configured = current_app.config.get("PDF_FONT")
    if configured:
        if not Path(configured).is_file():
            raise PdfUnavailable(configured)
        return configured, configured
    for regular, bold in FONT_CANDIDATES:
        if Path(regular).is_file():
            return regular, bold if Path(bold).is_file() else regular
    raise PdfUnavailable("")


def pdf(sheet: Paper) -> bytes:
    """The invoice as an A4 PDF (fpdf2, a TrueType font with Polish letters; no browser)."""
    from fpdf import FPDF

    regular, bold = font_files()
    doc = FPDF(format="A4", unit="mm")
    doc.set_title(f"{sheet.title} {sheet.number}")
    doc.set_creator("LukLuk POS")
    doc.add_font("Body", "", regular)
    doc.add_font("Body", "B", bold)
    doc.set_auto_page_break(True, margin=15)
    doc.add_page()
    width = doc.w - doc.l_margin - doc.r_margin

    doc.set_font("Body", "B", 16)
    doc.cell(width, 9, f"{sheet.title} nr {sheet.number}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Body", "", 9)
    place = f"{sheet.place}, " if sheet.place else ""
    doc.cell(width, 5, f"{place}data wystawienia {sheet.issued}; data sprzedaży {sheet.sold}", new_x="LMARGIN",
             new_y="NEXT")
    doc.ln(3)
    top = doc.get_y()
    half = width / 2 - 3
    for column, (heading, party) in enumerate((("Sprzedawca", sheet.seller), ("Nabywca", sheet.buyer))):
        doc.set_xy(doc.l_margin + column * (half + 6), top)
        doc.set_font("Body", "B", 10)
        doc.cell(half, 6, heading, new_x="LEFT", new_y="NEXT")
        doc.set_font("Body", "", 10)
        for text in party:
            doc.multi_cell(half, 5, text, align="L", new_x="LEFT", new_y="NEXT")
    doc.set_xy(doc.l_margin, max(doc.get_y(), top + 30) + 4)

    doc.set_font("Body", "", 8)
    with doc.table(col_widths=(7, 62, 12, 10, 20, 18, 22, 13),
                   text_align=("RIGHT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "CENTER"),
                   line_height=5) as table:
        table.row(["Lp.", "Nazwa", "Ilość", "J.m.", "Cena brutto", "Rabat", "Wartość brutto", "VAT"])
        for line in sheet.lines:
            table.row(line)
    doc.ln(3)
    with doc.table(col_widths=(20, 30, 30, 30), width=110, align="RIGHT", line_height=5,
                   text_align=("CENTER", "RIGHT", "RIGHT", "RIGHT")) as table:
        table.row(["Stawka", "Netto", "VAT", "Brutto"])
        for row in sheet.vat:
            table.row(row)
    doc.ln(3)
    doc.set_font("Body", "B", 12)
    doc.cell(width, 7, f"Razem: {sheet.total} zł", align="R", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Body", "", 9)
    for note in [*sheet.notes, sheet.ksef, *([sheet.upo] if sheet.upo else []), *sheet.warnings]:
        doc.multi_cell(width, 5, note, align="L", new_x="LMARGIN", new_y="NEXT")
    if sheet.codes:
        doc.ln(3)
        top = doc.get_y()
        if top > doc.h - 70:
            doc.add_page()
            top = doc.get_y()
        for index, code in enumerate(sheet.codes):
            x = doc.l_margin + index * 60
            doc.image(io.BytesIO(code.png()), x=x, y=top, w=40, h=40)
            doc.set_xy(x - 5, top + 41)
            doc.set_font("Body", "", 7)
            doc.multi_cell(50, 4, code.label, align="C")
    return bytes(doc.output())
