"""``/api/v1``: the JSON endpoints the till page uses, described by an OpenAPI 3 document."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import views  # noqa: E402,F401
