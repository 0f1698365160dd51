"""Invoices on request: the buyer register, invoices and corrections, FA(3) XML, PDF, KSeF."""
from flask import Blueprint

bp = Blueprint("invoicing", __name__, template_folder="templates")

from . import views  # noqa: E402,F401
