"""The ASGI entry point for uvicorn/gunicorn: `rexian.web.main:app`.

REXIAN_INTELLIGENCE=0 serves without classification and automatic dispatch (benchmarks compare both).
"""

import os

from rexian.bootstrap import bootstrap
from rexian.web.app import create_app

app = create_app(bootstrap(intelligence=os.environ.get("REXIAN_INTELLIGENCE", "1") != "0"))
