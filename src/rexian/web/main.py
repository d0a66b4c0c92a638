"""The ASGI entry point for uvicorn/gunicorn: `rexian.web.main:app`."""

from rexian.web.app import create_app

app = create_app()
