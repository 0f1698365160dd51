"""The till: baskets kept on the server, lines, discounts, payments, completion, voids, refunds."""
from flask import Blueprint

#: The till's URLs and templates; its pages live in ``lukluk_pos.counter`` (they bring the till together with
#: the drawer, the printer and the fiscal device, which the till itself does not import).
bp = Blueprint("till", __name__, template_folder="templates")
