"""Browser fixtures: the app served on a real port, and headless Chromium pointed at it.

Chromium is Debian's (/usr/bin/chromium); nothing is downloaded. Every page records console
errors, uncaught script errors and Content Security Policy violations, so a test can assert
the page ran cleanly under the app's strict CSP. A failing test leaves screenshots of its
pages in test-artifacts/.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)
from werkzeug.serving import make_server

from commons.accounts.models import User
from commons.communities import services as communities
from commons.communities.models import Community
from commons.extensions import db
from tests.conftest import PASSWORD, _make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long Playwright's auto-waiting expectations and actions wait before failing.
TIMEOUT_MS = 10_000

# Chromium logs an htmx answer the app sends on purpose (422: a form to correct, 409: a
# refused action) as "Failed to load resource: ... status of 422"; it is not a page fault.
EXPECTED_STATUS = re.compile(
    r"Failed to load resource: the server responded with a status of 4(09|22)"
)

# Runs in every document before the page's own scripts. Playwright injects it through the
# DevTools protocol, so the page's CSP does not apply to it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline code"}` +
    ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`
  );
});
"""

_phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


@pytest.fixture
def live_server(schema: str) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port; afterwards every table is emptied."""
    app = _make_app(schema)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            with db.engine.begin() as conn:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What went wrong inside one page, as the browser reported it."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({where})")

    def on_csp_violation(self, description: str) -> None:
        self.csp_violations.append(description)

    def unexpected(self) -> list[str]:
        """Every problem except the expected 409/422 answers htmx swaps into the page."""
        console = [e for e in self.console_errors if not EXPECTED_STATUS.search(e)]
        return console + self.page_errors + self.csp_violations

    def assert_clean(self, *, allow_expected_statuses: bool = False) -> None:
        problems = (
            self.unexpected()
            if allow_expected_statuses
            else self.console_errors + self.page_errors + self.csp_violations
        )
        assert not problems, "the browser reported:\n" + "\n".join(problems)


NewPage = Callable[[], Page]


@pytest.fixture
def new_page(
    browser: Browser, live_server: str, request: pytest.FixtureRequest
) -> Iterator[NewPage]:
    """Open a page in a fresh browser context (a separate person with their own cookies).

    Each page has `page.problems` (a PageProblems). Depending on live_server makes the
    contexts close before the server stops and the tables are emptied.
    """
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def open_page() -> Page:
        context = browser.new_context(base_url=live_server)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        problems = PageProblems()
        context.expose_function("__reportCspViolation", problems.on_csp_violation)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.on("console", problems.on_console)
        page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
        page.problems = problems  # type: ignore[attr-defined]
        pages.append(page)
        return page

    yield open_page

    reports = request.node.stash.get(_phase_reports, {})
    if any(report.failed for report in reports.values()):
        folder = request.config.rootpath / "test-artifacts"
        folder.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for number, page in enumerate(pages, start=1):
            if not page.is_closed():
                page.screenshot(path=folder / f"{name}-{number}.png", full_page=True)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in a fresh browser context, its base URL the live server."""
    return new_page()


def start_elm_street(founder: User, *neighbours: User) -> Community:
    """An open community, Elm Street, started by `founder` and joined by `neighbours`."""
    community = communities.create_community(
        founder,
        name="Elm Street",
        description="",
        join_policy="open",
        centre_lat=51.45,
        centre_lon=-2.58,
        radius_km=1,
        neighbourhoods=[],
    )
    for person in neighbours:
        communities.join(person, community)
    return community


def log_in(page: Page, email: str) -> None:
    """Log in through the form, as a person would, and wait until the page says so."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log in")).to_be_hidden()
