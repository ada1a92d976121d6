"""What needs a person now: the one ordered list at the top of each role's home.

A home page belongs to this app, but most of what waits for someone comes from
the apps built on it (requests to answer, meetings to prepare, debriefs and
actions owed, sponsorships proposed). Each app registers a source of needs
here for the roles it concerns, as it registers reminder sources and panels,
so that this app imports none of them; a new kind of need (say, contacts
suggested from the person's calendar) is one more source, and the home pages
do not change.

A source takes the person and the moment, and returns what waits for them in
one query, however much there is: a few items one by one, or, beyond
``SHOWN_EACH``, one line that counts them and links to the list behind them
(``needs_of``), so that the list stays short on a phone.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet, Window
from django.urls import reverse

from engagement.accounts.selectors import QuietAccount, manager_accounts_going_quiet
from engagement.dates import local_today
from engagement.people.models import User
from engagement.people.roles import Role

# Up to this many of one kind are listed one by one; more are one counted line.
SHOWN_EACH = 3


class Urgency(enum.IntEnum):
    """How soon a need must be met; the list shows the most urgent first."""

    OVERDUE = 0  # past when it was due, or waiting longer than it should
    SOON = 1  # falls due within a day or two: a meeting to prepare
    WAITING = 2  # waits for the person, not late yet


@dataclass(frozen=True)
class Need:
    """One line of the list: what waits, where to act on it, and how urgent it is.

    ``at`` orders needs of the same urgency: the oldest wait first, the
    soonest meeting first. ``action`` is a step taken from the list in one
    tap, beside the link. ``when`` is a moment the line shows (in the
    reader's zone, by the template), ``note`` a short word on its age or
    lateness. ``count`` above 1 makes the line a group of that many."""

    kind: str
    text: str
    url: str
    urgency: Urgency
    at: dt.datetime
    note: str = ""
    when: dt.datetime | None = None
    count: int = 1
    # A step the person may take from the list itself, in one tap: its label
    # and the address a POST to which takes it (a suggested contact's "Log it").
    action: tuple[str, str] | None = None

    @property
    def overdue(self) -> bool:
        return self.urgency == Urgency.OVERDUE


NeedSource = Callable[..., Iterable[Need]]

NEED_SOURCES: dict[Role, list[NeedSource]] = {role: [] for role in Role}


def need_source(role: Role) -> Callable[[NeedSource], NeedSource]:
    """Register a source of needs on the home page of ``role``. A source takes
    ``user`` and ``now`` (keywords) and reads in a fixed number of queries."""

    def register(source: NeedSource) -> NeedSource:
        if source not in NEED_SOURCES[role]:
            NEED_SOURCES[role].append(source)
        return source

    return register


def needs_for(role: Role, *, user: User, now: dt.datetime) -> list[Need]:
    """What waits for ``user`` on the home of ``role``, the most urgent first
    and, within the same urgency, the oldest (or soonest) first."""
    needs = [need for source in NEED_SOURCES[role] for need in source(user=user, now=now)]
    return sorted(needs, key=lambda need: (need.urgency, need.at))


def with_total(rows: QuerySet[Any]) -> list[Any]:
    """The first ``SHOWN_EACH + 1`` of ``rows``, each with ``total``: how many
    there are in all, counted by the same query (a window over the rows)."""
    return list(rows.annotate(total=Window(Count("pk")))[: SHOWN_EACH + 1])


def needs_of(rows: Sequence[Any], *, each: Callable[[Any], Need], group: Callable[[Any, int], Need]) -> list[Need]:
    """``rows`` (read by ``with_total``, the first the oldest or most urgent)
    as a need each, or, when there are more than ``SHOWN_EACH``, as one
    counted line made by ``group`` from the first row and the total."""
    if not rows:
        return []
    if len(rows) > SHOWN_EACH:
        return [group(rows[0], rows[0].total)]
    return [each(row) for row in rows]


def days_text(days: int) -> str:
    """ "1 day", "6 days"; "today" for none."""
    if days <= 0:
        return "today"
    return f"{days} day{'s' if days != 1 else ''}"


def ago_text(days: int) -> str:
    """ "today", "1 day ago", "6 days ago"."""
    return "today" if days <= 0 else f"{days_text(days)} ago"


def plural(count: int, one: str, many: str) -> str:
    """``count`` and the word that fits it: "1 request", "9 requests"."""
    return f"{count} {one if count == 1 else many}"


# --- This app's own source ----------------------------------------------------------


@need_source(Role.ACCOUNT_MANAGER)
def accounts_going_quiet(*, user: User, now: dt.datetime) -> list[Need]:
    """The account manager's accounts no executive has met for longer than
    their ideal period: late once past the most days, or never met."""
    quiet = manager_accounts_going_quiet(user=user, today=local_today(user.time_zone, now=now))

    def urgency(row: QuietAccount) -> Urgency:
        return Urgency.OVERDUE if row.state == "past_max" else Urgency.WAITING

    def at(row: QuietAccount) -> dt.datetime:
        # Since when it has been late (past the most days) or waiting (past
        # the ideal), as the other needs; one never met, since now: its
        # lateness has no start, and a duty with a date comes first.
        if row.days is None:
            return now
        return now - dt.timedelta(days=row.days - (row.max_days if row.state == "past_max" else row.ideal_days))

    def note(row: QuietAccount) -> str:
        return "never met" if row.days is None else f"last met {ago_text(row.days)}"

    if len(quiet) > SHOWN_EACH:
        first = quiet[0]
        return [
            Need(
                kind="quiet",
                text=f"{plural(len(quiet), 'account', 'accounts')} going quiet",
                url=f"{reverse('engagement:account_manager_home')}#accounts-heading",
                urgency=urgency(first),
                at=at(first),
                note=f"quietest: {first.account.name}",
                count=len(quiet),
            )
        ]
    return [
        Need(
            kind="quiet",
            text=f"Going quiet: {row.account.name}",
            url=reverse("visits:account_engagements", kwargs={"pk": row.account.pk}),
            urgency=urgency(row),
            at=at(row),
            note=note(row),
        )
        for row in quiet
    ]
