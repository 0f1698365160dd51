"""The background printer: a thread beside the web server that works the print queue."""
from __future__ import annotations

import logging
import threading

from ..extensions import db
from . import service

log = logging.getLogger(__name__)


class PrintWorker(threading.Thread):
    """Polls the queue (twice a second) and prints what is due; never inside a web request."""

    def __init__(self, app, *, interval: float = 0.5):
        super().__init__(name="lukluk-print-worker", daemon=True)
        self.app = app
        self.interval = interval
        self._halt = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            service.recover_interrupted()
            while not self._halt.wait(self.interval):
                try:
                    service.process_due()
                except Exception:  # noqa: BLE001 — the worker must outlive any one bad job
                    log.exception("Print worker error")
                    db.session.rollback()
                finally:
                    db.session.remove()

    def stop(self, timeout: float = 10) -> None:
        self._halt.set()
        self.join(timeout)
