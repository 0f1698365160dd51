"""What the fiscal area answers when others announce or ask (``core.events``): at the day's close, sales
still waiting for their fiscal receipt keep the day open, and the device's daily report is printed once
while the day closes (``service.daily_report``: marked before it prints, read back, never printed
twice); for the catalogue, whether a category's goods are on fiscal receipts already."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..core.errors import DomainError
from . import service
from .device import FiscalError


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
