"""WSGI entry point: ``flask --app wsgi ...`` and waitress both use ``app``."""
from lukluk_pos import create_app

app = create_app()
