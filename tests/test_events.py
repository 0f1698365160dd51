"""The till announces sales, refunds and voids; the areas above listen, and nothing real hears a training
sale (the ground #30's training mode stands on)."""
import weakref
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import func, select

from lukluk_pos.auth.models import User
from lukluk_pos.core import events
from lukluk_pos.core.models import FiscalMode, Shop
from lukluk_pos.extensions import db
from lukluk_pos.fiscal.emulator import FILE_NAME, EmulatedPrinter
from lukluk_pos.fiscal.models import FiscalRegisterEntry, FiscalRegistration
from lukluk_pos.printing.models import JobKind, PrintJob
from lukluk_pos.till import refunds
from lukluk_pos.till import service as till
from lukluk_pos.till.models import PaymentMethod

TILL = 1


def _person(name):
    return db.session.scalar(select(User).where(User.name == name))


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_every_listener_to_a_sale_is_deaf_to_training(app):
    # Who listens to a sale, a refund or a void acts on the real shop (fiscal device, invoices, receipts):
    # each is connected through events.real, so a training announcement reaches none of them.
    for signal in (events.sale_completed, events.sale_refunded, events.sale_voided):
        for receiver in signal.receivers.values():
            listener = receiver() if isinstance(receiver, weakref.ref) else receiver
            assert getattr(listener, "__wrapped__", None) is not None, (signal.name, listener)
            assert events.real(listener.__wrapped__) is listener, (signal.name, listener)
    assert [r.__wrapped__.__name__ for r in events.sale_completed.receivers.values()] == \
        ["register_sale", "receipt_for_sale"]
    assert [r.__wrapped__.__name__ for r in events.sale_refunded.receivers.values()] == \
        ["correct_refund", "register_refund", "receipt_for_refund"]


def test_real_passes_real_work_and_drops_training():
    heard = []

    def listener(_sender, **kw):
        heard.append(kw)
        return "done"

    wrapped = events.real(listener)
    assert events.real(listener) is wrapped  # connecting it again (another app) is the same receiver
    assert wrapped(None, sale=1, training=True) is None and heard == []
    assert wrapped(None, sale=1, training=False) == "done" and heard == [{"sale": 1, "training": False}]


@pytest.mark.parametrize("mode", [FiscalMode.PRINTER, FiscalMode.EXEMPT])
def test_a_training_sale_and_refund_reach_no_device_register_or_receipt(app, shop, make_item, mode):
    with app.test_request_context():
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = mode, "emulator"
        db.session.commit()
        ania, marek = _person("Ania"), _person("Marek")
        emulator = EmulatedPrinter(Path(app.instance_path) / FILE_NAME)

        def sell_and_refund(key):
            till.add_code(TILL, ania, make_item()["code"])
            sale = till.complete(TILL, ania, key=f"sale-{key}", payments=[till.PaymentIn(PaymentMethod.CARD)])
            db.session.commit()
            refunds.refund(user=marek, till_id=TILL, sale_id=sale.id, method=PaymentMethod.CARD, reason="Za mała",
                           approval=None, key=f"refund-{key}", register="correction",
                           lines=[refunds.RefundLineIn(sale.lines[0].id, 1)])
            db.session.commit()

        g.lukluk_training = True
        sell_and_refund("training-01")
        assert _count(FiscalRegistration) == 0 and _count(FiscalRegisterEntry) == 0
        assert _count(PrintJob, PrintJob.kind == JobKind.RECEIPT) == 0
        assert not emulator.memory().get("journal")

        g.lukluk_training = False  # the same actions for real: each area hears them
        sell_and_refund("real-0001")
        if mode is FiscalMode.PRINTER:
            assert _count(FiscalRegistration) == 1 and _count(FiscalRegisterEntry) == 1
            assert len(emulator.memory()["journal"]) == 1
            assert _count(PrintJob, PrintJob.kind == JobKind.RECEIPT) == 0
        else:
            assert _count(FiscalRegistration) == 0 and _count(FiscalRegisterEntry) == 0
            assert _count(PrintJob, PrintJob.kind == JobKind.RECEIPT) == 2  # the sale's and the refund's


def test_a_void_is_announced_with_its_basket(app, shop, make_item):
    heard = []
    with app.test_request_context():
        ania = _person("Ania")
        till.add_code(TILL, ania, make_item()["code"])
        with events.sale_voided.connected_to(lambda _s, **kw: heard.append((kw["sale"].id, kw["user_id"],
                                                                            kw["training"]))):
            voided = till.void(TILL, ania, "Klient zrezygnował")
    assert heard == [(voided.id, ania.id, False)]
