"""The manager's stock review: the stock list, aging, write-offs and stock takes."""
from flask import Blueprint

bp = Blueprint("stock", __name__, template_folder="templates", url_prefix="/stock")

from . import views  # noqa: E402,F401
