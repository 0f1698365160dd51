"""The FA(3) XML of an invoice, from the data copied onto it at issue (the ministry's schema 1-0E).

Retail prices are gross, so the lines carry gross unit prices and values (P_9B, P_11A) and each VAT
code's net and tax are worked out from its gross total, exactly as on the sale (art. 106e ust. 7–8).
The XML is built once, validated against the XSD that ``ksef-client`` ships, and kept on the invoice.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone

from lxml import etree

NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
#: FA(3) FormaPlatnosci: 1 gotówka, 2 karta.
PAYMENT_FORMS = {"cash": "1", "card": "2"}
#: FA(3) P_13_x (net) / P_14_x (tax) fields and the line's P_12 value per VAT code of the catalogue.
RATE_FIELDS = {
    "23": ("P_13_1", "P_14_1", "23"),
    "8": ("P_13_2", "P_14_2", "8"),
    "5": ("P_13_3", "P_14_3", "5"),
    "0": ("P_13_6_1", None, "0 KR"),
    "zw": ("P_13_7", None, "zw"),
}
#: The order FA(3) wants the sums in.
SUM_ORDER = ["P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_13_3", "P_14_3", "P_13_6_1", "P_13_7"]
SYSTEM = "LukLuk POS"


def amount(minor: int) -> str:
    """Grosze as FA(3) writes amounts: ``12.50``, ``-3.00``."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def _el(parent, name: str, text=None, **attrs):
    node = etree.SubElement(parent, f"{{{NS}}}{name}", **attrs)
    if text is not None:
        node.text = str(text)
    return node


def _address(parent, name: str, party: dict) -> None:
    node = _el(parent, name)
    _el(node, "KodKraju", party.get("country") or "PL")
    _el(node, "AdresL1", party["address1"])
    if party.get("address2"):
        _el(node, "AdresL2", party["address2"])


def build(number: str, kind: str, issue_date, sale_date, data: dict, *, created: datetime | None = None) -> bytes:
    """The invoice's FA(3) document as UTF-8 bytes."""
    created = created or datetime.now(timezone.utc)
    root = etree.Element(f"{{{NS}}}Faktura", nsmap={None: NS})
    head = _el(root, "Naglowek")
    _el(head, "KodFormularza", "FA", kodSystemowy="FA (3)", wersjaSchemy="1-0E")
    _el(head, "WariantFormularza", "3")
    _el(head, "DataWytworzeniaFa", created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _el(head, "SystemInfo", SYSTEM)

    seller, buyer = data["seller"], data["buyer"]
    podmiot1 = _el(root, "Podmiot1")
    ident = _el(podmiot1, "DaneIdentyfikacyjne")
    _el(ident, "NIP", seller["nip"])
    _el(ident, "Nazwa", seller["name"])
    _address(podmiot1, "Adres", seller)

    podmiot2 = _el(root, "Podmiot2")
    ident = _el(podmiot2, "DaneIdentyfikacyjne")
    if buyer.get("nip"):
        _el(ident, "NIP", buyer["nip"])
    elif buyer.get("tax_id") and buyer.get("eu"):
        _el(ident, "KodUE", "EL" if buyer["country"] == "GR" else buyer["country"])
        _el(ident, "NrVatUE", buyer["tax_id"])
    elif buyer.get("tax_id"):
        _el(ident, "KodKraju", buyer["country"])
        _el(ident, "NrID", buyer["tax_id"])
    else:
        _el(ident, "BrakID", "1")
    _el(ident, "Nazwa", buyer["name"])
    if buyer.get("address1"):
        _address(podmiot2, "Adres", buyer)
    _el(podmiot2, "JST", "2")
    _el(podmiot2, "GV", "2")

    fa = _el(root, "Fa")
    _el(fa, "KodWaluty", "PLN")
    _el(fa, "P_1", issue_date.isoformat())
    if data.get("place"):
        _el(fa, "P_1M", data["place"])
    _el(fa, "P_2", number)
    if sale_date != issue_date or kind == "KOR":  # a correction repeats the corrected invoice's sale date
        _el(fa, "P_6", sale_date.isoformat())
    sums = {}
    for row in data["vat"]:
        net_field, tax_field, _ = RATE_FIELDS[row["code"]]
        sums[net_field] = row["net_minor"]
        if tax_field:
            sums[tax_field] = row["vat_minor"]
    for field in SUM_ORDER:
        if field in sums:
            _el(fa, field, amount(sums[field]))
    _el(fa, "P_15", amount(data["total_minor"]))

    notes = _el(fa, "Adnotacje")
    for field in ("P_16", "P_17", "P_18", "P_18A"):
        _el(notes, field, "2")
    exemption = _el(notes, "Zwolnienie")
    if any(row["code"] == "zw" for row in data["vat"]):
        _el(exemption, "P_19", "1")
        _el(exemption, data.get("exemption_field") or "P_19A", data["exemption_basis"])
    else:
        _el(exemption, "P_19N", "1")
    _el(_el(notes, "NoweSrodkiTransportu"), "P_22N", "1")
    _el(notes, "P_23", "2")
    _el(_el(notes, "PMarzy"), "P_PMarzyN", "1")

    _el(fa, "RodzajFaktury", kind)
    correction = data.get("correction")
    if kind == "KOR":
        if correction.get("reason"):
            _el(fa, "PrzyczynaKorekty", correction["reason"])
        _el(fa, "TypKorekty", "2")  # in the period of the correction (a return of goods)
        corrected = _el(fa, "DaneFaKorygowanej")
        _el(corrected, "DataWystFaKorygowanej", correction["issue_date"])
        _el(corrected, "NrFaKorygowanej", correction["number"])
        if correction.get("ksef_number"):
            _el(corrected, "NrKSeF", "1")
            _el(corrected, "NrKSeFFaKorygowanej", correction["ksef_number"])
        else:
            _el(corrected, "NrKSeFN", "1")
    if data.get("fp"):
        _el(fa, "FP", "1")
        receipt = data.get("fiscal_receipt")
        if receipt:
            note = _el(fa, "DodatkowyOpis")
            _el(note, "Klucz", "Paragon fiskalny")
            _el(note, "Wartosc", f"nr {receipt['number']}" + (f" z dnia {receipt['date']}" if receipt.get("date") else ""))

    for position, line in enumerate(data["lines"], start=1):
        row = _el(fa, "FaWiersz")
        _el(row, "NrWierszaFa", position)
        _el(row, "P_7", line["description"])
        _el(row, "P_8A", "szt.")
        _el(row, "P_8B", line["quantity"])
        _el(row, "P_9B", amount(line["unit_minor"]))
        if line["discount_minor"]:
            _el(row, "P_10", amount(line["discount_minor"]))
        _el(row, "P_11A", amount(line["total_minor"]))
        _el(row, "P_12", RATE_FIELDS[line["vat_code"]][2])
        if line.get("before"):  # a correction's row of the line as it stood before
            _el(row, "StanPrzed", "1")

    payment = _el(fa, "Platnosc")
    methods = data["payments"]
    if kind == "KOR":  # the money went back to the buyer on the refund's day
        _el(payment, "PlatnoscInna", "1")
        _el(payment, "OpisPlatnosci", "Zwrot " + "; ".join(
            f"{'gotówką' if p['method'] == 'cash' else 'na kartę'} {amount(abs(p['amount_minor']))} PLN"
            for p in methods) + f" dnia {data['paid_on']}")
    elif len(methods) == 1:
        _el(payment, "Zaplacono", "1")
        _el(payment, "DataZaplaty", data["paid_on"])
        _el(payment, "FormaPlatnosci", PAYMENT_FORMS[methods[0]["method"]])
    else:  # paid in full, in parts (cash and card): FA(3)'s structured partial payments
        _el(payment, "ZnacznikZaplatyCzesciowej", "2")
        for part in methods:
            row = _el(payment, "ZaplataCzesciowa")
            _el(row, "KwotaZaplatyCzesciowej", amount(part["amount_minor"]))
            _el(row, "DataZaplatyCzesciowej", data["paid_on"])
            _el(row, "FormaPlatnosci", PAYMENT_FORMS[part["method"]])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sha256_b64(xml: bytes) -> str:
    """The invoice's hash as KSeF and KOD I use it: SHA-256 of the exact bytes, base64."""
    return base64.b64encode(hashlib.sha256(xml).digest()).decode("ascii")


def validate(xml: bytes) -> None:
    """Check the document against the ministry's FA(3) XSD (the copy ``ksef-client`` ships); raises
    ``FA3XmlValidationError`` naming the first fault."""
    from ksef_client.documents.fa3.xml import validate_fa3_xml_xsd

    validate_fa3_xml_xsd(xml)
