"""Request and response shapes of the API (pydantic): they validate requests and make the OpenAPI doc."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StrictInt,
    Tag,
    model_validator,
)

from ..core.money import MAX_MINOR


def _integral(value):
    """JSON Schema's ``integer`` is any number without a fraction: 3.0 is the integer 3. A fraction (2.5)
    and text stay refused."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53:
        return int(value)
    return value


def whole(low: int, high: int):
    """A whole number from ``low`` to ``high`` as JSON Schema means it (3 and 3.0), never text or a fraction.
    The bounds sit on the integer itself, so the document says ``minimum``/``maximum``."""
    return Annotated[StrictInt, Field(ge=low, le=high), BeforeValidator(_integral)]

#: Typed money text the server reads, up to 99 999,99 zł: digits (one space may group the thousands),
#: a decimal comma or point with one or two digits, "zł"/"zl"/"PLN" after it; spaces around. Only ASCII
#: spaces are named: "\s" means different characters to the document's readers and to the server.
_WHOLE = r"(?:[0-9]{1,5}|[0-9]{1,2} [0-9]{3})"
_UNIT = r"(?: ?(?:zł|zl|PLN|pln))?"
#: 100 000 zł itself, the largest amount (written out, since 100 000,01 is past it).
_MAX_TEXT = r"100 ?000(?:[.,]00?)?"
MONEY_TEXT = rf"^ *\+?(?:{_WHOLE}(?:[.,][0-9]{{1,2}})?|{_MAX_TEXT}){_UNIT} *$"
#: The same, more than zero.
_NONZERO = (r"(?:0{0,4}[1-9][0-9]{0,4}|[1-9][0-9]? [0-9]{3})(?:[.,][0-9]{1,2})?"
            r"|0{1,5}[.,](?:[1-9][0-9]?|0[1-9])|" + _MAX_TEXT)
MONEY_TEXT_POSITIVE = rf"^ *\+?(?:{_NONZERO}){_UNIT} *$"
_MONEY_HELP = ("Grosze as an integer (1250, at most {max}), or typed text such as \"12,50\", \"12.5\", \"1 234,00\" "
               "or \"12 zł\" (at most 100 000 zł).").format(max=MAX_MINOR)

#: An amount: an integer of grosze, or text a person typed such as "12,50" or "12 zł".
Money = Annotated[whole(0, MAX_MINOR)
                  | Annotated[str, Field(max_length=30, pattern=MONEY_TEXT)],
                  Field(description=_MONEY_HELP)]
#: An amount that must be more than zero (a price, a card payment).
PositiveMoney = Annotated[whole(1, MAX_MINOR)
                          | Annotated[str, Field(max_length=30, pattern=MONEY_TEXT_POSITIVE)],
                          Field(description=_MONEY_HELP + " More than zero.")]
Quantity = whole(1, 999)
#: A row id: PostgreSQL's integer columns end at 2**31 - 1.
Id = whole(1, 2**31 - 1)
#: A reason a person types: what the audit log and the printouts keep. It needs a letter or a digit
#: (control and formatting characters are dropped, so a reason of only those would be empty), no NUL.
REASON_TEXT = r"^[^\x00]*[0-9A-Za-zÀ-ÖØ-öø-ž][^\x00]*$"
Reason = Annotated[str, Field(max_length=200, pattern=REASON_TEXT,
                              description="Required: at least one letter or digit; at most 200 characters.")]
#: A request key: made by the till, repeated with a repeated request.
Key = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
#: Any text: everything but NUL (which PostgreSQL cannot store and no person types).
NO_NUL = r"^[^\x00]*$"
#: A Polish NIP as typed: ten digits, "PL" before them if wanted, a dash or a space between any two
#: (123-456-78-90, 123-45-67-890, PL 1234567890).
NIP_TEXT = r"^ *(?:[Pp][Ll] ?)?(?:[0-9][- ]?){9}[0-9] *$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApprovalIn(Strict):
    """A manager's PIN, when the action is beyond what the person at the till may do alone."""

    manager_id: Id
    pin: Annotated[str, Field(pattern=r"^[0-9]{4,6}$", description="The manager's PIN: 4 to 6 digits.")]


class CodeLineIn(Strict):
    """A scanned or typed code."""

    code: Annotated[str, Field(min_length=1, max_length=32, pattern=NO_NUL)]
    quantity: Quantity = 1


class ItemLineIn(Strict):
    """An item found by search."""

    item_id: Id
    quantity: Quantity = 1


class OpenLineIn(Strict):
    """An open price in a category (its quick button), with what the volunteer typed."""

    category_id: Id
    price: PositiveMoney
    description: Annotated[str, Field(max_length=200, pattern=NO_NUL)] | None = None
    quantity: Quantity = 1


def _line_source(data) -> str:
    """Which of the three shapes a body means (told by its key, so its errors are that shape's own)."""
    if isinstance(data, dict):
        return "by-code" if data.get("code") is not None else "by-item" if data.get("item_id") is not None \
            else "open-price"
    return "by-code" if isinstance(data, CodeLineIn) else "by-item" if isinstance(data, ItemLineIn) else "open-price"


class AddLineIn(RootModel[Annotated[Annotated[CodeLineIn, Tag("by-code")] | Annotated[ItemLineIn, Tag("by-item")]
                                    | Annotated[OpenLineIn, Tag("open-price")], Discriminator(_line_source)]]):
    """Add to the basket: a scanned or typed ``code``; an ``item_id`` from search; or an open price
    (``category_id`` with ``price``): exactly one of the three shapes."""

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data):
        if isinstance(data, dict):
            if sum(data.get(name) is not None for name in ("code", "item_id", "category_id")) != 1:
                raise ValueError("one_source")
            if data.get("category_id") is not None and data.get("price") is None:
                raise ValueError("price_needed")
        return data


class QuantityIn(Strict):
    quantity: Quantity


#: A percentage as a number (0 to 100) or typed ("15", "15 %").
Percent = Annotated[whole(0, 100)
                    | Annotated[str, Field(max_length=10, pattern=r"^ *(?:100|[0-9]{1,2}) *%? *$")],
                    Field(description="0 to 100, a number or typed text such as \"15 %\".")]


class PercentDiscountIn(Strict):
    """A discount of ``value`` percent (0 removes it)."""

    kind: Literal["percent"]
    value: Percent
    reason: Reason | Literal[""] = ""
    approval: ApprovalIn | None = None


class AmountDiscountIn(Strict):
    """A discount of ``value`` (money; 0 removes it). More than the line or the basket is refused with 409
    ``too_much``: the basket decides, not the request."""

    kind: Literal["amount"]
    value: Money
    reason: Reason | Literal[""] = ""
    approval: ApprovalIn | None = None


def _discount_kind(data) -> str | None:
    kind = data.get("kind") if isinstance(data, dict) else getattr(data, "kind", None)
    return {"percent": "percent-off", "amount": "amount-off"}.get(kind)


class DiscountIn(RootModel[Annotated[Annotated[PercentDiscountIn, Tag("percent-off")]
                                     | Annotated[AmountDiscountIn, Tag("amount-off")], Discriminator(_discount_kind)]]):
    """A discount as a percentage or an amount, told apart by ``kind``; value 0 removes it. A reason is
    required unless the discount is removed."""


class PriceIn(Strict):
    price: Annotated[Money, Field(description=_MONEY_HELP + " 0 makes the line free.")]
    reason: Reason
    approval: ApprovalIn | None = None


class VoidIn(Strict):
    reason: Reason


class PaymentSpec(Strict):
    """Card: ``amount`` charged on the terminal (default: all that is due). Cash: ``tendered``. A card
    amount above what is due, or cash short of it, is refused with 409 (the basket decides)."""

    method: Literal["cash", "card"]
    amount: PositiveMoney | None = None
    tendered: Money | None = None


class CompleteIn(Strict):
    """``key`` is made by the till once per attempt: repeating the request returns the same sale. At most one
    cash and one card payment."""

    key: Key
    payments: Annotated[list[PaymentSpec], Field(max_length=2)]
    buyer_nip: Annotated[Annotated[str, Field(pattern=NIP_TEXT)] | Literal[""] | None, Field(None, description=(
        "The buyer's NIP for a receipt with NIP (fiscal-printer mode): ten digits (\"PL\", dashes and spaces allowed) "
        "whose last is the checksum of the first nine; \"\" for none."))] = None
    basket_id: Id | None = Field(None, description=(
        "The basket the till is paying for (its id from GET /till/basket): a key that already made another "
        "sale, or a basket that changed, is a 409 ``key_used``, never someone else's sale."))


class RefundLineSpec(Strict):
    line_id: Id
    quantity: Quantity = 1
    restock: bool = True


class RefundIn(Strict):
    key: Key
    lines: Annotated[list[RefundLineSpec], Field(min_length=1, max_length=200)]
    method: Literal["cash", "card"]
    reason: Reason
    approval: ApprovalIn | None = None
    fiscal_register: Literal["return", "correction"] | None = Field(None, description=(
        "Fiscal-printer mode: a customer's return (returns register) or an obvious mistake (corrections)."))
    buyer_name: Annotated[str, Field(max_length=120, pattern=NO_NUL)] | None = Field(None, description=(
        "Fiscal-printer mode: the buyer who confirms the return."))


class DrawerIn(Strict):
    reason: Reason
    approval: ApprovalIn | None = None


class SuggestQuery(Strict):
    category_id: Annotated[str, Field(pattern=r"^[0-9]{1,9}$")]
    condition: Literal["new_with_tags", "very_good", "good", "fair"]


class SuggestOut(BaseModel):
    price_minor: int
    low_minor: int
    high_minor: int
    display: dict[str, str]


class SearchQuery(Strict):
    q: Annotated[str, Field(max_length=100, pattern=NO_NUL)] = ""


# --- responses ----------------------------------------------------------------------------------

class LineOut(BaseModel):
    id: int
    item_id: int | None
    code: str | None
    description: str
    category: str
    kind: Literal["unique", "bulk", "open"]
    quantity: int
    unit_price_minor: int
    list_price_minor: int | None
    gross_minor: int
    discount_minor: int
    discount_reason: str
    total_minor: int
    display: dict[str, str] = Field(description="The same amounts formatted for the shop's language.")


class BasketFigures(BaseModel):
    """A basket's figures, as the till shows them."""

    subtotal_minor: int
    discount_minor: int
    discount_reason: str
    total_minor: int
    item_count: int
    display: dict[str, str]


class BasketOut(BasketFigures):
    id: int | None
    lines: list[LineOut]


class BasketChangeOut(BasketFigures):
    """The basket after a line was added (or one more of a bulk item joined its line): that line and the
    basket's figures. The other lines are unchanged; GET /till/basket gives them all."""

    id: int
    line: LineOut
    line_count: int = Field(description="How many lines the basket has now: a till whose copy holds another "
                                        "number asks for the whole basket.")


class PaymentOut(BaseModel):
    method: Literal["cash", "card"]
    amount_minor: int
    tendered_minor: int | None
    change_minor: int


class FiscalOut(BaseModel):
    """The sale's fiscal receipt (fiscal-printer mode): "pending" means paid but not yet printed."""

    status: Literal["pending", "registered", "uncertain", "voided"]
    receipt_number: int | None
    message: str | None = Field(None, description="The fiscal printer's last refusal, in plain words.")
    check: bool = Field(False, description=(
        "The printer's answer was lost and the receipt may have printed: the till offers \"Check\" (the "
        "printer's counters decide), not \"Try again\"."))


class SaleOut(BaseModel):
    id: int
    number: int | None
    kind: Literal["sale", "refund"]
    status: Literal["open", "completed", "voided"]
    completed_at: str | None
    total_minor: int
    discount_minor: int
    change_minor: int
    lines: list[LineOut]
    payments: list[PaymentOut]
    refundable: dict[str, int] = Field(default_factory=dict,
                                       description="Per line id: how many pieces can still be refunded.")
    display: dict[str, str]
    fiscal: FiscalOut | None = None


class ItemOut(BaseModel):
    id: int
    code: str
    description: str
    category: str
    kind: Literal["unique", "bulk"]
    status: str
    price_minor: int
    quantity_on_hand: int
    display: dict[str, str]


class ItemList(BaseModel):
    items: list[ItemOut]


class CategoryOut(BaseModel):
    id: int
    name: str
    default_price_minor: int
    vat_code: str
    display: dict[str, str]


class CategoryList(BaseModel):
    categories: list[CategoryOut]


class PrinterStatusOut(BaseModel):
    printer: str = Field(description="The printer in use, e.g. network:192.168.1.50:9100, or preview.")
    preview: bool
    waiting: int = Field(description="Jobs waiting because the printer failed.")
    last_error: str


class JobOut(BaseModel):
    id: int
    status: str


class DayOut(BaseModel):
    """A day's report (grosze): the same figures as the printed Z report, the CSV/XLSX exports and the
    journal. ``status`` is ``closed`` once the day is locked; ``z_number`` is its Z report."""

    model_config = ConfigDict(extra="allow")
    date: str
    first_receipt: int | None
    last_receipt: int | None
    sales_count: int
    refunds_count: int
    voids_count: int
    gross_minor: int = Field(description="Sales before discounts.")
    discounts_minor: int
    refunds_minor: int
    net_minor: int = Field(description="Sales after discounts, less refunds.")
    by_payment_method: dict[str, dict[str, int]]
    by_category: dict[str, dict[str, int]]
    by_vat_code: dict[str, dict[str, int]]
    items_sold: int
    items_taken_in: int
    on_duty: list[str]
    status: str = Field(description="open or closed (locked).")
    z_number: int | None
    sessions: list[dict] = Field(description="Each till session: float, cash received, change, refunds, "
                                 "movements, expected, counted, difference, card system and terminal totals.")
    cash: dict[str, int] = Field(description="The sessions' cash summed; difference_minor is over (+) / short (−).")
    movements: list[dict]
    adjustments: list[dict] = Field(description="Corrections of closed days reported on this day.")
    fiscal: dict | None = Field(description="Fiscal register mode: the register's figures beside the system's.")
    journal: list[dict] = Field(description="One line per account: account, debit_minor, credit_minor.")


class ErrorOut(BaseModel):
    error: str
    message: str = Field(description="In the person's language, ready to show.")
    field: str | None = None
    errors: dict[str, str] | None = None
