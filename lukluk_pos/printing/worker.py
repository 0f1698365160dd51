"""The background printer: a thread beside the web server that works the print queue."""
from __future__ import annotations

from ..core.worker import QueueWorker
from . import service


class PrintWorker(QueueWorker):
    """Polls the queue (twice a second) and prints what is due; never inside a web request."""

    label = "lukluk-print-worker"

    def __init__(self, app, *, interval: float = 0.5):
        super().__init__(app, interval=interval)

    def recover(self) -> None:
        service.recover_interrupted()

    def step(self) -> None:
        service.compose_due()  # the receipts of sales just made, composed after their commit
        service.process_due()
