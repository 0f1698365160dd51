"""Categories, items (unique donated pieces and bulk price-point stock), codes and price changes."""
from flask import Blueprint

bp = Blueprint("catalog", __name__, template_folder="templates", url_prefix="/manage")

from . import views  # noqa: E402,F401
