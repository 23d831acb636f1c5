"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from commons import create_app

app = create_app()
