"""Browser tests: a real DealerDesk server (its own SQLite file, demo data) driven by Debian's Chromium."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
OUTPUT = Path(os.environ.get("TEST_OUTPUT", "test-results")) / "e2e"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dealerdesk(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "dealerdesk", *args], env=env, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """Base URL of a server started the way `make run` starts it: dev settings, migrated, demo data."""
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "DEALERDESK_VAR": str(var),
        "DJANGO_SETTINGS_MODULE": "dealerdesk.config.settings.dev",
    }
    env.pop("DATABASE_URL", None)
    # where the server's database lives, for a test that must move a booking to "now" (the browser cannot wait days)
    os.environ["DEALERDESK_E2E_VAR"] = str(var)
    _dealerdesk("migrate", "--no-input", env=env)
    _dealerdesk("demo_data", env=env)
    port = _free_port()
    log = (var / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "dealerdesk", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/login/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError(f"server did not start: {(var / 'server.log').read_text()}") from None
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # Two cores run the server, the browser and PDF generation at once: give assertions room to wait for
    # the page instead of failing at Playwright's 5-second default.
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context per test, tablet-sized; a screenshot is saved when the test ends."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{request.node.name}-final.png"), full_page=True)
    context.close()


@pytest.fixture
def shot(page, request):
    """Save a named screenshot of the current page under the test's output folder."""

    def take(name: str) -> Path:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
