"""Donated goods coming in: batches, donors with consent, fast pricing, labels and stock rotation."""
from flask import Blueprint

bp = Blueprint("intake", __name__, template_folder="templates", url_prefix="/intake")

from . import views  # noqa: E402,F401
