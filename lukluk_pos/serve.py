"""Serve the shop with waitress (works the same on the counter's Linux or Windows PC)."""
from __future__ import annotations

from waitress import serve

from . import create_app


def main() -> None:
    app = create_app()
    host, port = app.config["HOST"], app.config["PORT"]
    print(f"LukLuk POS: http://{host}:{port}/  (Ctrl+C stops it)", flush=True)
    serve(app, host=host, port=port, threads=8, ident="LukLuk POS")


if __name__ == "__main__":
    main()
