"""Basket arithmetic in grosze: line discounts, the basket discount and its split over lines.

Pure functions over plain numbers, so the rules are tested exhaustively (hypothesis) without a
database, and the till, receipts and reports all use the same figures.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.money import allocate, percent_of


@dataclass(frozen=True)
class LineIn:
    unit_price_minor: int
    quantity: int
    discount_percent: int | None = None
    discount_amount_minor: int | None = None


@dataclass(frozen=True)
class Totals:
    #: Per line: gross (price × quantity), its own discount, its share of the basket discount, total.
    gross: list[int]
    line_discounts: list[int]
    basket_shares: list[int]
    line_totals: list[int]
    subtotal_minor: int  #: sum of lines after their own discounts
    discount_minor: int  #: the basket discount
    total_minor: int  #: what the customer pays


def discount_amount(base_minor: int, percent: int | None, amount_minor: int | None) -> int:
    """The discount on ``base_minor``: a percentage (rounded half up) or an amount, never above the base."""
    if percent:
        return min(percent_of(base_minor, percent), base_minor)
    if amount_minor:
        return min(amount_minor, base_minor)
    return 0


def price(lines: list[LineIn], basket_percent: int | None = None,
          basket_amount_minor: int | None = None) -> Totals:
    """All the figures of a basket."""
    gross = [line.unit_price_minor * line.quantity for line in lines]
    line_discounts = [
        discount_amount(g, line.discount_percent, line.discount_amount_minor) for g, line in zip(gross, lines)
    ]
    nets = [g - d for g, d in zip(gross, line_discounts)]
    subtotal = sum(nets)
    basket_discount = discount_amount(subtotal, basket_percent, basket_amount_minor)
    shares = allocate(basket_discount, nets)
    totals = [n - s for n, s in zip(nets, shares)]
    return Totals(gross, line_discounts, shares, totals, subtotal, basket_discount, subtotal - basket_discount)
