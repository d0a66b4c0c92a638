"""The ASGI entry point for uvicorn/gunicorn: `rexian.web.main:app`.

REXIAN_INTELLIGENCE=0 serves without classification and automatic dispatch (benchmarks compare both).
The knowledge index is warmed in the background so the first citizen question does not wait for it.
"""

import logging
import os
import threading

from rexian.bootstrap import bootstrap
from rexian.services.knowledge import knowledge_base
from rexian.web.app import create_app

hotline = bootstrap(intelligence=os.environ.get("REXIAN_INTELLIGENCE", "1") != "0")
app = create_app(hotline)


def _warm_knowledge() -> None:
    try:
        knowledge_base(hotline).index()
    except Exception:  # noqa: BLE001 - a cold index is built on first search instead
        logging.getLogger(__name__).warning("knowledge index warm-up failed", exc_info=True)


threading.Thread(target=_warm_knowledge, name="knowledge-warm-up", daemon=True).start()
