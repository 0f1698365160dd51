"""What happened, announced: an area says it once, and the areas above it that care listen (blinker, as
Flask itself does). The ground floor holds the signals, so the one who speaks never imports the ones who
listen. Listeners are connected when the app is created (``lukluk_pos.create_app``); the table of who
sends and who listens is in ``docs/architecture.md``.

A listener's answer is the signal's ``send`` result, read in the order the listeners were connected; a
listener that must stop what is being done raises ``DomainError`` and the sender shows it.
"""
from __future__ import annotations

import functools

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

#: Sent by the till when a sale is completed, last in its work and in its transaction: ``sale``,
#: ``user_id``, ``fresh`` (this request completed it; False when the same key is asked again and finds
#: it done — the listeners answer again, each of them idempotent) and ``training``. The fiscal area
#: registers it (fiscal-printer mode: it commits the sale with its registration, then the device prints;
#: a device's fault is kept on the registration, never raised); printing queues its receipt (other
#: modes). Nothing real listens to a training sale (``real``).
sale_completed = _signals.signal("sale-completed")

#: Sent by the till when a refund is written or asked again with its key, in the refund's transaction:
#: ``refund`` (the refund's Sale), ``user_id``, ``fresh``, ``training`` and what the person said for the
#: paperwork: ``register`` (fiscal-printer mode: "return" or "correction") and ``buyer_name``. Invoicing
#: writes the correcting invoice of an invoiced sale (when fresh); the fiscal area writes the returns or
#: corrections register's entry; printing queues the refund's receipt (not in fiscal-printer mode).
sale_refunded = _signals.signal("sale-refunded")

#: Sent by the till when an open basket is voided (at the till or by a manager from the back office), in
#: its transaction: ``sale``, ``user_id`` and ``training``. Nothing outside the till acts on it today: the
#: basket's items were released in the same transaction and no receipt, registration or invoice exists.
sale_voided = _signals.signal("sale-voided")


def training() -> bool:
    """Whether the request at hand works in training (#30): set by the area that starts training on the
    request's ``g``; False outside a request."""
    from flask import g, has_app_context

    return bool(has_app_context() and g.get("lukluk_training", False))


@functools.cache  # one wrapper per listener: connecting it again (another app) changes nothing
def real(listener):
    """``listener`` for real work only: an announcement made in training (``training=True``) is not
    heard by it, so a training sale cannot reach the fiscal device, an invoice or the shop's receipts."""

    @functools.wraps(listener)
    def hearing(sender, **kwargs):
        if kwargs.get("training"):
            return None
        return listener(sender, **kwargs)

    return hearing
