"""The manager's plain pages for categories and items (the full intake flow comes later)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from ..core.access import Access, access
from ..core.errors import DomainError
from ..core.money import format_input
from ..core.validation import page_number
from ..core.web import show_on_form
from ..extensions import db
from . import bp, service
from .forms import CategoryForm, ItemEditForm, ItemForm
from .models import Category, ItemKind


@bp.get("/categories")
@access(Access.MANAGER)
def categories():
    """All categories with their typical price and VAT code."""
    return render_template("catalog/categories.html", categories=service.categories(include_inactive=True))


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@access(Access.MANAGER)
def edit_category(category_id: int | None = None):
    """Add or change a category."""
    cat = db.get_or_404(Category, category_id) if category_id else None
    form = CategoryForm()
    if request.method == "GET" and cat:
        form.name.data, form.vat_code.data, form.active.data = cat.name, cat.vat_code, cat.active
        form.fiscal_name.data, form.fiscal_from_first_sale.data = cat.fiscal_name, cat.fiscal_from_first_sale
        form.default_price.data = format_input(cat.default_price_minor)
    if form.validate_on_submit():
        before = (cat.vat_code, cat.fiscal_name) if cat else None
        try:
            saved = service.save_category(cat, name=form.name.data, default_price=form.default_price.data,
                                          vat_code=form.vat_code.data, active=form.active.data, by=g.user,
                                          fiscal_name=form.fiscal_name.data,
                                          fiscal_from_first_sale=form.fiscal_from_first_sale.data)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Saved."), "success")
            if before and before[0] != saved.vat_code and before[1] != saved.fiscal_name \
                    and saved.fiscal_name != (form.fiscal_name.data or ""):
                flash(_("The VAT rate changed. The fiscal printer binds each name of goods to one rate and refuses "
                        "it at another, so these goods are now called “%(name)s” on fiscal receipts.",
                        name=saved.fiscal_name), "info")
            return redirect(url_for("catalog.categories"))
    status = 422 if form.errors or request.method == "POST" else 200
    return render_template("catalog/category_form.html", form=form, category=cat), status


@bp.get("/items")
@access(Access.MANAGER)
def items():
    """Items, newest first, searchable by words or code."""
    words = request.args.get("q", "")
    page = request.args.get("page", 1, type=page_number)
    return render_template("catalog/items.html", page=service.list_items(words=words, page=page), q=words)


def _category_choices(form):
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in service.categories()]


@bp.route("/items/new", methods=["GET", "POST"])
@access(Access.MANAGER)
def new_item():
    """Add a donated item or a bulk lot; it gets its code at once."""
    form = ItemForm()
    _category_choices(form)
    if form.validate_on_submit():
        try:
            item = service.create_item(description=form.description.data, category_id=form.category_id.data,
                                       price=form.price.data, kind=ItemKind(form.kind.data),
                                       quantity=form.quantity.data or 1, by=g.user)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Saved with the code %(code)s.", code=item.code), "success")
            return redirect(url_for("catalog.item", item_id=item.id))
    status = 422 if request.method == "POST" else 200
    return render_template("catalog/item_form.html", form=form, item=None), status


@bp.route("/items/<int:item_id>", methods=["GET", "POST"])
@access(Access.MANAGER)
def item(item_id: int):
    """One item: change its text, category or price (the reason is kept), see its price history."""
    found = service.item(item_id)
    form = ItemEditForm()
    _category_choices(form)
    if request.method == "GET":
        form.description.data, form.category_id.data = found.description, found.category_id
        form.price.data = format_input(found.price_minor)
    if form.validate_on_submit():
        try:
            service.update_item(found, description=form.description.data, category_id=form.category_id.data,
                                price=form.price.data, reason=form.reason.data, by=g.user,
                                add_quantity=form.add_quantity.data or 0)
        except DomainError as exc:
            show_on_form(exc, form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("catalog.item", item_id=found.id))
    status = 422 if request.method == "POST" else 200
    return render_template("catalog/item_form.html", form=form, item=found,
                           history=service.price_history(found.id)), status
