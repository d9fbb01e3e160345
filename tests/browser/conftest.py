"""Playwright end-to-end tests against Debian's Chromium (/usr/bin/chromium), phone-sized.

Never runs `playwright install`: the browser is the distribution's (`make test` installs it with apt when root).
Without it every browser test is skipped, loudly: a skip reason starting with "!!!" and a red line in the summary.

The database. The tests use pytest-django's `live_server`, so they are transactional: Django *flushes* every table
after each of them. That deletes what the rest of the suite takes for granted: the divisions and units that
tests/conftest.py loads once per session, and the rows data migrations seed (deadline and escalation rules).
So, like Django's `serialized_rollback` but with the session's reference data included:
  * before the first browser test the whole test database is serialized (`_db_snapshot`);
  * each browser test starts from that snapshot (`reference_data`: flush, then load the snapshot);
  * when a browser test module ends, the snapshot is loaded again, so database tests that run afterwards
    (`-p no:randomly` with the browser tests first, a subset, xdist) find the same rows as before.
"""

import os
import re
import sys
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import restore_database

# Playwright's sync API runs an event loop in the main thread; Django would otherwise refuse ORM calls there.
# While that loop runs, Django keeps this thread's connections in a context variable (asgiref's Local), i.e. in
# *other* connection objects than the ones that created the test database; those are closed explicitly below,
# or PostgreSQL refuses to drop the test database ("being accessed by other users").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SKIP_MESSAGE = (
    f"!!! BROWSER TESTS SKIPPED: {CHROMIUM} not found. Install Debian's chromium and fonts-wqy-microhei "
    "(`apt-get install chromium fonts-wqy-microhei`, or run `make test` as root) to run them. !!!"
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 375, "height": 812}

_skipped = []


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if not _skipped:
            print(f"\n{SKIP_MESSAGE}\n", file=sys.stderr)
        _skipped.append(SKIP_MESSAGE)
        pytest.skip(SKIP_MESSAGE)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        pw.stop()
        raise
    yield chromium
    connections.close_all()
    chromium.close()
    pw.stop()


@pytest.fixture
def new_context(browser):
    """Factory for phone-sized zh-CN browser contexts; extra keyword arguments go to `browser.new_context`."""
    contexts = []

    def make(**kwargs):
        options = {"viewport": PHONE, "locale": "zh-CN", "timezone_id": "Asia/Shanghai", **kwargs}
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def shot(request):
    """`shot(page, "step")` saves test-artifacts/<test name>-NN-step.png (full page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    test = re.sub(r"[^\w.-]+", "_", request.node.name)
    counter = iter(range(1, 100))

    def take(page, step):
        path = ARTIFACTS / f"{test}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def reference_data(transactional_db, db_snapshot):
    """Start from the session's reference data (a previous transactional test flushed it); users come after."""
    restore_database(db_snapshot)


@pytest.fixture(scope="module", autouse=True)
def _restore_db_after_module(db_snapshot, django_db_blocker):
    """Runs after the last test's flush: put the session's data back for whatever test runs next."""
    yield
    with django_db_blocker.unblock():
        restore_database(db_snapshot)
        connections.close_all()


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test (also declared by each module's `pytestmark`)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(SKIP_MESSAGE, red=True, bold=True)
