"""Reports: the day's figures and Z report, exports and the journal for the cooperative's accounts."""
from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/reports")

from . import views  # noqa: E402,F401
