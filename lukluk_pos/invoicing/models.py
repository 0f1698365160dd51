"""Invoices on request: buyers, invoices and correcting invoices, their KSeF state, the settings.

An invoice is a document like a sale: issued once with its own gapless number, never edited. What it
says (seller, buyer, lines, VAT per code, payment) is copied onto it when it is issued, and its FA(3)
XML is built from that copy once and kept byte for byte: the HTML page, the PDF and the XML sent to
KSeF all read the same stored data.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import utcnow
from ..core.sealing import Sealed
from ..extensions import db


def _enum(cls, length=16):
    return db.Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class BuyerKind(str, enum.Enum):
    BUSINESS = "business"  #: a firm, a parish, an association: has a NIP
    PERSON = "person"  #: a private person (consumer)
    FOREIGN = "foreign"  #: a business outside Poland: an EU VAT number, or another country's tax number


class Buyer(db.Model):
    """Someone the shop invoices, typed once and found again by NIP (GUS/VIES are not reachable offline)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[BuyerKind] = mapped_column(_enum(BuyerKind), default=BuyerKind.BUSINESS)
    #: 10 digits with a valid checksum for a business; None for a private person.
    nip: Mapped[str | None] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Where the buyer is (ISO 3166 alpha-2) and, abroad, their tax number: an EU VAT number without the
    #: country prefix (FA(3) KodUE/NrVatUE), or another country's (KodKraju/NrID).
    country: Mapped[str] = mapped_column(String(2), default="PL", server_default="PL")
    tax_id: Mapped[str] = mapped_column(String(50), default="", server_default="")
    #: Street and number (FA(3) AdresL1), and postcode with town (AdresL2).
    address1: Mapped[str] = mapped_column(String(160), default="")
    address2: Mapped[str] = mapped_column(String(160), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class InvoiceKind(str, enum.Enum):
    INVOICE = "VAT"  #: FA(3) RodzajFaktury VAT
    CORRECTION = "KOR"  #: faktura korygująca, for a refund of an invoiced sale


class KsefStatus(str, enum.Enum):
    LOCAL = "local"  #: not for KSeF (a consumer's invoice while the setting says so)
    WAITING = "waiting"  #: a correction waiting for its invoice's KSeF number
    QUEUED = "queued"  #: stored, to be sent by the worker (again, after a failure)
    SENDING = "sending"  #: claimed by the worker; a crash here is resolved by asking KSeF, never by resending blind
    SENT = "sent"  #: KSeF took it (its reference kept); waiting for the verification's outcome
    ACCEPTED = "accepted"  #: has its KSeF number
    REJECTED = "rejected"  #: KSeF refused it (the reason is kept); the manager decides


class Invoice(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind), default=InvoiceKind.INVOICE)
    #: The series and year its number belongs to, the number within them, and the whole: ``FV/12/2026``.
    series: Mapped[str] = mapped_column(String(10))
    year: Mapped[int]
    sequence: Mapped[int]
    number: Mapped[str] = mapped_column(String(40), unique=True)
    #: The sale it invoices (a sale is invoiced at most once); a correction: the refund it documents.
    sale_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), unique=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("sale.id"), unique=True)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyer.id"), index=True)
    issue_date: Mapped[date] = mapped_column(Date, index=True)
    sale_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: Everything the document says, copied at issue: seller, buyer, lines, VAT per code, payments,
    #: annotations (FP, exemption basis), a correction's reason and the invoice it corrects.
    data: Mapped[dict] = mapped_column(JSON)
    total_minor: Mapped[int]
    #: The FA(3) XML as built once (and sent to KSeF), its SHA-256 (base64) — KOD I is made from it.
    xml: Mapped[str | None] = mapped_column(Text)
    xml_sha256: Mapped[str] = mapped_column(String(44), default="")
    ksef_status: Mapped[KsefStatus] = mapped_column(_enum(KsefStatus), default=KsefStatus.QUEUED)
    ksef_number: Mapped[str] = mapped_column(String(40), default="")
    #: KSeF's reference of the sent invoice, and of the online session it was sent in.
    ksef_reference: Mapped[str] = mapped_column(String(60), default="")
    ksef_session: Mapped[str] = mapped_column(String(60), default="")
    #: Every session a send was tried in (a crash mid-send is resolved by asking these sessions).
    ksef_sessions: Mapped[list] = mapped_column(JSON, default=list)
    ksef_error: Mapped[str] = mapped_column(Text, default="")
    ksef_attempts: Mapped[int] = mapped_column(default=0)
    #: How often a 440 "Duplikat faktury" was looked up in our sessions without finding our copy.
    ksef_lookups: Mapped[int] = mapped_column(default=0)
    ksef_next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    ksef_sent_at: Mapped[datetime | None]
    ksef_accepted_at: Mapped[datetime | None]
    #: How KSeF recorded it (``Online``/``Offline``): KSeF marks an invoice offline by itself when it
    #: arrives on a later day than its issue date (P_1).
    ksef_mode: Mapped[str] = mapped_column(String(8), default="")
    #: KSeF's official receipt (UPO) of the accepted invoice, byte for byte as downloaded, and its SHA-256.
    ksef_upo: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    ksef_upo_sha256: Mapped[str] = mapped_column(String(64), default="")
    #: Issued in KSeF's offline24 mode (KSeF could not be reached): the document carries both QR codes
    #: and must reach KSeF by ``send_by`` (the next business day).
    offline: Mapped[bool] = mapped_column(default=False)
    send_by: Mapped[date | None] = mapped_column(Date)

    buyer: Mapped[Buyer] = relationship()
    corrects: Mapped["Invoice | None"] = relationship(remote_side=[id])
    sale = relationship("Sale", foreign_keys=[sale_id])
    refund = relationship("Sale", foreign_keys=[refund_id])
    issued_by = relationship("User")

    __table_args__ = (
        UniqueConstraint("series", "year", "sequence", name="uq_invoice_series_year_sequence"),
        CheckConstraint("(sale_id IS NULL) <> (refund_id IS NULL)", name="invoice_one_document"),
        Index("ix_invoice_ksef_due", "ksef_status", "ksef_next_attempt_at"),
    )


class KsefSession(db.Model):
    """An online session opened in KSeF: kept so that any process can close it when its queue is done
    (or before its 12 hours run out), whoever opened it and whatever happened to that process."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(60), unique=True)
    #: The KSeF address it was opened at (a session of another environment is never asked there).
    url: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: Why it was closed: ``done`` (its queue was done), ``expiring``, ``gone`` (KSeF no longer knew it).
    closed_why: Mapped[str] = mapped_column(String(16), default="")


class InvoiceSettings(db.Model):
    """The invoicing settings (one row, made on first use): numbering, the exemption, KSeF."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Number series of invoices and of corrections (``FV/12/2026``, ``KOR/3/2026``), yearly from 1.
    series: Mapped[str] = mapped_column(String(10), default="FV")
    correction_series: Mapped[str] = mapped_column(String(10), default="KOR")
    #: Place of issue (FA(3) P_1M), usually the shop's town.
    place: Mapped[str] = mapped_column(String(60), default="")
    #: The legal basis of exempt (``zw``) lines and which FA(3) field states it: ``P_19A`` a provision of the
    #: VAT act, ``P_19B`` of the VAT directive, ``P_19C`` another basis. Used goods sold by a VAT-active
    #: shop are exempt under art. 43 ust. 1 pkt 2; art. 113 (a shop below the limit) cannot stand beside
    #: taxed lines, and an invoice with both is refused.
    exemption_basis: Mapped[str] = mapped_column(String(200), default="art. 43 ust. 1 pkt 2 ustawy o VAT")
    exemption_field: Mapped[str] = mapped_column(String(8), default="P_19A")
    #: ``off``, ``test``, ``demo`` or ``prod``: where invoices are sent (LUKLUK_KSEF_URL overrides the address).
    ksef_environment: Mapped[str] = mapped_column(String(8), default="off")
    #: The shop's KSeF token (made in KSeF's own app by the person who may act for the shop); sealed with
    #: the instance's key, never in a backup in clear (``core/sealing.py``).
    ksef_token: Mapped[str] = mapped_column(Sealed, default="")
    #: Send consumers' invoices to KSeF too (the law allows keeping them outside).
    send_consumer_invoices: Mapped[bool] = mapped_column(default=False)
    #: The shop's KSeF offline certificate (PEM) and key, for KOD II on invoices issued offline.
    offline_certificate: Mapped[str] = mapped_column(Text, default="")
    offline_key: Mapped[str] = mapped_column(Sealed, default="")  #: sealed like the token
