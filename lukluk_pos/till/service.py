"""What happens at the till: every state change of a basket, a sale or a refund.

Each function takes plain values, flushes, and leaves the commit to the request (one transaction per
action). Unique items are reserved with a conditional UPDATE the moment they are scanned, so two
tills racing for the same piece get one success and one clear message, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, cast, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..auth.models import User
from ..auth.service import approve
from ..catalog import service as catalog
from ..catalog.models import Category, Item, ItemKind, ItemStatus
from ..core import audit, events, validation
from ..core.errors import ApprovalRequired, DomainError, Forbidden, InvalidInput, NotFound
from ..core.models import FiscalMode, Shop, next_value, utcnow
from ..core.money import MAX_MINOR, format_money, percent_of
from ..extensions import db
from . import pricing
from .models import OPEN_SQL, Payment, PaymentMethod, Sale, SaleKind, SaleLine, SaleStatus, Till, transition

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_LINES = 200


class ItemUnavailable(DomainError):
    code = "item_unavailable"


class TooMuch(DomainError):
    """More than the basket, the line or the sale allows as it stands now (a discount above the line, a card
    amount above the total, a line past the basket's limit, more back than was sold): 409, since the same
    request is right for another basket."""

    code = "too_much"


class BasketEmpty(DomainError):
    code = "basket_empty"
    message = _l("The basket is empty.")


class PaymentShort(DomainError):
    """The payments do not cover what is due: the basket decides, not the request (409)."""

    status = 409
    code = "payment_short"


@dataclass(frozen=True)
class PaymentIn:
    method: PaymentMethod
    amount_minor: int | None = None  #: card: the amount charged on the terminal
    tendered_minor: int | None = None  #: cash: what the customer handed over


@dataclass(frozen=True)
class Approval:
    manager_id: int
    pin: str


# --- the basket ---------------------------------------------------------------------------------

def till_id_for(login) -> int | None:
    """The till a sign-in works at: the device's till, else the first active one."""
    return login.till_id or db.session.scalar(select(Till.id).where(Till.active).order_by(Till.id).limit(1))


def till(till_id: int) -> Till:
    found = db.session.get(Till, till_id) if isinstance(till_id, int) else None
    if found is None or not found.active:
        raise NotFound(_l("This till is not set up."))
    return found


def open_basket(till_id: int, *, lock: bool = False, lines: bool = True) -> Sale | None:
    """The till's open basket, if any (locked for update when about to change it); ``lines=False`` leaves
    its lines unloaded, for adding one (a scan into a long basket need not load every line)."""
    # The basket, its lines and their items in one query whatever the basket's length (a lazy load per
    # line made a scan into a 100-line basket 6× slower than into an empty one; two selectin queries
    # after the basket's were two of the completion's sixteen statements). The lock is on the basket's
    # row alone (FOR UPDATE OF sale): PostgreSQL cannot lock the nullable side of an outer join, and the
    # lines and items are the basket's to change only while its row is held.
    query = select(Sale).where(Sale.till_id == till_id, Sale.status == OPEN_SQL)
    if lines:
        query = query.options(joinedload(Sale.lines).joinedload(SaleLine.item))
    if lock:
        query = query.with_for_update(of=Sale)
    return db.session.scalars(query).unique().first()


def _basket_for_change(till_id: int, user: User, *, create: bool, lines: bool = True) -> Sale:
    sale = open_basket(till_id, lock=True, lines=lines)
    if sale is None:
        if not create:
            raise BasketEmpty()
        # Two requests from one till must not open two baskets. SQLite's immediate transaction
        # already serialises them; on PostgreSQL the till's row lock does, and then we look again.
        found = db.session.scalar(select(Till).where(Till.id == till_id).with_for_update())
        if found is None or not found.active:
            raise NotFound(_l("This till is not set up."))
        if db.engine.dialect.name != "sqlite":
            sale = open_basket(till_id, lock=True, lines=lines)
        if sale is None:
            _session_for_sale(till_id)  # a new basket needs the till open (its float counted)
            sale = Sale(till_id=till_id, opened_by_id=user.id)
            db.session.add(sale)
            db.session.flush()
    return sale


def _line_figures(sale: Sale) -> tuple[int, int, int]:
    """The basket's number of lines, last position and amount before discounts, in one query over its
    stored lines (changes made in this request are flushed first), whether its lines are loaded or not."""
    count, last, gross = db.session.execute(
        select(func.count(SaleLine.id), func.max(SaleLine.position),
               # In 64 bits: a line of 100 000 zł × 999 pieces is past a PostgreSQL integer, and it is this
               # sum that says "too much".
               func.sum(cast(SaleLine.unit_price_minor, BigInteger) * SaleLine.quantity))
        .where(SaleLine.sale_id == sale.id)).one()
    return count, last or 0, gross or 0


def _over_basket_limit(gross_minor: int, field: str) -> None:
    """A basket comes to at most 100 000 zł before discounts (the largest amount the till takes): more is
    a typing slip, and would overflow a PostgreSQL integer of grosze in the day's figures."""
    if gross_minor > MAX_MINOR:
        raise TooMuch(_l("A basket cannot come to more than %(max)s."), field=field,
                           max=format_money(MAX_MINOR))


def _within_limit(sale: Sale, field: str = "quantity") -> None:
    _over_basket_limit(_line_figures(sale)[2], field)


def _new_line(sale: Sale, **fields) -> SaleLine:
    """Add a line after the basket's last, checked against the basket's limits before it is written."""
    count, last, gross = _line_figures(sale)
    if count >= MAX_LINES:
        raise TooMuch(_l("A basket holds at most %(count)d lines."), count=MAX_LINES)
    _over_basket_limit(gross + fields["unit_price_minor"] * fields["quantity"],
                       "price" if fields["item_id"] is None else "quantity")
    line = SaleLine(sale=sale, position=last + 1, **fields)  # joins ``sale.lines`` without loading them
    db.session.add(line)
    db.session.flush()
    return line


def _line(sale: Sale, line_id) -> SaleLine:
    for line in sale.lines:
        if line.id == line_id:
            return line
    raise NotFound(_l("This line is not in the basket."), field="line_id")


def add_code(till_id: int, user: User, code: str, quantity=1) -> SaleLine:
    """Add a scanned or typed code to the basket."""
    return add_item(till_id, user, catalog.by_code(code), quantity)


def _check_receipt_may_carry(category) -> None:
    """Exempt mode prints non-fiscal receipts; goods the law wants on a fiscal device from the first sale
    (electronics, records, jewellery…) cannot be sold on one."""
    # The shop's row is read for update: an admin switching to exempt mode meanwhile waits, then sees this line.
    if category.fiscal_from_first_sale and \
            db.session.scalar(select(Shop.fiscal_mode).with_for_update()) is FiscalMode.EXEMPT:
        raise ItemUnavailable(_l("%(category)s must be registered on a fiscal device from the first sale, and this "
                                 "till prints non-fiscal receipts: it cannot be sold here. Ask the manager."),
                              category=category.name)


def add_item(till_id: int, user: User, item: Item, quantity=1) -> SaleLine:
    """Put an item in the basket; a unique item is reserved for this basket at once."""
    quantity = validation.quantity(quantity)
    _check_receipt_may_carry(item.category)
    sale = _basket_for_change(till_id, user, create=True, lines=False)  # its other lines stay unread
    if item.kind is ItemKind.BULK:
        if item.status is ItemStatus.WRITTEN_OFF:
            raise ItemUnavailable(_l("%(item)s has been written off and cannot be sold."), item=item.description)
        line = db.session.scalar(select(SaleLine).where(
            SaleLine.sale_id == sale.id, SaleLine.item_id == item.id, SaleLine.unit_price_minor == item.price_minor,
            SaleLine.discount_reason == "").order_by(SaleLine.position).limit(1))
        if line is not None:  # the same goods at the same price: one more on its line
            if line.quantity + quantity > 999:
                raise TooMuch(_l("A line holds at most %(count)d pieces."), field="quantity", count=999)
            line.quantity = line.quantity + quantity
            _within_limit(sale)
            return line
    else:
        if quantity != 1:
            raise TooMuch(_l("A unique item is sold one at a time."), field="quantity")
        reserved = db.session.execute(
            update(Item).where(Item.id == item.id, Item.status == ItemStatus.IN_STOCK)
            .values(status=ItemStatus.IN_SALE).execution_options(synchronize_session=False)
        ).rowcount
        if reserved != 1:
            if db.session.scalar(select(SaleLine.id).where(SaleLine.sale_id == sale.id,
                                                           SaleLine.item_id == item.id).limit(1)):
                raise ItemUnavailable(_l("%(item)s is already in this basket."), item=item.description)
            db.session.refresh(item)
            raise ItemUnavailable(_UNAVAILABLE.get(item.status, _l("%(item)s cannot be sold.")),
                                  item=item.description)
        set_committed_value(item, "status", ItemStatus.IN_SALE)  # what the UPDATE wrote; no re-read
    return _new_line(sale, item_id=item.id, category_id=item.category_id, description=item.description,
                     vat_code=item.category.vat_code, unit_price_minor=item.price_minor, quantity=quantity)


_UNAVAILABLE = {
    ItemStatus.SOLD: _l("%(item)s has already been sold."),
    ItemStatus.IN_SALE: _l("%(item)s is in another till's basket right now."),
    ItemStatus.WRITTEN_OFF: _l("%(item)s has been written off and cannot be sold."),
}


def add_open_price(till_id: int, user: User, *, category_id, price, description="", quantity=1) -> SaleLine:
    """Ring up unlabelled goods by category with a typed price."""
    cat = catalog.category(category_id)
    _check_receipt_may_carry(cat)
    price_minor = validation.money(price, field="price")
    description = validation.text(description, field="description", max_len=200, required=False) or cat.name
    quantity = validation.quantity(quantity)
    sale = _basket_for_change(till_id, user, create=True)
    return _new_line(sale, item_id=None, category_id=cat.id, description=description,
                     vat_code=cat.vat_code, unit_price_minor=price_minor, quantity=quantity)


def set_quantity(till_id: int, user: User, line_id, quantity) -> SaleLine:
    """Change how many of a bulk or open-price line are sold."""
    quantity = validation.quantity(quantity)
    sale = _basket_for_change(till_id, user, create=False)
    line = _line(sale, line_id)
    if line.item_id is not None and line.item.kind is ItemKind.UNIQUE and quantity != 1:
        raise TooMuch(_l("A unique item is sold one at a time."), field="quantity")
    line.quantity = quantity
    _within_limit(sale)
    db.session.flush()
    return line


def remove_line(till_id: int, user: User, line_id) -> None:
    """Take a line off the basket; a unique item goes back to stock."""
    sale = _basket_for_change(till_id, user, create=False)
    line = _line(sale, line_id)
    _release([line])
    audit.record("sale.line_removed", user_id=user.id, obj=sale, description=line.description,
                 price=line.unit_price_minor, quantity=line.quantity)
    sale.lines.remove(line)
    db.session.flush()


def _release(lines) -> None:
    ids = [line.item_id for line in lines if line.item_id is not None]
    if ids:
        db.session.execute(
            update(Item).where(Item.id.in_(ids), Item.status == ItemStatus.IN_SALE)
            .values(status=ItemStatus.IN_STOCK).execution_options(synchronize_session=False)
        )


def authorise(user: User, approval: Approval | None) -> User:
    """The manager answering for a sensitive action: the signed-in manager, or one who typed a PIN."""
    if user.is_manager:
        return user
    if approval is None:
        raise ApprovalRequired()
    return approve(approval.manager_id, approval.pin)


def _discount_values(kind: str, value) -> tuple[int | None, int | None]:
    if kind == "percent":
        value = validation.whole_number(value.strip().rstrip("%") if isinstance(value, str) else value, high=100)
        if value is None:
            raise InvalidInput(_l("The discount must be from 0 to 100 percent."), field="value")
        return (value or None), None
    if kind == "amount":
        amount = validation.money(value, field="value", allow_zero=True)
        return None, (amount or None)
    raise InvalidInput(_l("Choose a percentage or an amount."), field="kind")


def _over_limit(base_minor: int, discount_minor: int) -> bool:
    limit = db.session.scalar(select(Shop.discount_limit_percent)) or 0
    return discount_minor > percent_of(base_minor, limit)


def set_line_discount(till_id: int, user: User, line_id, *, kind: str, value, reason="",
                      approval: Approval | None = None) -> SaleLine:
    """Give (or take away, with 0) a discount on one line; above the limit a manager approves."""
    percent, amount = _discount_values(kind, value)
    sale = _basket_for_change(till_id, user, create=False)
    line = _line(sale, line_id)
    gross = line.unit_price_minor * line.quantity
    if amount is not None and amount > gross:
        raise TooMuch(_l("The discount cannot be more than the line (%(max)s)."), field="value",
                           max=format_money(gross))
    discount = pricing.discount_amount(gross, percent, amount)
    _apply_discount(line, sale, user, approval, percent, amount, reason, base=gross, discount=discount,
                    scope="line")
    return line


def set_basket_discount(till_id: int, user: User, *, kind: str, value, reason="",
                        approval: Approval | None = None) -> Sale:
    """Give (or take away, with 0) a discount on the whole basket."""
    percent, amount = _discount_values(kind, value)
    sale = _basket_for_change(till_id, user, create=False)
    subtotal = totals(sale).subtotal_minor
    if amount is not None and amount > subtotal:
        raise TooMuch(_l("The discount cannot be more than the basket (%(max)s)."), field="value",
                           max=format_money(subtotal))
    discount = pricing.discount_amount(subtotal, percent, amount)
    _apply_discount(sale, sale, user, approval, percent, amount, reason, base=subtotal, discount=discount,
                    scope="basket")
    return sale


def _apply_discount(target, sale, user, approval, percent, amount, reason, *, base, discount, scope):
    if percent is None and amount is None:
        if target.discount_percent or target.discount_amount_minor:
            audit.record("sale.discount_removed", user_id=user.id, obj=sale, scope=scope)
        target.discount_percent = target.discount_amount_minor = None
        target.discount_reason = ""
        db.session.flush()
        return
    reason = validation.text(reason, field="reason", max_len=200)
    approver = authorise(user, approval) if _over_limit(base, discount) else None
    target.discount_percent, target.discount_amount_minor, target.discount_reason = percent, amount, reason
    audit.record("sale.discount", user_id=user.id, obj=sale, reason=reason, scope=scope,
                 percent=percent, amount=amount, discount=discount,
                 approved_by=approver.id if approver else None)
    db.session.flush()


def set_line_price(till_id: int, user: User, line_id, *, price, reason, approval: Approval | None = None
                   ) -> SaleLine:
    """Override a line's price (a flaw found at the counter); a cut above the limit needs a manager."""
    price_minor = validation.money(price, field="price", allow_zero=True)
    reason = validation.text(reason, field="reason", max_len=200)
    sale = _basket_for_change(till_id, user, create=False)
    line = _line(sale, line_id)
    original = line.list_price_minor if line.list_price_minor is not None else line.unit_price_minor
    approver = None
    if price_minor < original and _over_limit(original, original - price_minor):
        approver = authorise(user, approval)
    audit.record("sale.price_override", user_id=user.id, obj=sale, reason=reason, line=line.id,
                 old=line.unit_price_minor, new=price_minor, approved_by=approver.id if approver else None)
    line.list_price_minor = original if price_minor != original else None
    line.unit_price_minor = price_minor
    _within_limit(sale, "price")
    db.session.flush()
    return line


def totals(sale: Sale) -> pricing.Totals:
    """The basket's figures, from its lines and discounts."""
    return pricing.price(
        [pricing.LineIn(line.unit_price_minor, line.quantity, line.discount_percent, line.discount_amount_minor)
         for line in sale.lines],
        sale.discount_percent, sale.discount_amount_minor,
    )


def void(till_id: int, user: User, reason) -> Sale:
    """Cancel the open basket with a reason; its items go back to stock."""
    reason = validation.text(reason, field="reason", max_len=200)
    sale = _basket_for_change(till_id, user, create=False)
    opened = _session_for_sale(till_id)
    _release(sale.lines)
    transition(sale, SaleStatus.VOIDED)
    sale.session_id, sale.business_date = opened.id, opened.business_date
    sale.voided_at = utcnow()
    sale.void_reason = reason
    sale.cashier_id = user.id
    figures = totals(sale)
    audit.record("sale.void", user_id=user.id, obj=sale, reason=reason, lines=len(sale.lines),
                 total=figures.total_minor)
    db.session.flush()
    events.sale_voided.send(None, sale=sale, user_id=user.id, training=events.training())
    return sale


def refuse_exempt_with_flagged_goods(_sender, *, mode: FiscalMode) -> None:
    """Listening to a change of the receipts mode (``core.events.receipts_mode_changed``, after the shop's
    row is written and so locked): exempt mode (non-fiscal receipts) is refused while an open basket holds
    goods the law wants on a fiscal device from the first sale — they were allowed in when the till printed
    fiscal receipts, and would otherwise leave on a non-fiscal one."""
    if mode is not FiscalMode.EXEMPT:
        return
    flagged = db.session.scalar(select(func.count()).select_from(SaleLine).join(Sale, Sale.id == SaleLine.sale_id)
                                .join(Category, Category.id == SaleLine.category_id)
                                .where(Sale.status == SaleStatus.OPEN, Category.fiscal_from_first_sale))
    if flagged:
        raise DomainError(_l("An open basket holds goods that must be registered on a fiscal device from the first "
                             "sale: finish or cancel that sale before switching to non-fiscal receipts."),
                          field="fiscal_mode")


def _session_for_sale(till_id: int):
    """The drawer's open session a sale is written into, held against the day's close while it is: asked
    of the drawer (``core.events.session_for_sale``; ``cash`` answers, or refuses with the reason)."""
    answers = events.answers(events.session_for_sale, till_id=till_id)
    if len(answers) != 1:
        raise RuntimeError("exactly one area must answer session_for_sale (cash)")
    return answers[0]


def restore_would_lose_a_basket() -> str:
    """A restore now would throw away a basket open at a till (hooked into ``core.backup.restore``)."""
    if db.session.scalar(select(Sale.id).where(Sale.status == OPEN_SQL).limit(1)) is not None:
        return "Przy kasie jest otwarty koszyk: dokończ lub anuluj go albo użyj --force."
    return ""


def open_baskets() -> list[Sale]:
    """Every till's open basket, oldest first (a crash or a closed browser can leave one behind, its
    unique items reserved)."""
    return list(db.session.scalars(select(Sale).where(Sale.status == OPEN_SQL).order_by(Sale.opened_at)))


def void_left_basket(sale_id: int, manager: User, reason) -> Sale:
    """A manager cancels a basket left open at any till, with a reason: its items go back to stock,
    and the audit log says it was done from the back office."""
    if not manager.is_manager:
        raise Forbidden()
    sale = db.session.get(Sale, sale_id) if isinstance(sale_id, int) else None
    if sale is None or sale.status is not SaleStatus.OPEN:
        raise NotFound(_l("This basket is no longer open."))
    done = void(sale.till_id, manager, reason)
    audit.record("sale.void_left", user_id=manager.id, obj=done, reason=done.void_reason, lines=len(done.lines),
                 till=done.till.name)
    return done


# --- completion ---------------------------------------------------------------------------------

def _check_key(key) -> str:
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise InvalidInput(_l("The till sent no valid request key; reload the page."), field="key")
    return key


def _by_key(key: str, kind: SaleKind = SaleKind.SALE) -> Sale | None:
    """The sale (or, with ``kind``, the refund) a key made, if any: completion keys and refund keys are two
    namespaces. Asked on every completion and nearly always none, so the question is plain SQL on the
    session's connection; the sale is loaded only when there is one."""
    table = Sale.__table__
    found = db.session.connection().execute(
        select(table.c.id).where(table.c.completion_key == key, table.c.kind == kind)).scalar()
    return db.session.get(Sale, found) if found is not None else None


class KeyUsed(DomainError):
    """A completion key already made a sale that is not the one this till is paying for now."""

    code = "key_used"
    message = _l("This payment was already made as another sale: the till checks what happened, then you can "
                 "pay for this basket again.")


def _same_completion(done: Sale, till_id: int, basket_id: int | None) -> Sale:
    """A repeated completion gets its own sale back — never another till's, never when the till is paying for
    another basket now (a new customer's goods scanned after an unanswered payment)."""
    if done.till_id != till_id or (basket_id is not None and basket_id != done.id):
        raise KeyUsed()
    newer = open_basket(till_id)  # the till has one open basket at most: any is newer than this sale
    if basket_id is None and newer is not None and newer.lines:
        raise KeyUsed()
    return done


def completion(till_id: int, key) -> Sale:
    """The fate of a completion whose answer was lost: its sale (404 when it never happened)."""
    done = _by_key(_check_key(key))
    if done is None:
        raise NotFound(_l("No sale was made with this payment: the basket is still open."))
    if done.till_id != till_id:
        raise KeyUsed()
    return done


def complete(till_id: int, user: User, *, key, payments: list[PaymentIn], buyer_nip: str | None = None,
             basket_id: int | None = None) -> Sale:
    """Take payment and complete the basket in one transaction; the same key returns the same sale (for the
    same till and basket only: anything else is a 409, never someone else's sale). The completion is
    announced last (``core.events.sale_completed``), asked again or not: the fiscal area registers the
    sale, printing queues its receipt."""
    sale, fresh = _complete(till_id, user, key=key, payments=payments, buyer_nip=buyer_nip, basket_id=basket_id)
    events.sale_completed.send(None, sale=sale, user_id=user.id, fresh=fresh, training=events.training())
    return sale


def _complete(till_id: int, user: User, *, key, payments: list[PaymentIn], buyer_nip: str | None,
              basket_id: int | None) -> tuple[Sale, bool]:
    """The completion itself: the sale, and whether this transaction made it (not a repeated key)."""
    key = _check_key(key)
    buyer_nip = validation.nip(buyer_nip, field="buyer_nip") if buyer_nip else ""
    done = _by_key(key)
    if done is not None:
        return _same_completion(done, till_id, basket_id), False
    sale = open_basket(till_id, lock=True)
    if sale is None:
        done = _by_key(key)  # a twin request completed it while we waited for the lock
        if done is not None:
            return _same_completion(done, till_id, basket_id), False
        raise BasketEmpty()
    if basket_id is not None and basket_id != sale.id:
        raise KeyUsed(_l("The basket changed while you were paying: check it and pay again."))
    if not sale.lines:
        raise BasketEmpty()
    opened = _session_for_sale(till_id)
    figures = totals(sale)
    rows = _settle(figures.total_minor, payments)
    number = next_value("receipt")  # before the sale's fields change, so they are written in one UPDATE

    unique_ids = [line.item_id for line in sale.lines if line.item_id and line.item.kind is ItemKind.UNIQUE]
    now = utcnow()
    # The items sold, as SQL on the session's connection (the loaded items are not used again here).
    items = db.session.connection()
    if unique_ids:
        sold = items.execute(
            update(Item).where(Item.id.in_(unique_ids), Item.status == ItemStatus.IN_SALE)
            .values(status=ItemStatus.SOLD, sold_at=now)
        ).rowcount
        if sold != len(unique_ids):
            raise ItemUnavailable(_l("An item in this basket is no longer available; remove it and try again."))
    for line in sale.lines:
        if line.item_id and line.item.kind is ItemKind.BULK:
            items.execute(
                update(Item).where(Item.id == line.item_id)
                .values(quantity_on_hand=Item.quantity_on_hand - line.quantity)
            )
    for line, share, line_total in zip(sale.lines, figures.basket_shares, figures.line_totals):
        line.basket_discount_minor = share
        line.total_minor = line_total
    set_committed_value(sale, "payments", [])  # an open basket has none: no query to find that out
    for row in rows:
        sale.payments.append(row)
    sale.subtotal_minor = figures.subtotal_minor
    sale.discount_minor = figures.discount_minor
    sale.total_minor = figures.total_minor
    sale.item_count = sum(line.quantity for line in sale.lines)
    sale.cashier_id = user.id
    sale.buyer_nip = buyer_nip
    sale.completion_key = key
    sale.completed_at = now
    sale.session_id, sale.business_date = opened.id, opened.business_date
    sale.number = number
    transition(sale, SaleStatus.COMPLETED)
    try:
        db.session.flush()
    except IntegrityError:  # the same key, completed by a twin on another connection
        db.session.rollback()
        done = _by_key(key)
        if done is None:
            raise
        return _same_completion(done, till_id, basket_id), False  # bound as above: never another till's sale
    return sale, True


def _settle(total_minor: int, payments: list[PaymentIn]) -> list[Payment]:
    """Turn the till's payments into records: card amounts first, cash covers the rest with change."""
    cash = [p for p in payments if p.method is PaymentMethod.CASH]
    card = [p for p in payments if p.method is PaymentMethod.CARD]
    if len(cash) > 1 or len(card) > 1:
        raise InvalidInput(_l("Use at most one cash and one card payment."), field="payments")
    if not payments and total_minor > 0:
        raise PaymentShort(_l("Choose how the customer pays."), field="payments")
    rows = []
    card_minor = 0
    if card:
        card_minor = card[0].amount_minor if card[0].amount_minor is not None else total_minor
        if card_minor > total_minor:
            raise TooMuch(_l("The card amount is more than the total (%(total)s)."), field="amount",
                               total=format_money(total_minor))
        if card_minor == 0:
            raise InvalidInput(_l("The card amount must be more than zero."), field="amount")
        rows.append(Payment(method=PaymentMethod.CARD, amount_minor=card_minor, tendered_minor=None))
    cash_due = total_minor - card_minor
    if cash:
        if cash_due == 0 and card:
            raise TooMuch(_l("The card already covers the whole total."), field="tendered")
        tendered = cash[0].tendered_minor if cash[0].tendered_minor is not None else cash_due
        if tendered < cash_due:
            raise PaymentShort(_l("Not enough cash: %(missing)s more is needed."), field="tendered",
                               missing=format_money(cash_due - tendered))
        rows.append(Payment(method=PaymentMethod.CASH, amount_minor=cash_due, tendered_minor=tendered,
                            change_minor=tendered - cash_due))
    elif cash_due > 0:
        raise PaymentShort(_l("%(missing)s is still to be paid."), field="payments",
                           missing=format_money(cash_due))
    return rows


# --- completed sales ----------------------------------------------------------------------------

def by_number(number) -> Sale:
    """A completed sale by its receipt number (scanned from the receipt's barcode or typed)."""
    if isinstance(number, str):
        number = number.strip().lstrip("#")
        number = validation.whole_number(number, low=1)
    sale = db.session.scalar(select(Sale).where(Sale.number == number)) if isinstance(number, int) else None
    if sale is None or sale.kind is not SaleKind.SALE:
        raise NotFound(_l("No sale has the receipt number %(number)s."), field="number", number=number or "?")
    return sale


def completed(sale_id: int) -> Sale:
    """A completed sale or refund by its id (receipts, reprints)."""
    sale = db.session.get(Sale, sale_id)
    if sale is None or sale.status is not SaleStatus.COMPLETED:
        raise NotFound(_l("Not found."))
    return sale
