"""Receipts, labels and reports on the ESC/POS printer, through a print queue that never costs a sale."""
from flask import Blueprint

bp = Blueprint("printing", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
