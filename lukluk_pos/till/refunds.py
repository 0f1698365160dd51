"""Refunds: a completed sale's goods brought back, as a new document that points at the sale (nothing is
edited after the fact). The same key returns the same refund; what the other areas do with a refund
(correcting invoice, fiscal register, receipt) they do by listening to ``core.events.sale_refunded``."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..catalog.models import ItemKind, ItemStatus
from ..core import audit, events, validation
from ..core.errors import InvalidInput, NotFound
from ..core.models import next_value, utcnow
from ..extensions import db
from .models import Payment, PaymentMethod, Sale, SaleKind, SaleLine, SaleStatus
from .service import Approval, KeyUsed, TooMuch, _by_key, _check_key, _session_for_sale, authorise, till


@dataclass(frozen=True)
class RefundLineIn:
    line_id: int
    quantity: int
    restock: bool = True


def refunded_so_far(sale: Sale) -> dict[int, tuple[int, int]]:
    """Per original line: quantity and amount already refunded."""
    rows = db.session.execute(
        select(SaleLine.refund_of_line_id, func.sum(SaleLine.quantity), func.sum(SaleLine.total_minor))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(Sale.refund_of_id == sale.id, Sale.status == SaleStatus.COMPLETED)
        .group_by(SaleLine.refund_of_line_id)
    )
    return {line_id: (int(qty), int(amount)) for line_id, qty, amount in rows}


def refund_amount(line: SaleLine, quantity: int, already: tuple[int, int]) -> int:
    """What ``quantity`` pieces of a sold line pay back: pro rata, the last pieces take the remainder."""
    done_qty, done_amount = already
    if done_qty + quantity == line.quantity:
        return line.total_minor - done_amount
    return line.total_minor * quantity // line.quantity


def refund(*, user: User, till_id: int, sale_id: int, lines: list[RefundLineIn], method: PaymentMethod,
           reason, approval: Approval | None, key, register: str | None = None,
           buyer_name: str | None = None) -> Sale:
    """Refund some or all of a completed sale as a new document; items go back to stock or are written off.
    The same key returns the same refund. Announced last, in the refund's transaction, asked again or not
    (``core.events.sale_refunded``, with ``register`` and ``buyer_name`` for the fiscal registers): a
    listener's refusal (the returns register needs the buyer's name) undoes the refund with the request."""
    doc, fresh = _refund(user=user, till_id=till_id, sale_id=sale_id, lines=lines, method=method, reason=reason,
                         approval=approval, key=key)
    events.sale_refunded.send(None, refund=doc, user_id=user.id, fresh=fresh, training=events.training(),
                              register=register, buyer_name=buyer_name)
    return doc


def _refund(*, user: User, till_id: int, sale_id: int, lines: list[RefundLineIn], method: PaymentMethod,
            reason, approval: Approval | None, key) -> tuple[Sale, bool]:
    key = _check_key(key)
    done = _by_key(key, SaleKind.REFUND)
    if done is not None:
        return _same_refund(done, till_id, sale_id, lines), False
    reason = validation.text(reason, field="reason", max_len=200)
    original = db.session.scalar(select(Sale).where(Sale.id == sale_id).with_for_update())
    if original is None or original.kind is not SaleKind.SALE or original.status is not SaleStatus.COMPLETED:
        raise NotFound(_l("Only a completed sale can be refunded."))
    if not lines:
        raise InvalidInput(_l("Choose what to refund."), field="lines")
    approver = user if user.is_manager else authorise(user, approval)
    opened = _session_for_sale(till(till_id).id)
    already = refunded_so_far(original)
    by_id = {line.id: line for line in original.lines}
    seen = set()
    doc = Sale(kind=SaleKind.REFUND, status=SaleStatus.COMPLETED, till_id=till(till_id).id,
               opened_by_id=user.id, cashier_id=user.id, refund_of_id=original.id, refund_reason=reason,
               approved_by_id=approver.id, completion_key=key, completed_at=utcnow(),
               session_id=opened.id, business_date=opened.business_date)
    position = 0
    for wanted in lines:
        line = by_id.get(wanted.line_id)
        if line is None or wanted.line_id in seen:
            raise TooMuch(_l("This line is not on the receipt."), field="lines")
        seen.add(wanted.line_id)
        quantity = validation.quantity(wanted.quantity)
        done_qty, done_amount = already.get(line.id, (0, 0))
        if quantity > line.quantity - done_qty:
            raise TooMuch(_l("%(item)s: at most %(count)d can still be refunded."), field="lines",
                               item=line.description, count=line.quantity - done_qty)
        amount = refund_amount(line, quantity, (done_qty, done_amount))
        position += 1
        doc.lines.append(SaleLine(
            position=position, item_id=line.item_id, category_id=line.category_id,
            description=line.description, vat_code=line.vat_code, unit_price_minor=line.unit_price_minor,
            quantity=quantity, total_minor=amount, refund_of_line_id=line.id, restock=bool(wanted.restock),
        ))
        _return_item(line, quantity, bool(wanted.restock))
    doc.total_minor = doc.subtotal_minor = sum(line.total_minor for line in doc.lines)
    doc.item_count = sum(line.quantity for line in doc.lines)
    doc.payments.append(Payment(method=method, amount_minor=doc.total_minor, tendered_minor=None))
    doc.number = next_value("receipt")
    db.session.add(doc)
    try:
        db.session.flush()
    except IntegrityError:  # the same key, refunded by a twin on another connection
        db.session.rollback()
        done = _by_key(key, SaleKind.REFUND)
        if done is None:
            raise
        return _same_refund(done, till_id, sale_id, lines), False
    audit.record("sale.refund", user_id=user.id, obj=doc, reason=reason, refund_of=original.number,
                 total=doc.total_minor, method=method.value, approved_by=approver.id)
    return doc, True


class RefundKeyUsed(KeyUsed):
    message = _l("This refund was already made for another receipt or other goods: the till checks what "
                 "happened, then you can refund again.")


def _same_refund(done: Sale, till_id: int, sale_id: int, lines: list[RefundLineIn]) -> Sale:
    """A repeated refund gets its own document back: the same sale, till and lines (quantities and whether
    they go back to stock); anything else under the same key is a 409, never another refund."""
    asked = sorted((wanted.line_id, validation.quantity(wanted.quantity), bool(wanted.restock)) for wanted in lines)
    made = sorted((line.refund_of_line_id, line.quantity, line.restock) for line in done.lines)
    if done.refund_of_id != sale_id or done.till_id != till_id or asked != made:
        raise RefundKeyUsed()
    return done


def _return_item(line: SaleLine, quantity: int, restock: bool) -> None:
    if line.item_id is None:
        return
    item = line.item
    if item.kind is ItemKind.BULK:
        if restock:
            item.quantity_on_hand += quantity
    elif restock:
        item.status, item.sold_at = ItemStatus.IN_STOCK, None
    else:
        item.status = ItemStatus.WRITTEN_OFF
