"""Reading the audit page as a program admin sees it, for the tests of each app."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.test import Client
from django.urls import reverse


class _Entries(HTMLParser):
    """The text of each entry of the audit page (its ``list-group-item``s)."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[str] = []
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "li":
            return
        if self._depth:
            self._depth += 1
        elif "list-group-item" in (dict(attrs).get("class") or "").split():
            self._depth, self._text = 1, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._depth:
            self._depth -= 1
            if not self._depth:
                self.entries.append(" ".join("".join(self._text).split()))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(f"{data} " if data.endswith("\n") else data)


def audit_entries(client: Client, **query: Any) -> list[str]:
    """Each entry on the audit page for ``query`` (its filters), newest first, as text."""
    response = client.get(reverse("engagement:audit"), query)
    assert response.status_code == 200
    parser = _Entries()
    parser.feed(response.content.decode())
    return parser.entries
