"""The cooperative's chart of accounts as the bookkeeper set it, and what a closed day keeps of it.

The journal posts a day's figures to these accounts. A day keeps, at its close, the account numbers, the
categories' names and the shop's name, address and NIP it was closed with (``kept``), so changing any of
them later never moves a closed day's journal, exports or reprinted Z report.
"""
from __future__ import annotations

from sqlalchemy import select

from ..catalog.models import Category
from ..core.models import Shop
from ..extensions import db
from .models import LedgerAccount

#: The journal's fixed accounts and their starting numbers (the bookkeeper sets the real ones).
ACCOUNT_KEYS = ("cash", "card", "safe", "paid_in", "paid_out", "over_short", "adjustments", "revenue")
DEFAULT_ACCOUNTS = {"cash": "100-01", "card": "145", "safe": "100-02", "paid_in": "240-01", "paid_out": "409",
                    "over_short": "240-02", "adjustments": "240-03", "revenue": "702"}


def accounts() -> dict[str, str]:
    """Key → account number: the fixed keys and ``category:ID`` (a category without its own account posts
    to ``revenue``)."""
    stored = {row.key: row.number for row in db.session.scalars(select(LedgerAccount))}
    numbers = {key: stored.get(key) or DEFAULT_ACCOUNTS[key] for key in ACCOUNT_KEYS}
    for category in db.session.scalars(select(Category)):
        numbers[f"category:{category.id}"] = stored.get(f"category:{category.id}") or numbers["revenue"]
    return numbers


def category_names() -> dict[str, str]:
    """``category:ID`` → the category's name now."""
    return {f"category:{c.id}": c.name for c in db.session.scalars(select(Category))}


def kept_at_close() -> dict:
    """What a day keeps at its close of the settings its outputs read: the accounts, the categories' names
    and the shop's name, address and NIP."""
    shop = db.session.scalar(select(Shop).limit(1))
    return {"accounts": accounts(), "categories": category_names(),
            "shop": {"name": shop.name, "address": shop.address, "nip": shop.nip} if shop else None}
