"""The application factory: JSON API, OpenAPI docs at /docs, server-rendered pages."""

from __future__ import annotations

from fastapi import FastAPI

from rexian import __version__
from rexian.bootstrap import bootstrap
from rexian.services.context import Hotline
from rexian.web.api import routing, units, work_orders
from rexian.web.deps import RateLimiter
from rexian.web.errors import install_error_handlers


def create_app(hotline: Hotline | None = None, public_rate_limit: int = 60) -> FastAPI:
    """Build the app on `hotline` (or the configured one). `public_rate_limit`: citizen requests a minute."""
    app = FastAPI(title="Rexian 12345 API", version=__version__,
                  description="Rexian (热线): the open 12345 government-service hotline platform.")
    app.state.hotline = hotline or bootstrap()
    app.state.public_limiter = RateLimiter(public_rate_limit, 60.0)
    install_error_handlers(app)
    app.include_router(work_orders.router)
    app.include_router(units.router)
    app.include_router(routing.router)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, str]:
        with app.state.hotline.uow.begin() as tx:
            tx.conn.exec_driver_sql("SELECT 1")
        return {"status": "ok"}

    return app
