"""A queue worker: a thread beside the web server that, in the app's context, first recovers what a
crash left half done, then works its queue every ``interval`` seconds — never inside a web request."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..extensions import db

log = logging.getLogger(__name__)


class QueueWorker(threading.Thread):
    #: The thread's name, what it runs once at the start, and what it runs each round (set by subclasses).
    label = "lukluk-worker"

    def __init__(self, app, *, interval: float):
        super().__init__(name=self.label, daemon=True)
        self.app = app
        self.interval = interval
        self._halt = threading.Event()

    def recover(self) -> None:
        """What a crash left half done, before the first round."""

    def step(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        with self.app.app_context():
            self._guarded(self.recover)
            while not self._halt.wait(self.interval):
                self._guarded(self.step)

    def _guarded(self, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 — the worker must outlive any one bad job
            log.exception("%s error", self.label)
            db.session.rollback()
        finally:
            db.session.remove()

    def stop(self, timeout: float = 10) -> None:
        self._halt.set()
        self.join(timeout)
