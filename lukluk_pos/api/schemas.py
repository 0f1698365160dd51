"""Request and response shapes of the API (pydantic): they validate requests and make the OpenAPI doc."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

#: An amount: an integer of grosze, or text a person typed such as "12,50" or "12 zł".
Money = Annotated[StrictInt | Annotated[str, Field(max_length=30)],
                  Field(description="Grosze as an integer (1250), or typed text such as \"12,50\" or \"12 zł\".")]
Quantity = Annotated[StrictInt, Field(ge=1, le=999)]
#: A row id: PostgreSQL's integer columns end at 2**31 - 1.
Id = Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
Reason = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApprovalIn(Strict):
    """A manager's PIN, when the action is beyond what the person at the till may do alone."""

    manager_id: Id
    pin: Annotated[str, Field(max_length=6)]


class AddLineIn(Strict):
    """Add to the basket: a scanned or typed ``code``; an ``item_id`` from search; or an open price."""

    code: Annotated[str, Field(max_length=32)] | None = None
    item_id: Id | None = None
    category_id: Id | None = None
    price: Money | None = None
    description: Annotated[str, Field(max_length=200)] | None = None
    quantity: Quantity = 1

    @model_validator(mode="after")
    def _one_source(self):
        given = [x is not None for x in (self.code, self.item_id, self.category_id)]
        if sum(given) != 1:
            raise ValueError("one_source")
        if self.category_id is not None and self.price is None:
            raise ValueError("price_needed")
        return self


class QuantityIn(Strict):
    quantity: Quantity


class DiscountIn(Strict):
    """A discount as a percentage or an amount; value 0 removes it. A reason is required."""

    kind: Literal["percent", "amount"]
    value: Money
    reason: Reason = ""
    approval: ApprovalIn | None = None


class PriceIn(Strict):
    price: Money
    reason: Reason
    approval: ApprovalIn | None = None


class VoidIn(Strict):
    reason: Reason


class PaymentSpec(Strict):
    """Card: ``amount`` charged on the terminal (default: all that is due). Cash: ``tendered``."""

    method: Literal["cash", "card"]
    amount: Money | None = None
    tendered: Money | None = None


class CompleteIn(Strict):
    """``key`` is made by the till once per attempt: repeating the request returns the same sale."""

    key: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    payments: Annotated[list[PaymentSpec], Field(max_length=2)]
    buyer_nip: Annotated[str | None, Field(None, max_length=20, description=(
        "The buyer's NIP for a receipt with NIP (fiscal-printer mode); checked by its checksum."))] = None
    basket_id: Annotated[int | None, Field(None, ge=1, le=2**31 - 1, description=(
        "The basket the till is paying for (its id from GET /till/basket): a key that already made another "
        "sale, or a basket that changed, is a 409 ``key_used``, never someone else's sale."))] = None


class RefundLineSpec(Strict):
    line_id: Id
    quantity: Quantity = 1
    restock: bool = True


class RefundIn(Strict):
    key: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    lines: Annotated[list[RefundLineSpec], Field(min_length=1, max_length=200)]
    method: Literal["cash", "card"]
    reason: Reason
    approval: ApprovalIn | None = None
    fiscal_register: Literal["return", "correction"] | None = Field(None, description=(
        "Fiscal-printer mode: a customer's return (returns register) or an obvious mistake (corrections)."))
    buyer_name: Annotated[str | None, Field(None, max_length=120, description=(
        "Fiscal-printer mode: the buyer who confirms the return."))] = None


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
    q: Annotated[str, Field(max_length=100)] = ""


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
