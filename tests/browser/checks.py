"""What every page a browser journey reaches must pass: axe-core finds no
WCAG 2.2 A or AA violation in the rendered page, the Nu HTML Checker finds no
error in the HTML the server sent, and the browser logged no error (a blocked
inline script or style, a missing resource, a script error).

axe-core and the checker (vnu-jar) come from npm (``npm ci``); the checker
needs Java. Where either is missing the checks do not run and say why.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Response

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe tags no rule "wcag22a").
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VNU_START_TIMEOUT = 90.0


def tools_missing() -> str | None:
    """Why the accessibility and HTML checks cannot run here, or None."""
    missing = [str(path.relative_to(ROOT)) for path in (AXE_PATH, VNU_JAR) if not path.is_file()]
    if missing:
        return f"{' and '.join(missing)} missing (run `npm ci`)"
    if shutil.which("java") is None:
        return "no `java` on PATH for the Nu HTML Checker (install a Java 17 runtime)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HtmlChecker:
    """The Nu HTML Checker as a local web service: the JVM starts once per
    test session (it takes seconds), then each page is one POST."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/?out=json"
        # Open as long as the checker runs; closed in stop().
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                "java",
                "-Xss1m",  # the checker recurses deeply on nested markup
                "-XX:+UseSerialGC",
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "-cp",
                str(VNU_JAR),
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._ready = False

    def _wait_until_ready(self) -> None:
        # Started with the session and waited for only when the first page is
        # checked, so the JVM warms up while the browser and database do.
        deadline = time.monotonic() + VNU_START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._log.seek(0)
                output = self._log.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"the Nu HTML Checker exited with {self._process.returncode}:\n{output}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2):
                    self._ready = True
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the Nu HTML Checker did not answer within {VNU_START_TIMEOUT:.0f} s")

    def errors(self, html: bytes) -> list[dict[str, Any]]:
        """The checker's errors in ``html``; a document it could not check
        at all ("non-document-error") counts as an error too."""
        if not self._ready:
            self._wait_until_ready()
        request = urllib.request.Request(
            self.url, data=html, method="POST", headers={"Content-Type": "text/html; charset=utf-8"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            messages = json.load(answer)["messages"]
        return [message for message in messages if message.get("type") in {"error", "non-document-error"}]

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()


AXE_RUN = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return results.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary.replace(/\\s+/g, " ")})),
    }));
}"""


def _axe_report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['summary']}")
    return "\n".join(lines)


def _vnu_report(errors: list[dict[str, Any]]) -> str:
    lines = []
    for error in errors:
        where = f"line {error['lastLine']}" if "lastLine" in error else "document"
        lines.append(f"  {where}: {error['message']}")
        if error.get("extract"):
            lines.append(f"    {' '.join(error['extract'].split())}")
    return "\n".join(lines)


@dataclass
class PageChecks:
    """The checks of one test, at one viewport. ``missing`` says why the
    accessibility and HTML checks cannot run; the browser-error check always does."""

    viewport: str
    axe_source: str | None
    html_checker: HtmlChecker | None
    missing: str | None
    checked: list[str] = field(default_factory=list)
    _console_errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Collect what ``page`` logs as errors: blocked inline code (CSP),
        resources that failed to load, uncaught script errors."""

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self._console_errors.append(f"{message.text} ({message.location.get('url', '')})")

        def on_response(response: Response) -> None:
            if response.status >= 400 and response.request.resource_type != "document":
                self._console_errors.append(f"{response.status} for {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self._console_errors.append(f"uncaught {error}"))
        page.on("response", on_response)

    def loaded(self, page: Page, response: Response) -> str:
        """Assert ``page`` loaded from a successful ``response``; where it is."""
        where = f"{urlsplit(page.url).path} ({self.viewport})"
        assert response.ok, f"{where} answered {response.status}"
        # Let late resource errors and scripts (Bootstrap is deferred) report in.
        page.wait_for_load_state("load")
        return where

    def forget_browser_errors(self) -> None:
        """For pages that are not ours to fix (the Django admin)."""
        self._console_errors.clear()

    def page(self, page: Page, response: Response) -> None:
        """Check the page ``page`` shows, which ``response`` delivered."""
        where = self.loaded(page, response)
        errors, self._console_errors[:] = list(self._console_errors), []
        assert not errors, f"the browser logged errors on {where}:\n  " + "\n  ".join(errors)
        if self.missing is not None:
            return
        assert self.axe_source is not None and self.html_checker is not None
        self.accessible(page, where)
        # The HTML as the server sent it, not as the browser repaired it.
        html_errors = self.html_checker.errors(response.body())
        assert not html_errors, f"the Nu HTML Checker found errors in {where}:\n{_vnu_report(html_errors)}"
        self.checked.append(where)

    def accessible(self, page: Page, where: str) -> None:
        """Run axe-core on ``page`` as it is now (menus open or closed)."""
        if self.missing is not None:
            return
        assert self.axe_source is not None
        if page.evaluate("typeof window.axe") == "undefined":
            # Evaluated over the DevTools protocol, which the page's
            # Content-Security-Policy does not govern, so the policy stays on.
            page.evaluate(self.axe_source)
        violations = page.evaluate(AXE_RUN, AXE_TAGS)
        assert not violations, f"axe-core found WCAG 2.2 A/AA violations on {where}:\n{_axe_report(violations)}"
