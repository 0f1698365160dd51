"""Taking in donations: batches, pricing from the guide, the label queue, rotation and pulls."""
from __future__ import annotations

import statistics
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from ..auth.models import User
from ..catalog import service as catalog
from ..catalog.codes import is_valid_ean13
from ..catalog.models import Category, Item, ItemKind, ItemStatus, PriceChange
from ..core import audit, validation
from ..core.errors import InvalidInput, NotFound
from ..core.models import Shop, utcnow
from ..extensions import db
from ..till.models import Sale, SaleKind, SaleLine, SaleStatus
from .models import (
    CONDITION_PERCENT,
    Condition,
    Destination,
    DonationBatch,
    Donor,
    GiftConfirmation,
    ItemRemoval,
    PriceGuide,
    RotationRule,
    Source,
)

#: Monday of a week long ago: intake weeks are counted from here, so the colour cycle runs on
#: across New Year without a jump.
WEEK_ZERO = date(2001, 1, 1)
#: How many recent sales of similar items make their median worth taking into the suggestion.
MEDIAN_SAMPLE = 5
DEFAULT_RULE = (3, 30, 6)


class OutsideGuide(InvalidInput):
    code = "outside_guide"


# --- tag colours --------------------------------------------------------------------------------

def colours() -> list[str]:
    shop = db.session.scalar(select(Shop).limit(1))
    names = [c.strip() for c in (shop.tag_colours if shop else "").split(",") if c.strip()]
    return names or ["niebieski"]


def week_colour(day: date) -> str:
    """The tag colour of the intake week that ``day`` falls in."""
    cycle = colours()
    return cycle[((day - WEEK_ZERO).days // 7) % len(cycle)]


def set_colours(text, *, by: User) -> None:
    names = [c.strip() for c in (text or "").split(",") if c.strip()]
    if not 2 <= len(names) <= 12 or any(len(n) > 20 for n in names):
        raise InvalidInput(_l("Give 2 to 12 colour names separated by commas."), field="tag_colours")
    shop = db.session.scalar(select(Shop).limit(1))
    shop.tag_colours = ",".join(names)
    audit.record("rotation.colours", user_id=by.id, obj=shop, colours=names)


# --- batches and donors -------------------------------------------------------------------------

def create_batch(*, by: User, source: str, notes="", donor_name="", donor_contact="", consent=False,
                 consent_purpose="", today: date | None = None) -> DonationBatch:
    """Record a donation; a donor's name and contact are kept only with their recorded consent."""
    try:
        source_value = Source(source)
    except ValueError:
        raise InvalidInput(_l("Choose where the donation came from."), field="source") from None
    notes = validation.text(notes, field="notes", max_len=1000, required=False)
    donor_name = validation.text(donor_name, field="donor_name", max_len=120, required=False)
    donor_contact = validation.text(donor_contact, field="donor_contact", max_len=200, required=False)
    donor = None
    if donor_name or donor_contact:
        if not consent:
            raise InvalidInput(_l("Without the donor's consent their name and contact are not kept."),
                               field="consent")
        purpose = validation.text(consent_purpose, field="consent_purpose", max_len=200)
        donor = Donor(name=donor_name, contact=donor_contact, consent_purpose=purpose)
        db.session.add(donor)
    received = datetime.combine(today, time(12)) if today else utcnow()
    batch = DonationBatch(received_by_id=by.id, source=source_value, notes=notes, donor=donor,
                          received_at=received, tag_colour=week_colour(received.date()))
    db.session.add(batch)
    db.session.flush()
    return batch


#: What the shop states on a gift confirmation (a legal document: always in Polish).
GIFT_STATEMENT = ("{shop} potwierdza nieodpłatne przyjęcie w darowiźnie towarów wymienionych poniżej. Zostaną one "
                  "sprzedane w sklepie, a dochód przeznaczony na cele statutowe spółdzielni.")
#: The purpose, in the words of art. 4 ust. 1 of the public-benefit act (the cooperative's spheres).
GIFT_PURPOSE = ("Cel darowizny: działalność pożytku publicznego w sferze integracji i reintegracji zawodowej i "
                "społecznej osób zagrożonych wykluczeniem społecznym oraz działalności na rzecz osób "
                "niepełnosprawnych (art. 4 ust. 1 ustawy z dnia 24 kwietnia 2003 r. o działalności pożytku "
                "publicznego i o wolontariacie).")
GIFT_VALUE_NOTE = ("Wartość ustalona według cennika sklepu w dniu przyjęcia darowizny (ceny sprzedaży podobnych "
                   "towarów), dla ilości przyjętych.")


def gift_confirmation(found: DonationBatch, *, donor_name, with_value: bool, by: User, donor_address=None,
                      donor_nip=None) -> dict:
    """A confirmation of the gift for the donor who asks. Issued once: the first issue fixes what it says
    (the donor as typed, the goods with their quantities and values as accepted) and every later print
    reads that, identical. The donor's details are kept on the donation (their request is the purpose)."""
    issued = db.session.scalar(select(GiftConfirmation).where(GiftConfirmation.batch_id == found.id))
    if issued is None:
        donor_name = validation.text(donor_name, field="donor_name", max_len=120, required=False)
        if not donor_name:
            raise InvalidInput(_l("Type the donor's name for the confirmation."), field="donor_name")
        address = validation.text(donor_address, field="donor_address", max_len=200, required=False)
        if not address:
            raise InvalidInput(_l("Type the donor's address for the confirmation."), field="donor_address")
        nip_text = validation.text(donor_nip, field="donor_nip", max_len=20, required=False)
        nip = validation.nip(nip_text, field="donor_nip") if nip_text else ""
        if found.donor is None or found.donor.erased_at is not None:
            found.donor = Donor(name=donor_name, contact="", consent_purpose="Potwierdzenie przyjęcia darowizny")
            db.session.add(found.donor)
        found.donor.name, found.donor.address, found.donor.nip = donor_name, address, nip
        db.session.flush()
        issued = GiftConfirmation(batch_id=found.id, data=_gift_snapshot(found), issued_by_id=by.id)
        db.session.add(issued)
        db.session.flush()
    data = _gift_view(issued, with_value=with_value)
    audit.record("intake.gift_confirmation", user_id=by.id, obj=found, with_value=with_value, items=len(data["lines"]))
    return data


def issued_confirmation(found: DonationBatch) -> GiftConfirmation | None:
    return db.session.scalar(select(GiftConfirmation).where(GiftConfirmation.batch_id == found.id))


def gift_data(found: DonationBatch, donor_name: str = "", *, with_value: bool) -> dict | None:
    """What the donation's confirmation says, as first issued (None before it was)."""
    issued = issued_confirmation(found)
    return _gift_view(issued, with_value=with_value) if issued is not None else None


def _gift_view(issued: GiftConfirmation, *, with_value: bool) -> dict:
    data = dict(issued.data)
    data["received"] = datetime.fromisoformat(data["received"])
    data["with_value"] = with_value
    return data


def _received(item: Item) -> tuple[int, int]:
    """Pieces and unit price as taken in; for items from before these were kept, the pieces are worked
    out from what is on hand plus what was sold less refunded, and the price is the one before the first
    recorded price change."""
    if item.received_quantity is not None and item.received_price_minor is not None:
        return item.received_quantity, item.received_price_minor
    first = db.session.scalar(select(PriceChange.old_price_minor).where(PriceChange.item_id == item.id)
                              .order_by(PriceChange.created_at, PriceChange.id).limit(1))
    price = first if first is not None else item.price_minor
    if item.kind is not ItemKind.BULK:
        return 1, price
    rows = dict(db.session.execute(
        select(Sale.kind, func.coalesce(func.sum(SaleLine.quantity), 0)).join(Sale, Sale.id == SaleLine.sale_id)
        .where(SaleLine.item_id == item.id, Sale.status == SaleStatus.COMPLETED).group_by(Sale.kind)).all())
    return item.quantity_on_hand + int(rows.get(SaleKind.SALE, 0)) - int(rows.get(SaleKind.REFUND, 0)), price


def _gift_snapshot(found: DonationBatch) -> dict:
    shop = db.session.scalar(select(Shop).limit(1))
    lines = []
    for item in batch_items(found.id):
        quantity, price = _received(item)
        lines.append({"description": item.description, "quantity": quantity, "price_minor": price})
    donor = found.donor
    return {"shop": shop.name, "shop_address": shop.address, "shop_nip": shop.nip, "shop_krs": shop.krs,
            "batch": found.id, "received": found.received_at.isoformat(), "donor": donor.name,
            "donor_address": donor.address, "donor_nip": donor.nip, "lines": lines,
            "value_minor": sum(line["quantity"] * line["price_minor"] for line in lines),
            "statement": GIFT_STATEMENT.format(shop=shop.name), "purpose": GIFT_PURPOSE,
            "value_note": GIFT_VALUE_NOTE, "received_by": found.received_by.name}


def batch(batch_id: int) -> DonationBatch:
    found = db.session.get(DonationBatch, batch_id)
    if found is None:
        raise NotFound(_l("Unknown donation."))
    return found


def batches(limit: int = 50) -> list[DonationBatch]:
    return list(db.session.scalars(select(DonationBatch).order_by(DonationBatch.id.desc()).limit(limit)))


def batch_items(batch_id: int) -> list[Item]:
    return list(db.session.scalars(select(Item).where(Item.batch_id == batch_id).order_by(Item.id)))


def realised_minor(item_ids_query) -> int:
    """What items have brought in: completed sales of them less refunds of them."""
    rows = db.session.execute(
        select(Sale.kind, func.coalesce(func.sum(SaleLine.total_minor), 0))
        .join(Sale, Sale.id == SaleLine.sale_id)
        .where(SaleLine.item_id.in_(item_ids_query), Sale.status == SaleStatus.COMPLETED)
        .group_by(Sale.kind)
    ).all()
    totals = {kind: int(amount) for kind, amount in rows}
    return totals.get(SaleKind.SALE, 0) - totals.get(SaleKind.REFUND, 0)


def batch_summary(found: DonationBatch) -> dict:
    """Items, what they were priced at, and what has been realised so far."""
    ids = select(Item.id).where(Item.batch_id == found.id)
    items = batch_items(found.id)
    priced = sum(i.price_minor * (i.quantity_on_hand if i.kind is ItemKind.BULK else 1) for i in items)
    pieces = sum(i.quantity_on_hand if i.kind is ItemKind.BULK else 1 for i in items)
    sold = sum(1 for i in items if i.status is ItemStatus.SOLD)
    return {"items": len(items), "pieces": pieces, "priced_minor": priced, "sold": sold,
            "realised_minor": realised_minor(ids)}


def export_donor(donor: Donor) -> dict:
    """Everything kept about a donor (their right of access)."""
    gifts = db.session.scalars(select(DonationBatch).where(DonationBatch.donor_id == donor.id)).all()
    return {"name": donor.name, "contact": donor.contact, "consent_purpose": donor.consent_purpose,
            "consent_at": donor.consent_at.isoformat() + "Z",
            "donations": [{"id": b.id, "received_at": b.received_at.isoformat() + "Z",
                           "items": len(batch_items(b.id))} for b in gifts]}


def erase_donor(donor: Donor, *, by: User) -> None:
    """Forget a donor on request: name and contact go; the donations and their sales stay."""
    donor.name, donor.contact, donor.erased_at = "", "", utcnow()
    audit.record("donor.erase", user_id=by.id, obj=donor)


# --- pricing ------------------------------------------------------------------------------------

def guide(category: Category, condition: Condition) -> tuple[int, int, int]:
    """(typical, lowest, highest) for a category in a condition: the manager's guide, else derived."""
    row = db.session.scalar(select(PriceGuide).where(PriceGuide.category_id == category.id,
                                                     PriceGuide.condition == condition))
    if row is not None:
        return row.typical_minor, row.min_minor, row.max_minor
    typical = _round_price(category.default_price_minor * CONDITION_PERCENT[condition] // 100)
    return typical, max(100, typical // 3), typical * 4


def _round_price(minor: int) -> int:
    """Shop prices end in whole złoty, or 50 gr below 10 zł."""
    step = 50 if minor < 1000 else 100
    return max(step, (minor + step // 2) // step * step)


def suggest_price(category: Category, condition: Condition, *, today: date | None = None) -> int:
    """The guide's typical price, moved halfway toward the median actually paid for similar items
    (same category and condition, sold in the last 180 days) once there are enough of them."""
    typical, low, high = guide(category, condition)
    since = datetime.combine((today or utcnow().date()) - timedelta(days=180), time())
    paid = list(db.session.scalars(
        select(SaleLine.total_minor).join(Item, Item.id == SaleLine.item_id).join(Sale, Sale.id == SaleLine.sale_id)
        .where(Item.category_id == category.id, Item.condition == condition.value, Item.kind == ItemKind.UNIQUE,
               Sale.kind == SaleKind.SALE, Sale.status == SaleStatus.COMPLETED, Sale.completed_at >= since)
        .order_by(Sale.completed_at.desc()).limit(200)
    ))
    if len(paid) < MEDIAN_SAMPLE:
        return typical
    median = int(statistics.median(paid))
    return min(max(_round_price((typical + median) // 2), low), high)


def condition(value) -> Condition:
    try:
        return Condition(value)
    except ValueError:
        raise InvalidInput(_l("Choose the condition."), field="condition") from None


def add_item(found_batch: DonationBatch, *, by: User, category_id, condition_value, description, price,
             quantity=1, size="", brand="", colour="", code="", confirm=False) -> Item:
    """Price and save one donated item (or a lot of identical ones); it gets its code and joins the
    label queue at once. A price outside the guide needs ``confirm``."""
    cat = catalog.category(category_id)
    cond = condition(condition_value)
    description = validation.text(description, field="description", max_len=200)
    size = validation.text(size, field="size", max_len=20, required=False)
    brand = validation.text(brand, field="brand", max_len=60, required=False)
    colour = validation.text(colour, field="colour", max_len=40, required=False)
    price_minor = validation.money(price, field="price")
    quantity = validation.quantity(quantity, maximum=500)
    code = (code or "").strip()
    if code:
        if not is_valid_ean13(code):
            raise InvalidInput(_l("This is not a valid EAN-13 code."), field="code")
        if db.session.scalar(select(Item.id).where(Item.code == code)) is not None:
            raise InvalidInput(_l("An item with the code %(code)s already exists."), field="code", code=code)
    typical, low, high = guide(cat, cond)
    if not confirm and not low <= price_minor <= high:
        from ..core.money import format_money

        raise OutsideGuide(_l("%(price)s is outside the guide for this category (%(low)s – %(high)s). "
                              "Tick “the price is right” to keep it."), field="price",
                           price=format_money(price_minor), low=format_money(low), high=format_money(high))
    text = description if not size else f"{description}, rozm. {size}"
    item = catalog.create_item(description=text[:200], category_id=cat.id, price=price_minor,
                               kind=ItemKind.BULK if quantity > 1 else ItemKind.UNIQUE, quantity=quantity, by=by)
    if code:
        item.code = code
    item.batch_id, item.condition = found_batch.id, cond.value
    item.size, item.brand, item.colour = size, brand, colour
    item.tag_colour, item.label_pending = found_batch.tag_colour, True
    db.session.flush()
    return item


# --- labels -------------------------------------------------------------------------------------

def label_queue(*, batch_id: int | None = None) -> list[Item]:
    query = select(Item).where(Item.label_pending.is_(True)).order_by(Item.id)
    if batch_id is not None:
        query = query.where(Item.batch_id == batch_id)
    return list(db.session.scalars(query.limit(1000)))


def labels_printed(items: list[Item]) -> None:
    for item in items:
        item.label_pending = False


def label_count(item: Item) -> int:
    """One label per piece: a lot of five paperbacks gets five."""
    return item.quantity_on_hand if item.kind is ItemKind.BULK else 1


# --- rotation -----------------------------------------------------------------------------------

def rule_for(category_id: int, rules: dict | None = None) -> tuple[int, int, int]:
    """(markdown after weeks, markdown %, pull after weeks) for a category (``rules``: every rule by
    category id, when the caller asks for many categories)."""
    if rules is None:
        rules = {r.category_id: r for r in db.session.scalars(select(RotationRule))}
    rule = rules.get(category_id) or rules.get(None)
    if rule is None:
        return DEFAULT_RULE
    return rule.markdown_after_weeks, rule.markdown_percent, rule.pull_after_weeks


def save_rule(category_id: int | None, *, markdown_after_weeks, markdown_percent, pull_after_weeks, by: User) -> None:
    values = []
    for name, value, top in (("markdown_after_weeks", markdown_after_weeks, 52), ("markdown_percent", markdown_percent, 90),
                             ("pull_after_weeks", pull_after_weeks, 104)):
        if not isinstance(value, int) or not 1 <= value <= top:
            raise InvalidInput(_l("From 1 to %(max)d."), field=name, max=top)
        values.append(value)
    if values[2] <= values[0]:
        raise InvalidInput(_l("Pull only after the markdown."), field="pull_after_weeks")
    rule = db.session.scalar(select(RotationRule).where(RotationRule.category_id.is_(None) if category_id is None
                                                        else RotationRule.category_id == category_id))
    if rule is None:
        rule = RotationRule(category_id=category_id)
        db.session.add(rule)
    rule.markdown_after_weeks, rule.markdown_percent, rule.pull_after_weeks = values
    audit.record("rotation.rule", user_id=by.id, obj=rule, category_id=category_id, rule=values)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time())


def _due_dates(today: date | None) -> dict[int, tuple[datetime, datetime]]:
    """Per category: items taken in before the first date are due to be pulled, before the second
    due for their markdown (an item's week count starts on the Monday of its intake week)."""
    today = today or utcnow().date()
    this_monday = today - timedelta(days=today.weekday())
    rules = {r.category_id: r for r in db.session.scalars(select(RotationRule))}
    out = {}
    for category_id in db.session.scalars(select(Category.id).order_by(Category.position)):
        markdown_weeks, _percent, pull_weeks = rule_for(category_id, rules)
        out[category_id] = (_start_of(this_monday - timedelta(weeks=pull_weeks - 1)),
                            _start_of(this_monday - timedelta(weeks=markdown_weeks - 1)))
    return out


def _due_queries(today: date | None, what):
    """Per category: (the items due to be pulled, the items due for their markdown) as selects of ``what``."""
    for category_id, (pull_before, markdown_before) in _due_dates(today).items():
        on_floor = select(what).where(Item.category_id == category_id, Item.status == ItemStatus.IN_STOCK,
                                      Item.kind == ItemKind.UNIQUE)
        yield (on_floor.where(Item.created_at < pull_before),
               on_floor.where(Item.created_at < markdown_before, Item.created_at >= pull_before,
                              Item.marked_down_at.is_(None)))


def rotation_due(today: date | None = None) -> dict[str, list[Item]]:
    """Unique items on the floor due for their markdown, and due to be pulled, as of ``today``
    (an item's week count starts on the Monday of its intake week)."""
    due = {"markdown": [], "pull": []}
    for pull_query, markdown_query in _due_queries(today, Item):
        due["pull"] += db.session.scalars(pull_query.order_by(Item.id))
        due["markdown"] += db.session.scalars(markdown_query.order_by(Item.id))
    return due


def rotation_due_counts(today: date | None = None) -> dict[str, int]:
    """How many items ``rotation_due`` would list, counted in the database in one pass over the floor's
    unique items, each against its category's dates (the dashboard's figures: a five-year shop has
    ~20 000 of them; loading each row took most of the page, and a query per category half of what
    was left)."""
    dates = _due_dates(today)
    if not dates:
        return {"markdown": 0, "pull": 0}
    pull_before = case({category_id: pull for category_id, (pull, _markdown) in dates.items()}, value=Item.category_id)
    markdown_before = case({category_id: markdown for category_id, (_pull, markdown) in dates.items()},
                           value=Item.category_id)
    pull, markdown = db.session.execute(
        select(func.coalesce(func.sum(case((Item.created_at < pull_before, 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(Item.created_at < markdown_before, Item.created_at >= pull_before,
                                                 Item.marked_down_at.is_(None)), 1), else_=0)), 0))
        .where(Item.status == ItemStatus.IN_STOCK, Item.kind == ItemKind.UNIQUE)).one()
    return {"markdown": int(markdown), "pull": int(pull)}


def mark_down(item_ids: list[int], *, by: User) -> int:
    """Reduce each due item by its category's percentage, keep the price change, queue new labels."""
    count = 0
    for item in db.session.scalars(select(Item).where(Item.id.in_(item_ids), Item.status == ItemStatus.IN_STOCK,
                                                      Item.marked_down_at.is_(None))):
        _weeks, percent, _pull = rule_for(item.category_id)
        new_price = _round_price(item.price_minor * (100 - percent) // 100)
        if new_price < item.price_minor:
            db.session.add(PriceChange(item_id=item.id, old_price_minor=item.price_minor, new_price_minor=new_price,
                                       user_id=by.id, reason=f"Rotacja: −{percent} %"))
            item.price_minor = new_price
        item.marked_down_at, item.label_pending = utcnow(), True
        count += 1
    audit.record("rotation.markdown", user_id=by.id, count=count)
    return count


def pull(code: str, *, by: User, reason, destination) -> Item:
    """Take a scanned item off the floor for good, saying why and where it goes."""
    reason = validation.text(reason, field="reason", max_len=200)
    try:
        where = Destination(destination)
    except ValueError:
        raise InvalidInput(_l("Choose where it goes."), field="destination") from None
    item = catalog.by_code(code)
    if item.status is not ItemStatus.IN_STOCK:
        raise InvalidInput(_l("%(item)s is not on the floor."), field="code", item=item.description)
    item.status = ItemStatus.WRITTEN_OFF
    db.session.add(ItemRemoval(item_id=item.id, reason=reason, destination=where, user_id=by.id))
    audit.record("item.pull", user_id=by.id, obj=item, reason=reason, destination=where.value)
    return item
