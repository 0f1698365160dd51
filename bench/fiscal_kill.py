"""Exactly once across SIGKILLs of the serving process, killed between sending a receipt and confirming it.

The shop runs as it does on the counter: the app under waitress in its own process, a fiscal printer
on 127.0.0.1 (the fake Posnet of tests/fake_posnet.py or the fake NoviAPI printer of
tests/fake_noviapi.py, both in this process), and this script as the till talking HTTP to it (signed
in by PIN, the CSRF header, the till's idempotency keys). When the printer receives a sale's receipt
it SIGKILLs the server, at random:

- ``before``: before the device takes the receipt (Posnet: ``trend`` never arrives; NoviAPI: the
  ``PUT`` that would confirm it is never answered, the request stays stored and unprinted);
- ``queued`` (NoviAPI): after the device accepted it and before it printed — it prints anyway;
- ``after``: printed, and the server dies before the answer comes back;
- or not at all.

The till then does what till.js does: it starts the server again (the shop's PC restarts it), asks about
the unanswered sale again with the same key before anything else, and presses "Spróbuj ponownie"
while its fiscal receipt is not settled. At the end every completed sale must have exactly one fiscal
receipt on the device, carrying its amount (and sale number where the device printed it), and its
registration must hold that receipt's number; the device's receipts must be exactly the ones claimed.

    python -m bench.fiscal_kill --kills 200                                # Posnet, SQLite
    python -m bench.fiscal_kill --kills 200 --device novitus --database postgresql
    python -m bench.fiscal_kill --kills 8                                  # what the test suite runs
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("LUKLUK_TEST_POSTGRES", "postgresql+psycopg://root@127.0.0.1:5432/test")

SERVER = r"""
import sys
from waitress import serve
from config import Config
from lukluk_pos import create_app

config = Config()
config.INSTANCE_PATH, config.SQLALCHEMY_DATABASE_URI = sys.argv[1], sys.argv[2]
config.FISCAL_PRINTER, config.FISCAL_TIMEOUT = sys.argv[3], 5.0
config.ARGON2_TIME_COST, config.ARGON2_MEMORY_COST = 1, 8 * 1024
serve(create_app(config), host="127.0.0.1", port=int(sys.argv[4]), threads=4, ident="LukLuk POS")
"""


def _setup(instance: Path, url: str) -> dict:
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
        ania = auth.create_user(name="Ania", role=Role.VOLUNTEER, pin="1111", password=None, by=magda)
        shop = db.session.scalar(db.select(Shop))
        shop.fiscal_mode = FiscalMode.PRINTER
        cash.open_session(1, magda, counts={"10000": 2})
        db.session.commit()
        ids = {"ania": ania.id}
        db.engine.dispose()
    return ids


def _set_up_apart(instance: Path, url: str) -> dict:
    """Set the shop up in a process of its own: on the server's clock (the real one), not a caller's frozen
    test clock, so the till session opened here is today's for the server."""
    done = subprocess.run([sys.executable, "-c", "import json, sys; from bench.fiscal_kill import _setup; "
                           "print(json.dumps(_setup(__import__('pathlib').Path(sys.argv[1]), sys.argv[2])))",
                           str(instance), url], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"setting the shop up failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def _database(kind: str, folder: Path):
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'lukluk.db'}"
        return
    from sqlalchemy import create_engine, text

    name = f"lukluk_kill_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    """The shop's app under waitress in its own process, started again after each kill."""

    def __init__(self, instance: Path, url: str, device_spec: str):
        from bench.waits import free_port

        self.args = [sys.executable, "-c", SERVER, str(instance), url, device_spec]
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = open(instance.parent / "server.log", "a")  # noqa: SIM115 — kept open across restarts

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and self.process.poll() is None else None

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def ensure(self) -> None:
        if self.process is not None:
            if self.process.poll() is None and self._listening():
                return
            if self.process.poll() is None:  # killed and not yet reaped, or hung: make sure it is gone
                self.process.kill()
            self.process.wait()
        self.process = subprocess.Popen(self.args + [str(self.port)], cwd=ROOT, stdout=self.log, stderr=self.log,
                                        env=dict(os.environ, PYTHONPATH=str(ROOT)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._listening():
                return
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited ({self.process.returncode}); see {self.log.name}")
            time.sleep(0.05)
        raise SystemExit("the server did not start within a minute")

    def stop(self) -> None:
        if self.pid is not None:
            self.process.terminate()
            self.process.wait(10)
        self.log.close()


class Till:
    """What till.js does, over HTTP: a PIN sign-in, the CSRF header, a key per completion, and asking about
    an unanswered completion (with the same key) before anything else."""

    def __init__(self, server: Server, user_id: int):
        import httpx

        self.server, self.user_id = server, user_id
        self.http = httpx.Client(base_url=server.url, timeout=60)
        self.csrf = ""
        self.unanswered: str | None = None
        self.waiting: set[int] = set()

    def sign_in(self) -> None:
        page = self.http.get(f"/sign-in/{self.user_id}").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        signed = self.http.post(f"/sign-in/{self.user_id}", data={"csrf_token": token, "pin": "1111", "till_id": "1"})
        assert signed.status_code == 302, signed.text[:500]
        till = self.http.get("/till").text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', till).group(1)

    def call(self, method: str, path: str, json=None):
        return self.http.request(method, path, json=json, headers={"X-CSRFToken": self.csrf})

    def complete(self, key: str) -> dict:
        response = self.call("POST", "/api/v1/till/basket/complete",
                             {"key": key, "payments": [{"method": "card"}]})
        assert response.status_code == 200, response.text[:500]
        return response.json()

    def settle(self) -> None:
        """Learn the fate of the unanswered completion, then retry every sale still waiting for its receipt."""
        if self.unanswered is not None:
            sale = self.complete(self.unanswered)  # the same key: the sale already made, never a new one
            self.unanswered = None
            if sale["fiscal"]["status"] != "registered":
                self.waiting.add(sale["id"])
        for sale_id in sorted(self.waiting):
            fiscal = self.call("POST", f"/api/v1/sales/{sale_id}/fiscal").json()["fiscal"]
            if fiscal["status"] == "registered":
                self.waiting.discard(sale_id)

    def sell(self, key: str, price: int) -> None:
        added = self.call("POST", "/api/v1/till/basket/lines", {"category_id": 7, "price": f"{price / 100:.2f}"})
        assert added.status_code == 201, added.text[:500]
        self.unanswered = key
        sale = self.complete(key)
        self.unanswered = None
        if sale["fiscal"]["status"] != "registered":
            self.waiting.add(sale["id"])


def _device(kind: str):
    if kind == "novitus":
        from tests.fake_noviapi import FakeNoviApi

        return FakeNoviApi()
    from tests.fake_posnet import FakePosnet

    return FakePosnet()


def _arm(device, kind: str, server: Server, plan: dict, killed: dict) -> None:
    """Make the fake printer SIGKILL the server at the planned moment of the next receipt."""

    def kill(moment: str) -> bool:
        pid = server.pid
        if plan["mode"] != moment or not pid:
            return False
        os.kill(pid, signal.SIGKILL)
        killed[moment] += 1
        plan["mode"] = None
        return True

    if kind == "novitus":
        def hook(stage, request_id):
            if stage == "confirm" and device.requests[request_id]["kind"] == "receipt":
                if kill("before"):
                    return "drop"  # died before confirming: the request stays stored, never printed
                kill("queued")  # died just after: the device prints it all the same
            elif stage == "printed":
                kill("after")
            return None

        device.hook = hook
        return
    original_trend = device._trend

    def trend(fields):
        if kill("before"):
            return "drop"
        result = original_trend(fields)
        if kill("after"):
            return "drop"
        return result

    device._trend = trend


def run(kills: int, seed: int = 1, device_kind: str = "posnet", database: str = "sqlite", echo=print) -> dict:
    import httpx

    rng = random.Random(seed)
    moments = ["before", "after", "after", None] + (["queued"] if device_kind == "novitus" else [])
    with tempfile.TemporaryDirectory() as folder, _device(device_kind) as device, \
            _database(database, Path(folder)) as url:
        instance = Path(folder) / "instance"
        ids = _set_up_apart(instance, url)
        server = Server(instance, url, device.spec)
        plan, killed = {"mode": None}, {"before": 0, "queued": 0, "after": 0}
        _arm(device, device_kind, server, plan, killed)
        till = Till(server, ids["ania"])
        rounds = 0
        start = time.monotonic()
        try:
            server.ensure()
            till.sign_in()
            while sum(killed.values()) < kills:
                rounds += 1
                server.ensure()  # the shop's PC starts the server again after a crash
                try:
                    till.settle()
                    plan["mode"] = rng.choice(moments)
                    till.sell(f"kill-{seed}-{rounds:06d}", rng.randint(100, 5000))
                except httpx.TransportError:
                    pass  # the server died under the till: the next round asks again
                done = sum(killed.values())
                if echo and (rounds % 10 == 0 or done >= kills):
                    echo(f"\r  {device_kind}/{database} round {rounds}: {done}/{kills} SIGKILLs, "
                         f"{len(device.printed)} fiscal receipts", end="", flush=True)
            plan["mode"] = None
            for _ in range(5):
                server.ensure()
                try:
                    till.settle()
                except httpx.TransportError:
                    continue
                if till.unanswered is None and not till.waiting:
                    break
        finally:
            till.http.close()
            server.stop()
        if echo:
            echo()
        return _check(instance, url, device, device_kind, killed, rounds, time.monotonic() - start)


def _check(instance: Path, url: str, device, device_kind: str, killed: dict, rounds: int, seconds: float) -> dict:
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
            if device_kind == "novitus":
                numbers = [receipt.get("system_number")] if receipt else []
            else:  # Posnet: info lines follow trend, so a receipt killed after printing may have none
                numbers = [line for line in (receipt or {}).get("info", []) if line.startswith("Nr sprzedaży")]
            if receipt is None or receipt["total"] != sale.total_minor or \
                    (numbers and numbers != [f"Nr sprzedaży: {sale.number}"]):
                problems.append(f"sale {sale.number}: registration says receipt {row.receipt_number}, "
                                f"the printer has {receipt}")
        if sorted(claimed) != sorted(printed) or len(set(claimed)) != len(claimed):
            problems.append(f"receipts claimed {sorted(claimed)} != printed {sorted(printed)}")
        db.session.remove()
        db.engine.dispose()
    return {"rounds": rounds, "sales": len(sales), "fiscal_receipts": len(device.printed),
            "killed_before_printing": killed["before"], "killed_while_queued": killed["queued"],
            "killed_after_printing": killed["after"], "cancelled": device.cancelled, "seconds": round(seconds, 1),
            "problems": problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--device", choices=["posnet", "novitus"], default="posnet")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    result = run(args.kills, args.seed, args.device, args.database)
    for key, value in result.items():
        print(f"{key}: {value}")
    if result["problems"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
