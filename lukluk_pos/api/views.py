"""The API's endpoints: thin wrappers that validate, call one service function and answer JSON."""
from __future__ import annotations

from flask import g, jsonify

from ..cash import service as cash
from ..catalog import service as catalog
from ..core.access import Access
from ..core.money import format_money
from ..core.web import shop as current_shop
from ..fiscal import service as fiscal
from ..fiscal.device import FiscalError
from ..printing import service as printing
from ..till import queries, refunds
from ..till import service as till
from ..till.models import PaymentMethod
from . import bp
from .schemas import (
    AddLineIn,
    BasketChangeOut,
    BasketOut,
    CategoryList,
    CategoryOut,
    CodeLineIn,
    CompleteIn,
    DayOut,
    DiscountIn,
    DrawerIn,
    ItemLineIn,
    ItemList,
    ItemOut,
    JobOut,
    PriceIn,
    PrinterStatusOut,
    QuantityIn,
    RefundIn,
    SaleOut,
    SearchQuery,
    SuggestOut,
    SuggestQuery,
    VoidIn,
)
from .spec import endpoint, openapi_document


def _till_id() -> int:
    """The till this sign-in works at (the device's till, else the first one)."""
    return till.till_id_for(g.login)


def _approval(data):
    a = getattr(data, "approval", None)
    return till.Approval(a.manager_id, a.pin) if a else None


def _basket(sale=None) -> BasketOut:
    """The basket as the till shows it: the one just changed, or the till's open one."""
    return BasketOut.model_validate(queries.basket(sale if sale is not None else till.open_basket(_till_id())))


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document(bp.url_prefix))


openapi.access = Access.PUBLIC


@endpoint(bp, "GET", "/till/basket", summary="The till's open basket", access=Access.TILL, response=BasketOut)
def get_basket():
    return _basket()


@endpoint(bp, "POST", "/till/basket/lines", summary="Add a scanned code, a found item or an open-price line; "
          "the answer is that line and the basket's figures", access=Access.TILL, body=AddLineIn,
          response=BasketChangeOut, status=201)
def add_line(data: AddLineIn):
    cash.ensure_current_session(_till_id())
    data = data.root
    if isinstance(data, CodeLineIn):
        line = till.add_code(_till_id(), g.user, data.code, data.quantity)
    elif isinstance(data, ItemLineIn):
        line = till.add_item(_till_id(), g.user, catalog.item(data.item_id), data.quantity)
    else:
        line = till.add_open_price(_till_id(), g.user, category_id=data.category_id, price=data.price,
                                   description=data.description or "", quantity=data.quantity)
    return BasketChangeOut.model_validate(queries.change(line))


@endpoint(bp, "PATCH", "/till/basket/lines/<int:line_id>", summary="Change a line's quantity",
          access=Access.TILL, body=QuantityIn, response=BasketOut)
def change_quantity(line_id: int, data: QuantityIn):
    till.set_quantity(_till_id(), g.user, line_id, data.quantity)
    return _basket()


@endpoint(bp, "DELETE", "/till/basket/lines/<int:line_id>", summary="Remove a line", access=Access.TILL,
          response=BasketOut)
def remove_line(line_id: int):
    till.remove_line(_till_id(), g.user, line_id)
    return _basket()


@endpoint(bp, "POST", "/till/basket/lines/<int:line_id>/discount", summary="Discount one line",
          access=Access.TILL, body=DiscountIn, response=BasketOut)
def line_discount(line_id: int, data: DiscountIn):
    data = data.root
    till.set_line_discount(_till_id(), g.user, line_id, kind=data.kind, value=data.value, reason=data.reason,
                           approval=_approval(data))
    return _basket()


@endpoint(bp, "POST", "/till/basket/lines/<int:line_id>/price", summary="Override a line's price",
          access=Access.TILL, body=PriceIn, response=BasketOut)
def line_price(line_id: int, data: PriceIn):
    till.set_line_price(_till_id(), g.user, line_id, price=data.price, reason=data.reason,
                        approval=_approval(data))
    return _basket()


@endpoint(bp, "POST", "/till/basket/discount", summary="Discount the whole basket", access=Access.TILL,
          body=DiscountIn, response=BasketOut)
def basket_discount(data: DiscountIn):
    data = data.root
    till.set_basket_discount(_till_id(), g.user, kind=data.kind, value=data.value, reason=data.reason,
                             approval=_approval(data))
    return _basket()


@endpoint(bp, "POST", "/till/basket/void", summary="Void the open basket with a reason", access=Access.TILL,
          body=VoidIn, response=BasketOut)
def void_basket(data: VoidIn):
    till.void(_till_id(), g.user, data.reason)
    return _basket()


@endpoint(bp, "POST", "/till/basket/complete", summary="Take payment and complete the sale (idempotent by key)",
          access=Access.TILL, body=CompleteIn, response=SaleOut)
def complete(data: CompleteIn):
    from ..core.validation import money

    payments = [
        till.PaymentIn(
            method=PaymentMethod(p.method),
            amount_minor=money(p.amount, field="amount") if p.amount is not None else None,
            tendered_minor=money(p.tendered, field="tendered", allow_zero=True) if p.tendered is not None else None,
        )
        for p in data.payments
    ]
    # Announced by the till: in fiscal-printer mode the sale is committed with its registration and the
    # device has printed (or refused: the till shows it); otherwise its receipt is queued.
    sale = till.complete(_till_id(), g.user, key=data.key, payments=payments, buyer_nip=data.buyer_nip,
                         basket_id=data.basket_id)
    if not fiscal.printer_mode(current_shop()):  # the request's cached settings: no query on the till's path
        return SaleOut.model_validate(queries.sale(sale))
    return _sale_out(till.completed(sale.id))


@endpoint(bp, "GET", "/till/completions/<key>", summary="What became of a payment whose answer was lost: its sale, "
          "or 404 when no sale was made (the basket is still open)", access=Access.TILL, response=SaleOut,
          params={"key": {"minLength": 8, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}})
def completion(key: str):
    return _sale_out(till.completed(till.completion(_till_id(), key).id))


def _register(sale_id: int) -> SaleOut:
    """Send a stored sale to the fiscal printer; a refusal comes back as the sale's fiscal message."""
    try:
        fiscal.register(sale_id)
    except FiscalError:
        pass  # the registration keeps the device's reason; the till shows it with "Spróbuj ponownie"
    sale = till.completed(sale_id)
    return _sale_out(sale)


def _sale_out(sale, **kw) -> SaleOut:
    out = queries.sale(sale, **kw)
    out["fiscal"] = fiscal.status_of(sale)
    return SaleOut.model_validate(out)


@endpoint(bp, "POST", "/sales/<int:sale_id>/fiscal", summary="Print the sale's fiscal receipt again after the "
          "device refused (idempotent: the device's counters decide)", access=Access.TILL, response=SaleOut,
          tag="fiscal")
def fiscal_retry(sale_id: int):
    return _register(till.completed(sale_id).id)


@endpoint(bp, "GET", "/sales/by-number/<number>", summary="A completed sale by its receipt number",
          access=Access.TILL, response=SaleOut, tag="refunds")
def sale_by_number(number: str):
    return _sale_out(till.by_number(number), with_refundable=True)


@endpoint(bp, "POST", "/sales/<int:sale_id>/refunds", summary="Refund some or all of a sale (manager's PIN)",
          access=Access.TILL, body=RefundIn, response=SaleOut, status=201, tag="refunds")
def refund(sale_id: int, data: RefundIn):
    # Announced by the till: the correcting invoice, the fiscal register's entry or the receipt follow.
    doc = refunds.refund(
        user=g.user, till_id=_till_id(), sale_id=sale_id, method=PaymentMethod(data.method), reason=data.reason,
        approval=_approval(data), key=data.key, register=data.fiscal_register, buyer_name=data.buyer_name,
        lines=[refunds.RefundLineIn(line.line_id, line.quantity, line.restock) for line in data.lines],
    )
    return SaleOut.model_validate(queries.sale(doc))


@endpoint(bp, "POST", "/sales/<int:sale_id>/reprint", summary="Print a copy (KOPIA) of a receipt",
          access=Access.TILL, response=JobOut, status=201, tag="printing")
def reprint(sale_id: int):
    job = printing.reprint(till.completed(sale_id), user_id=g.user.id)
    return JobOut(id=job.id, status=job.status.value)


@endpoint(bp, "POST", "/till/drawer", summary="Open the cash drawer with a reason (a manager's)",
          access=Access.TILL, body=DrawerIn, response=JobOut, status=201, tag="printing")
def open_drawer(data: DrawerIn):
    from ..core.validation import text

    reason = text(data.reason, field="reason", max_len=200)
    approver = till.authorise(g.user, _approval(data))
    job = printing.open_drawer(user_id=g.user.id, reason=reason, approved_by=approver.id)
    return JobOut(id=job.id, status=job.status.value)


@endpoint(bp, "GET", "/printer/status", summary="What waits for the printer", access=Access.TILL,
          response=PrinterStatusOut, tag="printing")
def printer_status():
    return PrinterStatusOut.model_validate(printing.status())


@endpoint(bp, "GET", "/items/search", summary="Items on sale by code or words", access=Access.TILL,
          query=SearchQuery, response=ItemList, tag="items")
def search(params: SearchQuery):
    return ItemList(items=[ItemOut.model_validate(queries.item(i)) for i in catalog.search(params.q)])


@endpoint(bp, "GET", "/items/by-code/<code>", summary="An item by its code", access=Access.TILL,
          response=ItemOut, tag="items")
def item_by_code(code: str):
    return ItemOut.model_validate(queries.item(catalog.by_code(code)))


@endpoint(bp, "GET", "/categories", summary="Active categories (the till's quick buttons)",
          access=Access.TILL, response=CategoryList, tag="items")
def categories():
    return CategoryList(categories=[
        CategoryOut(id=c.id, name=c.name, default_price_minor=c.default_price_minor, vat_code=c.vat_code,
                    display={"default_price": format_money(c.default_price_minor)})
        for c in catalog.categories()
    ])


@endpoint(bp, "GET", "/intake/suggest", summary="The suggested price for a category and condition",
          access=Access.TILL, query=SuggestQuery, response=SuggestOut, tag="intake")
def suggest_price(params: SuggestQuery):
    from ..core.money import format_input
    from ..intake import service as intake
    from ..intake.models import Condition

    category = catalog.category(int(params.category_id))
    condition = Condition(params.condition)
    price = intake.suggest_price(category, condition)
    _typical, low, high = intake.guide(category, condition)
    return SuggestOut(price_minor=price, low_minor=low, high_minor=high,
                      display={"price": format_input(price), "low": format_money(low), "high": format_money(high)})


#: A day the shop can have records of (the server refuses days outside 2000–2999 as typing errors).
DAY_PARAM = {"format": "date", "pattern": r"^2[0-9]{3}-[0-9]{2}-[0-9]{2}$",
             "description": "A day from 2000-01-01 to 2999-12-31."}


@endpoint(bp, "GET", "/days/<day>", summary="A day's report (YYYY-MM-DD): the Z report's figures, cash, "
          "movements, corrections and the journal; a manager or a reports:read token",
          access=Access.REPORTS, response=DayOut, tag="reports", params={"day": DAY_PARAM})
def day_figures(day: str):

    from ..cash import zreport
    from ..core import validation
    from ..core.errors import InvalidInput
    from ..reports import exports

    try:
        when = validation.iso_day(day)
    except ValueError:
        when = None
    if when is None:
        from flask_babel import lazy_gettext as _l

        raise InvalidInput(_l("Give the day as YYYY-MM-DD."), field="day")
    data = zreport.for_day(when)
    data["journal"] = exports.journal(data)
    return DayOut.model_validate(data)
