"""What happened, announced: an area says it once, and the areas above it that care listen (blinker, as
Flask itself does). The ground floor holds the signals, so the one who speaks never imports the ones who
listen. Listeners are connected when the app is created (``lukluk_pos.create_app``); the table of who
sends and who listens is in ``docs/architecture.md``.

A listener's answer is the signal's ``send`` result, read in the order the listeners were connected; a
listener that must stop what is being done raises ``DomainError`` and the sender shows it.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Asked by ``cash`` when a day's close is shown or tried: ``day``. Each listener answers a list of
#: sentences that keep the day open (fiscal: sales still waiting for their fiscal receipt).
day_close_blockers = _signals.signal("day-close-blockers")

#: Sent by ``cash`` while a day closes, before its Z report is written: ``day`` and ``blockers`` (a
#: callable: every sentence that keeps the day open, asked again when the listener holds its device).
#: A listener answers the figures the Z report keeps of it (fiscal: the device's daily report, printed
#: once), or None; raising ``DomainError`` stops the close.
day_closing = _signals.signal("day-closing")

#: Sent by ``cash`` after a day's close is committed: ``report`` (the ZReport) and ``user_id``. Printing
#: queues the Z report; the stock figures the long reports read are refreshed. None may undo the close.
day_closed = _signals.signal("day-closed")

#: Asked by ``cash`` when it shows where the Z report goes: a listener answers "preview" (no receipt
#: printer: the report is on the page) or "printer".
z_report_goes_to = _signals.signal("z-report-goes-to")


def answers(signal, **kwargs) -> list:
    """The listeners' answers to ``signal``, in the order they were connected, Nones left out."""
    return [answer for _receiver, answer in signal.send(None, **kwargs) if answer is not None]

#: Asked by ``catalog`` before a category's VAT rate changes: ``category_id``. The fiscal area answers True
#: when a fiscal receipt was printed with the category's goods (the device has bound its name to the old
#: rate, so the category gets a name of its own for the new one).
category_on_fiscal_receipts = _signals.signal("category-on-fiscal-receipts")

#: Sent by ``auth`` when the admin changes the receipts mode, after the shop's row is written (and so
#: locked): ``mode``. A listener raises ``DomainError`` to refuse it (the till: exempt mode while an open
#: basket holds goods that must be on a fiscal receipt from the first sale).
receipts_mode_changed = _signals.signal("receipts-mode-changed")

#: Asked by the fiscal area for the exemption's limit: ``start``, ``end``. The invoicing area answers the
#: sales of the period invoiced to a business buyer, less their refunds (they are outside the limit).
invoiced_to_businesses = _signals.signal("invoiced-to-businesses")

#: Asked by the till before it writes a sale, a void or a refund: ``till_id``. The drawer (``cash``) answers
#: the till's open session, locked against the day's close while the sale is written into it (the sale
#: takes its id and business day), or raises ``TillNotOpen`` with the reason (no float counted, day closed).
session_for_sale = _signals.signal("session-for-sale")

#: Sent by the till when a refund is written, in its transaction (a refund asked again with its key is not
#: sent again): ``refund`` (the refund's Sale) and ``user_id``. Invoicing documents an invoiced sale's
#: refund with a correcting invoice.
sale_refunded = _signals.signal("sale-refunded")
