"""Users, roles, PIN and password sign-in, lockout and switching person at the till."""
from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from . import views  # noqa: E402,F401  (registers routes)
