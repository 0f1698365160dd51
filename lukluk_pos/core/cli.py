"""Command-line tasks: ``flask --app wsgi demo``."""
from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--items", default=400, show_default=True, help="Donated items to add.")
    @click.option("--days", default=7, show_default=True, help="Days of sales to simulate.")
    @click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same shop).")
    def demo(items: int, days: int, seed: int) -> None:
        """Fill the database with a realistic Polish demo shop (items and a week of sales)."""
        from ..demo import build_demo

        build_demo(items=items, days=days, seed=seed, echo=click.echo)
