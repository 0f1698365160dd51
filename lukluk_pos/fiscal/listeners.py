"""What the fiscal area answers when others announce or ask (``core.events``): at the day's close, sales
still waiting for their fiscal receipt keep the day open, and the device's daily report is printed once
while the day closes (``service.daily_report``: marked before it prints, read back, never printed
twice); a completed sale is registered (fiscal-printer mode) and a refund written into the returns or
corrections register; for the catalogue, whether a category's goods are on fiscal receipts already."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..core import web
from ..core.errors import DomainError
from . import service
from .device import FiscalError


def register_sale(_sender, *, sale, **_details) -> None:
    """Listening to the till (``core.events.sale_completed``), in fiscal-printer mode: the sale is committed
    with its registration, then the device prints its receipt (``service.sell``; asked again, the
    registration decides, so nothing prints twice). A device's refusal or silence is kept on the
    registration with its reason, and the till shows it with "Try again": it never undoes the sale."""
    if not service.printer_mode(web.shop() if has_request_context() else None):  # the request's cached row
        return
    try:
        service.sell(sale)
    except FiscalError:
        pass


def register_refund(_sender, *, refund, register=None, buyer_name=None, **_details):
    """Listening to the till (``core.events.sale_refunded``), in fiscal-printer mode: the refund's entry in
    the returns or corrections register (``service.record_refund``; the same entry when asked again). A
    refusal (no buyer's name for a return, the sale's own receipt not printed yet) undoes the refund."""
    return service.record_refund(refund, kind=register, buyer_name=buyer_name)


def waiting_sales(_sender, *, day) -> list[str]:
    """Fiscal-printer mode: sales still waiting for their fiscal receipt keep the day open."""
    if not service.printer_mode():
        return []
    count = len(service.waiting(day))
    return [ngettext("%(num)d sale is still waiting for its fiscal receipt: print it, settle it or void it "
                     "under Sales waiting for a fiscal receipt.",
                     "%(num)d sales are still waiting for their fiscal receipt: print them, settle them or void "
                     "them under Sales waiting for a fiscal receipt.", count)] if count else []


def daily_report_at_close(_sender, *, day, blockers) -> dict | None:
    """Check nothing keeps the day open, then print the device's daily report (once) and read it back for
    the Z report. The check is made again holding the device, so no sale slips in between."""
    if not service.printer_mode():
        return None
    problems = blockers()
    if problems:
        raise DomainError(" ".join(problems))
    try:
        return service.daily_report(day, blockers=blockers)
    except FiscalError as exc:
        raise DomainError(_l("The fiscal printer did not print the daily report: %(error)s", error=exc.describe())) \
            from exc


def category_on_fiscal_receipts(_sender, *, category_id: int) -> bool:
    """Whether a fiscal receipt was printed with this category's goods on it."""
    from sqlalchemy import select

    from ..extensions import db
    from ..till.models import SaleLine
    from .models import FiscalRegistration, RegistrationStatus

    return db.session.scalar(
        select(SaleLine.id).join(FiscalRegistration, FiscalRegistration.sale_id == SaleLine.sale_id)
        .where(SaleLine.category_id == category_id, FiscalRegistration.status == RegistrationStatus.REGISTERED)
        .limit(1)) is not None
