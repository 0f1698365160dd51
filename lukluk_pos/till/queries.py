"""The read side of the till: baskets, sales and items as the API and pages show them."""
from __future__ import annotations

from sqlalchemy import select

from ..catalog.models import Item, ItemKind
from ..core.money import format_money
from ..extensions import db
from . import pricing, refunds, service
from .models import Sale, SaleLine, SaleStatus


def _line(line: SaleLine, gross: int, discount: int, total: int) -> dict:
    item = line.item
    kind = "open" if item is None else item.kind.value
    return {
        "id": line.id, "item_id": line.item_id, "code": item.code if item else None,
        "description": line.description, "category": line.category.name, "kind": kind,
        "quantity": line.quantity, "unit_price_minor": line.unit_price_minor,
        "list_price_minor": line.list_price_minor, "gross_minor": gross, "discount_minor": discount,
        "discount_reason": line.discount_reason, "total_minor": total,
        "display": {"unit_price": format_money(line.unit_price_minor), "gross": format_money(gross),
                    "discount": format_money(discount), "total": format_money(total),
                    **({"list_price": format_money(line.list_price_minor)} if line.list_price_minor is not None else {})},
    }


def basket(sale: Sale | None) -> dict:
    """An open basket with live figures (an empty one when the till has none)."""
    if sale is None:
        return {"id": None, "lines": [], "subtotal_minor": 0, "discount_minor": 0, "discount_reason": "",
                "total_minor": 0, "item_count": 0,
                "display": {"subtotal": format_money(0), "discount": format_money(0), "total": format_money(0)}}
    figures = service.totals(sale)
    lines = [
        _line(line, gross, ld, ld_total)
        for line, gross, ld, ld_total in zip(
            sale.lines, figures.gross, figures.line_discounts,
            [g - d for g, d in zip(figures.gross, figures.line_discounts)])
    ]
    return {"id": sale.id, "lines": lines,
            **_figures(sale, figures, sum(line.quantity for line in sale.lines))}


def _figures(sale: Sale, figures: pricing.Totals, item_count: int) -> dict:
    return {
        "subtotal_minor": figures.subtotal_minor, "discount_minor": figures.discount_minor,
        "discount_reason": sale.discount_reason, "total_minor": figures.total_minor, "item_count": item_count,
        "display": {"subtotal": format_money(figures.subtotal_minor), "discount": format_money(figures.discount_minor),
                    "total": format_money(figures.total_minor)},
    }


def change(line: SaleLine) -> dict:
    """The basket after one line was added or grew: that line and the basket's figures, without its other
    lines (the till keeps those; ``line_count`` lets it see when its copy is not the basket's)."""
    sale = line.sale
    rows = db.session.execute(
        select(SaleLine.unit_price_minor, SaleLine.quantity, SaleLine.discount_percent, SaleLine.discount_amount_minor)
        .where(SaleLine.sale_id == sale.id)).all()
    figures = pricing.price([pricing.LineIn(*row) for row in rows], sale.discount_percent, sale.discount_amount_minor)
    gross = line.unit_price_minor * line.quantity
    discount = pricing.discount_amount(gross, line.discount_percent, line.discount_amount_minor)
    return {"id": sale.id, "line": _line(line, gross, discount, gross - discount), "line_count": len(rows),
            **_figures(sale, figures, sum(row.quantity for row in rows))}


def sale(doc: Sale, *, with_refundable: bool = False) -> dict:
    """A completed (or voided) sale or refund as stored: its snapshots, not recomputed."""
    lines = []
    for line in doc.lines:
        gross = line.unit_price_minor * line.quantity
        lines.append(_line(line, gross, gross - line.total_minor if doc.kind.value == "sale" else 0,
                           line.total_minor))
    change = sum(p.change_minor for p in doc.payments)
    refundable = {}
    if with_refundable and doc.status is SaleStatus.COMPLETED:
        done = refunds.refunded_so_far(doc)
        refundable = {str(line.id): line.quantity - done.get(line.id, (0, 0))[0] for line in doc.lines}
    return {
        "id": doc.id, "number": doc.number, "kind": doc.kind.value, "status": doc.status.value,
        "completed_at": doc.completed_at.isoformat() + "Z" if doc.completed_at else None,
        "total_minor": doc.total_minor, "discount_minor": doc.discount_minor, "change_minor": change,
        "lines": lines,
        "payments": [{"method": p.method.value, "amount_minor": p.amount_minor,
                      "tendered_minor": p.tendered_minor, "change_minor": p.change_minor} for p in doc.payments],
        "refundable": refundable,
        "display": {"total": format_money(doc.total_minor), "change": format_money(change),
                    "discount": format_money(doc.discount_minor),
                    "tendered": format_money(sum(p.tendered_minor or 0 for p in doc.payments))},
    }


def item(found: Item) -> dict:
    return {
        "id": found.id, "code": found.code, "description": found.description,
        "category": found.category.name, "kind": found.kind.value, "status": found.status.value,
        "price_minor": found.price_minor,
        "quantity_on_hand": found.quantity_on_hand if found.kind is ItemKind.BULK else 1,
        "display": {"price": format_money(found.price_minor)},
    }
