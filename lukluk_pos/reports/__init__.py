"""Reports: the day's figures and Z report, exports and the journal for the cooperative's accounts."""
from datetime import date

from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/reports")



@bp.app_template_filter("report_cell")
def report_cell(value):
    """A report table's cell as the person reads it: money in złoty, decimals with the locale's mark."""
    from flask_babel import format_decimal

    from ..core.money import format_money
    from ..core.web import format_day
    from .exports import Money

    if isinstance(value, Money):
        return format_money(int(value))
    if isinstance(value, float):
        return format_decimal(value, format="#,##0.0")
    if isinstance(value, date):
        return format_day(value)
    return value


from . import views  # noqa: E402,F401
