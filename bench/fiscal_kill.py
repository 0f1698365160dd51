"""Exactly once across SIGKILLs: the process registering a sale is killed between sending and confirming.

A fake Posnet printer runs in this process (tests/fake_posnet.py). Each round starts a fresh worker
process on the same SQLite file; the worker first settles whatever an earlier, killed worker left
(the till's "ask the device before anything else"), then completes a new fiscal sale and sends it. When
the fake printer receives that receipt's ``trend`` it SIGKILLs the worker — at random before printing,
or after printing and before answering — or lets it finish. At the end a last worker settles every
sale; then each completed sale must have exactly one fiscal receipt on the fake printer, carrying its
sale number, and its registration must hold that receipt's number.

    python -m bench.fiscal_kill --kills 200      # the full run (docs/performance.md)
    python -m bench.fiscal_kill --kills 12       # what the test suite runs
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKER = r"""
import sys
from config import Config
from lukluk_pos import create_app
from lukluk_pos.extensions import db

config = Config()
config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI = sys.argv[1], sys.argv[2]
config.FISCAL_PRINTER, config.FISCAL_TIMEOUT = sys.argv[3], 5.0
app = create_app(config)
with app.app_context(), app.test_request_context():
    from lukluk_pos.auth.models import User
    from lukluk_pos.fiscal import service as fiscal
    from lukluk_pos.fiscal.device import FiscalError
    from lukluk_pos.till import service as till
    from lukluk_pos.till.models import PaymentMethod

    for row in fiscal.waiting():  # settle what a killed worker left, before anything else
        try:
            fiscal.register(row.sale_id)
        except FiscalError as exc:
            print("still waiting", row.sale_id, exc, flush=True)
    if sys.argv[4] == "sell":
        ania = db.session.get(User, 2)
        till.add_open_price(1, ania, category_id=7, price=int(sys.argv[5]))
        sale = till.complete(1, ania, key=sys.argv[6], payments=[till.PaymentIn(PaymentMethod.CARD)])
        print("sale", sale.id, sale.number, flush=True)
        fiscal.sell(sale)
        print("registered", sale.id, flush=True)
"""


def _setup(instance: Path, url: str) -> None:
    from flask_migrate import upgrade

    from config import Config
    from lukluk_pos import create_app
    from lukluk_pos.auth import service as auth
    from lukluk_pos.auth.models import Role
    from lukluk_pos.auth.setup import set_up_shop
    from lukluk_pos.cash import service as cash
    from lukluk_pos.core.models import FiscalMode, Shop
    from lukluk_pos.extensions import db

    config = Config()
    config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI = str(instance), url
    config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST = 1, 8 * 1024
    app = create_app(config)
    with app.app_context():
        upgrade()
        magda = set_up_shop(shop_name="LukLuk", address="Sopot", nip="5851234568", name="Magda", pin="1234",
                            password="tajnehaslo1", standard_categories=True)
        auth.create_user(name="Ania", role=Role.VOLUNTEER, pin="1111", password=None, by=magda)
        shop = db.session.scalar(db.select(Shop))
        shop.fiscal_mode = FiscalMode.PRINTER
        cash.open_session(1, magda, counts={"10000": 2})
        db.session.commit()
        db.engine.dispose()


def run(kills: int, seed: int = 1, echo=print) -> dict:
    from tests.fake_posnet import FakePosnet

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder, FakePosnet() as device:
        instance = Path(folder) / "instance"
        url = f"sqlite:///{Path(folder) / 'lukluk.db'}"
        _setup(instance, url)
        plan = {"mode": None, "pid": None}
        killed = {"before": 0, "after": 0}
        original_trend = device._trend

        def trend(fields):
            mode, pid = plan["mode"], plan["pid"]
            if mode == "before" and pid:
                os.kill(pid, signal.SIGKILL)  # killed while the receipt is on its way: nothing printed
                killed["before"] += 1
                plan["mode"] = None
                return "drop"
            result = original_trend(fields)
            if mode == "after" and pid:
                os.kill(pid, signal.SIGKILL)  # printed, then killed before the answer came back
                killed["after"] += 1
                plan["mode"] = None
                return "drop"
            return result

        device._trend = trend
        sold = 0
        rounds = 0
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        start = time.monotonic()
        while killed["before"] + killed["after"] < kills:
            rounds += 1
            plan["mode"] = rng.choice(["before", "after", "after", None])
            worker = subprocess.Popen(
                [sys.executable, "-c", WORKER, str(instance), url, device.spec, "sell", str(rng.randint(100, 5000)),
                 f"kill-{seed}-{rounds:06d}"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            plan["pid"] = worker.pid
            out, err = worker.communicate(timeout=120)
            plan["pid"] = None
            if worker.returncode not in (0, -signal.SIGKILL):
                raise SystemExit(f"worker failed ({worker.returncode}):\n{out}\n{err}")
            sold += "sale " in out
            done = killed["before"] + killed["after"]
            if echo and (rounds % 10 == 0 or done >= kills):
                echo(f"\r  round {rounds}: {done}/{kills} SIGKILLs, {len(device.printed)} fiscal receipts",
                     end="", flush=True)
        final = subprocess.run([sys.executable, "-c", WORKER, str(instance), url, device.spec, "settle"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120)
        if final.returncode != 0:
            raise SystemExit(f"final worker failed:\n{final.stdout}\n{final.stderr}")
        if echo:
            echo()
        return _check(instance, url, device, killed, rounds, sold, time.monotonic() - start)


def _check(instance: Path, url: str, device, killed: dict, rounds: int, sold: int, seconds: float) -> dict:
    from config import Config
    from lukluk_pos import create_app
    from lukluk_pos.extensions import db
    from lukluk_pos.fiscal.models import FiscalRegistration, RegistrationStatus
    from lukluk_pos.till.models import Sale, SaleKind, SaleStatus

    config = Config()
    config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI = str(instance), url
    app = create_app(config)
    printed = {receipt["number"]: receipt for receipt in device.printed}
    with app.app_context():
        sales = list(db.session.scalars(db.select(Sale).where(Sale.kind == SaleKind.SALE,
                                                              Sale.status == SaleStatus.COMPLETED)))
        registrations = {r.sale_id: r for r in db.session.scalars(db.select(FiscalRegistration))}
        problems, claimed = [], []
        for sale in sales:
            row = registrations.get(sale.id)
            if row is None or row.status is not RegistrationStatus.REGISTERED:
                problems.append(f"sale {sale.number}: not registered ({row.status if row else 'no row'})")
                continue
            claimed.append(row.receipt_number)
            receipt = printed.get(row.receipt_number)
            # A receipt killed after printing has no info lines (they follow trend); its amount still says whose.
            info = [line for line in (receipt or {}).get("info", []) if line.startswith("Nr sprzedaży")]
            if receipt is None or receipt["total"] != sale.total_minor or \
                    (info and info != [f"Nr sprzedaży: {sale.number}"]):
                problems.append(f"sale {sale.number}: registration says receipt {row.receipt_number}, "
                                f"the printer has {receipt}")
        if sorted(claimed) != sorted(printed) or len(set(claimed)) != len(claimed):
            problems.append(f"receipts claimed {sorted(claimed)} != printed {sorted(printed)}")
        db.engine.dispose()
    return {"rounds": rounds, "sales": len(sales), "fiscal_receipts": len(device.printed),
            "killed_before_printing": killed["before"], "killed_after_printing": killed["after"],
            "cancelled": device.cancelled, "seconds": round(seconds, 1), "problems": problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = run(args.kills, args.seed)
    for key, value in result.items():
        print(f"{key}: {value}")
    if result["problems"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
