"""The drawer and the day: till sessions, cash movements, the blind count and closing the day."""
from flask import Blueprint

bp = Blueprint("cash", __name__, template_folder="templates", url_prefix="/cash")

from . import views  # noqa: E402,F401
