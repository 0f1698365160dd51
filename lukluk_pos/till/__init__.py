"""The till: baskets kept on the server, lines, discounts, payments, completion, voids, refunds."""
from flask import Blueprint

bp = Blueprint("till", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
