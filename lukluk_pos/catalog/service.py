"""Categories and items: add, change price (with a kept record), find by code or words."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core import audit, validation
from ..core.errors import InvalidInput, NotFound
from ..core.models import next_value
from ..extensions import db
from .codes import ean13
from .models import IN_STOCK_SQL, VAT_CODES, Category, Item, ItemKind, ItemStatus, PriceChange, fold

SEARCH_LIMIT = 20


def _vat(code: str) -> str:
    if code not in VAT_CODES:
        raise InvalidInput(_l("Unknown VAT code."), field="vat_code")
    return code


def category(category_id) -> Category:
    """An active category by id, or a translated 'unknown category'."""
    cat = db.session.get(Category, category_id) if isinstance(category_id, int) else None
    if cat is None or not cat.active:
        raise NotFound(_l("Unknown category."), field="category_id")
    return cat


def categories(*, include_inactive: bool = False) -> list[Category]:
    """Categories in their button order."""
    query = select(Category).order_by(Category.position, Category.name)
    if not include_inactive:
        query = query.where(Category.active)
    return list(db.session.scalars(query))


def kept_off_the_till(among: list[Category] | None = None) -> list[Category]:
    """The categories this shop's till refuses: in exempt mode (non-fiscal receipts), those the law wants
    on a fiscal device from the first sale (jewellery, records, electronics…). Said at intake, hidden from
    the till's quick buttons and counted on the dashboard, so nobody learns it with a customer waiting.
    ``among``: the categories a page has read already (the till's quick buttons), so none are read again."""
    from ..core.models import FiscalMode
    from ..core.web import shop

    current = shop()
    if current is None or current.fiscal_mode is not FiscalMode.EXEMPT:
        return []
    return [c for c in (categories() if among is None else among) if c.fiscal_from_first_sale]


def on_the_floor_off_the_till() -> tuple[int, list[Category]]:
    """Pieces on the floor that the till will refuse (see ``kept_off_the_till``), and their categories."""
    kept_off = kept_off_the_till()
    if not kept_off:
        return 0, []
    on_floor = (Item.status == IN_STOCK_SQL, Item.category_id.in_([c.id for c in kept_off]))
    # Unique pieces counted from the stock index alone (a five-year shop has tens of thousands on the
    # floor); only the few bulk lots are read for their quantity.
    unique = db.session.scalar(select(func.count()).select_from(Item).where(*on_floor, Item.kind == ItemKind.UNIQUE))
    bulk = db.session.scalar(select(func.coalesce(func.sum(Item.quantity_on_hand), 0))
                             .where(*on_floor, Item.kind == ItemKind.BULK))
    return int(unique or 0) + int(bulk or 0), kept_off


def off_the_till_message(category: Category) -> str:
    """What intake says about such a category, with what the manager can do."""
    from flask_babel import gettext

    return gettext("%(category)s must be on a fiscal receipt from the first sale, and this shop prints non-fiscal "
                   "receipts: the till will not sell it. A manager can set up a fiscal printer (Settings → "
                   "Receipts), or the shop does not take such goods in.", category=f"„{category.name}”")


def save_category(cat: Category | None, *, name, default_price, vat_code, active=True, by, fiscal_name=None,
                  fiscal_from_first_sale=None) -> Category:
    """Add or change a category (name, default price, VAT code, its name on fiscal receipts)."""
    name = validation.text(name, field="name", max_len=60)
    if fiscal_name is not None:
        fiscal_name = validation.text(fiscal_name, field="fiscal_name", max_len=40, required=False)
    price = validation.money(default_price, field="default_price", allow_zero=True)
    vat_code = _vat(vat_code)
    clash = db.session.scalar(select(Category).where(func.lower(Category.name) == name.lower()))
    if clash is not None and clash is not cat:
        raise InvalidInput(_l("A category with this name exists."), field="name")
    if cat is None:
        position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
        cat = Category(name=name, default_price_minor=price, vat_code=vat_code, position=position,
                       fiscal_name=fiscal_name or "", fiscal_from_first_sale=bool(fiscal_from_first_sale))
        db.session.add(cat)
        db.session.flush()
        audit.record("category.create", user_id=by.id, obj=cat)
    else:
        changes = {k: [getattr(cat, k), v] for k, v in
                   (("name", name), ("default_price_minor", price), ("vat_code", vat_code), ("active", active))
                   if getattr(cat, k) != v}
        if "vat_code" in changes and (fiscal_name is None or fiscal_name == cat.fiscal_name) and _registered_at(cat):
            # The fiscal printer binds a name of goods to the rate it was first sold at and refuses it at
            # another (error 2106, "locked"): the category gets a name of its own for the new rate.
            fiscal_name = name_for_rate(cat, vat_code)
        cat.name, cat.default_price_minor, cat.vat_code, cat.active = name, price, vat_code, active
        fiscal = {"fiscal_name": fiscal_name,
                  "fiscal_from_first_sale": None if fiscal_from_first_sale is None else bool(fiscal_from_first_sale)}
        for key, value in fiscal.items():
            if value is not None and getattr(cat, key) != value:
                changes[key] = [getattr(cat, key), value]
                setattr(cat, key, value)
        if changes:
            audit.record("category.update", user_id=by.id, obj=cat, changes=changes)
    return cat


def _registered_at(cat: Category) -> bool:
    """Whether a fiscal receipt was printed with this category's goods on it (asked of the fiscal area,
    which listens: ``core.events.category_on_fiscal_receipts``)."""
    from ..core import events

    return any(events.answers(events.category_on_fiscal_receipts, category_id=cat.id))


_RATE_SUFFIX = re.compile(r"\s*\((?:\d{1,2}%|zw)\)$")


def name_for_rate(cat: Category, vat_code: str) -> str:
    """The category's fiscal name for a VAT rate: its name without an earlier rate's mark, with this one's."""
    from .fiscal_names import NAME_MAX, clean, fiscal_name

    label = "zw" if vat_code == "zw" else f"{vat_code}%"
    base = _RATE_SUFFIX.sub("", fiscal_name(cat))[:NAME_MAX - len(label) - 3].rstrip()
    return clean(f"{base} ({label})", NAME_MAX)


def create_item(*, description, category_id, price, kind: ItemKind = ItemKind.UNIQUE,
                quantity=1, by) -> Item:
    """Add a donated item (or a bulk lot) and give it its in-store EAN-13 code at once."""
    description = validation.text(description, field="description", max_len=200)
    cat = category(category_id)
    price_minor = validation.money(price, field="price")
    qty = validation.quantity(quantity, maximum=9999) if kind is ItemKind.BULK else 1
    item = Item(code=ean13(next_value("item_code")), kind=kind, category_id=cat.id, price_minor=price_minor,
                quantity_on_hand=qty, received_quantity=qty, received_price_minor=price_minor)
    item.set_description(description)
    db.session.add(item)
    db.session.flush()
    return item


def update_item(item: Item, *, description, category_id, price, reason, by, add_quantity=0) -> None:
    """Change an item's text or category, and its price with a reason kept in its history."""
    description = validation.text(description, field="description", max_len=200)
    cat = category(category_id)
    price_minor = validation.money(price, field="price")
    if item.status in (ItemStatus.SOLD, ItemStatus.WRITTEN_OFF) and item.kind is ItemKind.UNIQUE:
        raise InvalidInput(_l("A sold or written-off item cannot be changed."))
    if price_minor != item.price_minor:
        reason = validation.text(reason, field="reason", max_len=200)
        db.session.add(PriceChange(item_id=item.id, old_price_minor=item.price_minor,
                                   new_price_minor=price_minor, user_id=by.id, reason=reason))
        audit.record("item.price_change", user_id=by.id, obj=item, reason=reason,
                     old=item.price_minor, new=price_minor)
        item.price_minor = price_minor
    item.set_description(description)
    item.category_id = cat.id
    if add_quantity:
        if item.kind is not ItemKind.BULK:
            raise InvalidInput(_l("Only bulk stock has a quantity."), field="add_quantity")
        item.quantity_on_hand += validation.quantity(add_quantity, field="add_quantity", maximum=9999)
        audit.record("item.restock", user_id=by.id, obj=item, added=add_quantity)


def item(item_id: int) -> Item:
    found = db.session.get(Item, item_id)
    if found is None:
        raise NotFound(_l("Unknown item."))
    return found


def by_code(code: str) -> Item:
    """The item with this scanned or typed code."""
    code = (code or "").strip()
    found = db.session.scalar(select(Item).where(Item.code == code)) if code.isdigit() and len(code) <= 13 else None
    if found is None:
        raise NotFound(_l("No item has the code %(code)s."), code=code[:20], field="code")
    return found


def _matching(query, words: str):
    """Narrow a query to items whose code starts with, or description contains every one of, the words."""
    if words.isdigit():
        return query.where(Item.code.startswith(words))
    for word in fold(words).split()[:5]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Item.search_text.like(f"%{escaped}%", escape="\\"))
    return query


def search(words: str, *, limit: int = SEARCH_LIMIT) -> list[Item]:
    """Items on sale whose code starts with, or description contains, every typed word."""
    words = (words or "").strip()[:100]
    if not words:
        return []
    query = _matching(select(Item).where(Item.status == IN_STOCK_SQL), words)
    return list(db.session.scalars(query.order_by(Item.id.desc()).limit(limit)))


def list_items(*, words: str = "", page: int = 1, per_page: int = 50):
    """The manager's item list, newest first, optionally filtered by words or code."""
    query = select(Item).order_by(Item.id.desc())
    words = (words or "").strip()[:100]
    if words:
        query = _matching(query, words)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def price_history(item_id: int) -> list[PriceChange]:
    return list(db.session.scalars(
        select(PriceChange).where(PriceChange.item_id == item_id).order_by(PriceChange.id.desc())
    ))
