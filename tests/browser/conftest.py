"""Real-browser tests: Playwright drives Debian's Chromium against pytest-django's
live server, at a desktop and at a phone viewport.

Chromium is CHROMIUM_PATH or /usr/bin/chromium (Playwright's own browser
downloads are not used). Where it is missing these tests are skipped and the
run says why in one line; with GROUNDWORK_REQUIRE_BROWSER=1 (CI) they fail
instead. The same goes for axe-core, the Nu HTML Checker and Java (`npm ci`).
A failing test leaves a screenshot under test-results/.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright

from tests.browser.browsing import DESKTOP, PHONE, Viewport
from tests.browser.checks import AXE_PATH, HtmlChecker, PageChecks, tools_missing
from tests.browser.program import People, program_people

HERE = Path(__file__).resolve().parent
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRE_BROWSER = "GROUNDWORK_REQUIRE_BROWSER"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

_chromium_skip_reason = pytest.StashKey[str]()
_checks_skip_reason = pytest.StashKey[str]()


def browser_required() -> bool:
    return os.environ.get(REQUIRE_BROWSER) == "1"


def chromium_executable() -> tuple[str | None, str]:
    """Chromium's executable, or None and why there is none."""
    configured = os.environ.get("CHROMIUM_PATH", "")
    found = shutil.which(configured or DEFAULT_CHROMIUM)
    if found:
        return found, ""
    where = f"CHROMIUM_PATH={configured}" if configured else DEFAULT_CHROMIUM
    return None, f"no Chromium at {where} (apt-get install chromium, or set CHROMIUM_PATH)"


def is_browser_test(item: pytest.Item) -> bool:
    return HERE in Path(item.path).parents


def pytest_configure(config: pytest.Config) -> None:
    # A failing browser test keeps a screenshot of each of its pages under
    # --output (test-results/), unless --screenshot was given.
    given = [
        *config.invocation_params.args,
        *config.getini("addopts"),
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
    ]
    if not any(arg == "--screenshot" or arg.startswith("--screenshot=") for arg in given):
        config.option.screenshot = "only-on-failure"
    # pytest-playwright's stand-in for pytest-base-url defines a session
    # fixture as a method, which pytest 9 warns about on every run.
    config.addinivalue_line(
        "filterwarnings", "ignore:Session-scoped fixtures defined as instance methods:pytest.PytestRemovedIn10Warning"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser_tests = [item for item in items if is_browser_test(item)]
    # Last, after pytest-django has ordered the rest: the quick tests report
    # first, and no other test runs beside Playwright's event loop (below).
    items[:] = [item for item in items if not is_browser_test(item)] + browser_tests
    executable, reason = chromium_executable()
    if not browser_tests or executable is not None or browser_required():
        return
    config.stash[_chromium_skip_reason] = reason
    for item in browser_tests:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # A journey that passed without its accessibility and HTML checks did not
    # check all it says: report it as skipped, with the reason.
    checks = getattr(item, "funcargs", {}).get("checks")
    if report.when == "call" and report.passed and isinstance(checks, PageChecks) and checks.missing:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {checks.missing}")
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if reason := config.stash.get(_chromium_skip_reason, None):
        terminalreporter.write_line(f"Browser tests skipped: {reason}")
    elif reason := config.stash.get(_checks_skip_reason, None):
        terminalreporter.write_line(f"Browser tests ran without their accessibility and HTML checks: {reason}")


@pytest.fixture(scope="session")
def playwright(playwright: Playwright) -> Iterator[Playwright]:
    """Playwright, with Django's guard against database queries from async
    code turned off while it runs: its sync API keeps an asyncio event loop
    running in the test thread from the first browser test to the end of the
    session, and Django would then refuse every query the tests and
    pytest-django make there ("You cannot call this from an async context").
    No Django code runs inside that loop."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield playwright
    finally:
        if previous is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable, reason = chromium_executable()
    if executable is None:
        # Only reached with GROUNDWORK_REQUIRE_BROWSER=1: otherwise these tests
        # were marked to skip when collected.
        pytest.fail(f"{reason}; {REQUIRE_BROWSER}=1 requires the browser tests to run", pytrace=False)
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture(params=[DESKTOP, PHONE], ids=lambda viewport: viewport.name)
def viewport(request: pytest.FixtureRequest) -> Viewport:
    return request.param


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], viewport: Viewport, live_server: Any) -> dict[str, Any]:
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": viewport.width, "height": viewport.height},
        "is_mobile": viewport.phone,
        "has_touch": viewport.phone,
        "locale": "en-US",
        # Bootstrap then opens menus without transitions: quicker, same outcome.
        "reduced_motion": "reduce",
    }


@pytest.fixture(scope="session")
def _check_tools(pytestconfig: pytest.Config) -> Iterator[tuple[str, HtmlChecker] | str]:
    """axe-core's source and the running Nu HTML Checker, or why there are none."""
    missing = tools_missing()
    if missing is not None:
        if browser_required():
            pytest.fail(f"accessibility and HTML checks cannot run: {missing}", pytrace=False)
        pytestconfig.stash[_checks_skip_reason] = missing
        yield missing
        return
    checker = HtmlChecker()
    try:
        yield AXE_PATH.read_text(encoding="utf-8"), checker
    finally:
        checker.stop()


@pytest.fixture
def checks(page: Page, viewport: Viewport, _check_tools: tuple[str, HtmlChecker] | str) -> PageChecks:
    """``checks.page(page, response)`` checks the page the browser shows."""
    if isinstance(_check_tools, str):
        page_checks = PageChecks(viewport.name, axe_source=None, html_checker=None, missing=_check_tools)
    else:
        axe_source, html_checker = _check_tools
        page_checks = PageChecks(viewport.name, axe_source=axe_source, html_checker=html_checker, missing=None)
    page_checks.watch(page)
    return page_checks


# --- The people of a small program ---------------------------------------------


@pytest.fixture
def people(live_server: Any) -> People:
    """An executive with recent contacts, an account manager with accounts,
    a program admin, someone with all three roles, and executives in every
    contact state, so each state's badge is on the program admin's page."""
    return program_people()
