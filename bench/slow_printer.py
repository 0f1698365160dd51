"""A slow fiscal printer never makes another till wait (issue #25): while one till's receipt prints on a
Posnet printer that takes 2.5 s for every answer, another till scans and sells.

The shop runs as on the counter (the app under waitress in its own process, the fake Posnet printer of
tests/fake_posnet.py on 127.0.0.1, two tills talking HTTP, the printer's default timeout and deadline:
10 s per answer, 60 s per conversation). Measured on each database:

- the other till's scan (a line into its basket): p50/p99 with the printer idle, then while the receipt
  prints;
- the other till's sale, while the receipt prints: how long until it is saved (its completion is
  answered by ``GET /till/completions/<key>``); its own fiscal receipt waits for the printer, by design:
  one printer prints one receipt at a time;
- how long the slow receipt took.

    python -m bench.slow_printer                      # both databases
    python -m bench.slow_printer --database sqlite --slow 2.5
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"n": len(samples), "p50_ms": round(statistics.median(samples) * 1000, 2), "p99_ms": round(p99 * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def run(database: str, slow: float = 2.5, echo=print) -> dict:
    from tests import fiscal_model as model
    from tests.fake_posnet import FakePosnet

    template = model.Template.of(database)
    folder = Path(tempfile.mkdtemp(prefix="lukluk-slow-"))
    url = template.copy(folder)
    printer = FakePosnet().__enter__()
    server = model.Server(folder, url, printer.spec, model.Clock(), timeout=10.0, deadline=60.0)
    listener = model.Listener()
    try:
        server.start()
        printing, other = model.Person(server), model.Person(server)
        printing.sign_in_pin(template.ids["people"][0], template.ids["tills"][0])
        other.sign_in_pin(template.ids["people"][1], template.ids["tills"][1])

        refused = []

        def scan() -> float:
            start = time.perf_counter()
            answer = other.api(listener, "POST", "/till/basket/lines", {"category_id": 7, "price": "3.00"})
            if answer is None or answer.status != 201:
                refused.append(answer.status if answer else None)
            return time.perf_counter() - start

        idle = [scan() for _ in range(60)]
        sold = other.api(listener, "POST", "/till/basket/complete", {"key": "slow-idle-sale", "payments": [
            {"method": "card"}]})
        assert sold is not None and sold.status == 200, sold
        for category in (1, 7, 13):
            printing.api(listener, "POST", "/till/basket/lines", {"category_id": category, "price": "10.00"})
        printer.slow = slow
        started = time.perf_counter()
        done = threading.Event()

        def complete():
            printing.api(listener, "POST", "/till/basket/complete", {"key": "slow-receipt", "payments": [
                {"method": "card"}]})
            done.set()

        threading.Thread(target=complete, daemon=True).start()
        time.sleep(1.0)  # the receipt is on its way
        busy, saved = [], []
        sale_no = 0
        while not done.is_set():
            busy.append(scan())
            if len(busy) % 40 == 0 and sale_no >= 2:  # a customer changed their mind: the basket stays short
                other.api(listener, "POST", "/till/basket/void", {"reason": "Klient zrezygnował"})
            elif len(busy) % 40 == 0:
                sale_no += 1
                key = f"slow-other-{sale_no}"
                begun = time.perf_counter()
                other.api(listener, "POST", "/till/basket/complete", {"key": key, "payments": [{"method": "card"}]},
                          patience=0.0)
                while time.perf_counter() - begun < 120:
                    found = other.api(listener, "GET", f"/till/completions/{key}")
                    if found is not None and found.status == 200:
                        saved.append(time.perf_counter() - begun)
                        break
                    time.sleep(0.01)
            if echo and len(busy) % 50 == 0:
                echo(f"\r  {database}: {len(busy)} scans while the receipt prints", end="", flush=True)
        receipt_seconds = time.perf_counter() - started
        printer.slow = 0.0
        listener.quiet()
        if echo:
            echo()
        errors = listener.errors()
        return {"database": database, "slow_answer_s": slow, "receipt_s": round(receipt_seconds, 1),
                "scan_idle": _ms(idle), "scan_while_printing": _ms(busy),
                "sale_saved_while_printing_ms": [round(s * 1000, 1) for s in saved],
                "receipts_printed": len(printer.printed), "scans_refused": len(refused), "errors": errors}
    finally:
        server.stop()
        printer.__exit__(None, None, None)
        template.drop(url)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--slow", type=float, default=2.5)
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    results = [run(db, args.slow) for db in (["sqlite", "postgresql"] if args.database == "both" else [args.database])]
    for result in results:
        print(json.dumps(result))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 1 if any(result["errors"] or result["scans_refused"] for result in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
