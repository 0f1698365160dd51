"""First start: create the shop, its first till and the first manager (with admin rights)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..catalog.models import Category
from ..catalog.standard import FISCAL, STANDARD_CATEGORIES
from ..core.errors import DomainError
from ..core.models import Shop, Till
from ..extensions import db
from . import service
from .models import Role, User


class AlreadySetUp(DomainError):
    status = 404
    code = "already_set_up"
    message = _l("The shop is already set up.")


def is_set_up() -> bool:
    return db.session.scalar(select(Shop.id).limit(1)) is not None


def set_up_shop(*, shop_name: str, address: str, nip: str, name: str, pin: str, password: str,
                standard_categories: bool) -> User:
    """Create the shop and its first person; refused once anyone exists (no default accounts)."""
    if is_set_up() or db.session.scalar(select(User.id).limit(1)) is not None:
        raise AlreadySetUp()
    db.session.add(Shop(name=shop_name.strip(), address=(address or "").strip(), nip=nip))
    db.session.add(Till(name="Kasa 1"))
    if standard_categories:
        for position, (cat_name, price, _guide) in enumerate(STANDARD_CATEGORIES, start=1):
            fiscal_name, first_sale = FISCAL.get(cat_name, ("", False))
            db.session.add(Category(name=cat_name, default_price_minor=price, position=position,
                                    fiscal_name=fiscal_name, fiscal_from_first_sale=first_sale))
    return service.create_user(name=name, role=Role.ADMIN, pin=pin, password=password, by=None)
