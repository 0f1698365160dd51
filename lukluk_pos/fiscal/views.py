"""The fiscal printer's pages: its settings and state, sales waiting for a fiscal receipt, the registers."""
from __future__ import annotations
