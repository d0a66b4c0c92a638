"""Browser tests: Debian's chromium driven by Playwright against a live server on a fresh database.

Skipped only where /usr/bin/chromium does not exist (CI installs it).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from tests.conftest import free_port

from rexian.bootstrap import bootstrap
from rexian.config import Settings
from rexian.domain.vocabulary import Role
from rexian.domain.workorder import Actor
from rexian.services.auth import add_user
from rexian.services.context import Hotline
from rexian.services.demo import DEMO_PASSWORD, DEMO_USERS
from rexian.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE_MIN_JS = Path(__file__).parent / "assets" / "axe.min.js"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(reason="no /usr/bin/chromium on this machine (CI installs it)")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_hotline(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Hotline:
    """A hotline on a fresh SQLite copy of the Guangzhou template, with the demo users (intelligence on)."""
    path = tmp_path_factory.mktemp("live") / "rexian.db"
    shutil.copyfile(sqlite_template, path)
    hl = bootstrap(Settings(database_url=f"sqlite:///{path}"), intelligence=True)
    root = Actor("test-setup", Role.ADMIN)
    for name, role, unit in DEMO_USERS:
        add_user(hl, name, role, root, unit, DEMO_PASSWORD)
    return hl


@pytest.fixture(scope="session")
def base_url(live_hotline: Hotline) -> Iterator[str]:
    """pytest-playwright's base_url: a real uvicorn server in a thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(live_hotline, public_rate_limit=10_000), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def log_in(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("#name", name)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
