"""The fiscal device: drivers, the rate map, fiscal names, each sale's registration, the daily report,
the returns and corrections registers."""
from flask import Blueprint

bp = Blueprint("fiscal", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
