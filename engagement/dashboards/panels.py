"""Panels other apps add to a page they do not own.

A home page belongs to this app, but what an executive must do next comes
partly from the apps built on it (debriefs to write, actions owed). Those apps
register a panel source here, as they register reminder sources, so that this
app imports none of them. A source returns the template to include and its
context, or None when it has nothing to show; each reads in a fixed number of
queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engagement.people.roles import Role


@dataclass(frozen=True)
class Panel:
    """A piece of a page: the template to include, with its own context."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[..., Panel | None]


class PanelRegistry:
    """The panel sources of one page, in the order they registered."""

    def __init__(self) -> None:
        self.sources: list[PanelSource] = []

    def register(self, source: PanelSource) -> PanelSource:
        if source not in self.sources:
            self.sources.append(source)
        return source

    def panels(self, *args: Any, **kwargs: Any) -> list[Panel]:
        """What each source shows for ``args``, leaving out those with nothing to show."""
        return [panel for source in self.sources if (panel := source(*args, **kwargs)) is not None]


# The home page of each role; a source takes the request (and, for the
# executive's home, the executive).
HOME_PANELS: dict[Role, PanelRegistry] = {role: PanelRegistry() for role in Role}


def home_panel(role: Role) -> Callable[[PanelSource], PanelSource]:
    """Register a panel on the home page of ``role``."""
    return HOME_PANELS[role].register


# The program dashboard: other apps add their figures (engagements, debriefs,
# customer feedback); a source takes the request.
PROGRAM_DASHBOARD_PANELS = PanelRegistry()


def program_dashboard_panel(source: PanelSource) -> PanelSource:
    """Register a panel of figures on the program dashboard."""
    return PROGRAM_DASHBOARD_PANELS.register(source)


# An account's page (``visits`` shows it): other apps add what they know of
# the account (its sponsors); a source takes the request and ``account=``.
ACCOUNT_PANELS = PanelRegistry()


def account_panel(source: PanelSource) -> PanelSource:
    """Register a panel on each account's page."""
    return ACCOUNT_PANELS.register(source)


# The coverage page: other apps add the pages that go further (key-person
# risk); a source takes the request.
COVERAGE_PANELS = PanelRegistry()


def coverage_panel(source: PanelSource) -> PanelSource:
    """Register a panel beside the coverage page's heading."""
    return COVERAGE_PANELS.register(source)
