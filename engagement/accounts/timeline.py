"""An account's story: what happened with it, newest first, whichever app
recorded it.

Engagements belong to ``visits``, debriefs, survey answers and actions to
``feedback``, sponsorships and their sessions to ``mentoring``; this app
imports none of them. Each registers a kind of entry here (``timeline_kind``),
as they register reminder sources and panels: the rows of an account it holds
and the moment dating each, and how to draw a page of them for a reader.

A page is read in a fixed number of queries however long the story: one
UNION of every kind's (kind, moment, id), ordered and cut to the page in the
database, one count of it, and then each kind on the page draws its own rows
by id in its own fixed number of queries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import models
from django.db.models import F, QuerySet, Value

from engagement.accounts.models import Account
from engagement.people.models import User


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened with an account, as its reader sees it."""

    kind: str
    at: dt.datetime
    who: str
    summary: str
    # Empty when the reader may not open what the entry is about: the story
    # is theirs to read, not every page it comes from.
    url: str = ""
    # The customer's own words (a debrief's quotes, a survey's answer).
    quotes: tuple[str, ...] = ()
    # What the customer was told when an action was closed.
    told: str = ""
    # Anything else on a line of its own (a sponsorship's goals).
    details: tuple[str, ...] = ()
    # The kind's name, as the filter offers it: set by the timeline.
    label: str = ""


@dataclass(frozen=True)
class TimelineKind:
    """A kind of entry an app adds to every account's timeline."""

    slug: str
    label: str
    # The account's rows of this kind, as a query (no ordering needed).
    rows: Callable[[Account], QuerySet]
    # The field (or expression) dating each row, a moment.
    at: str | models.Expression
    # The entries of these row ids for ``reader``, by id: a fixed number of
    # queries for any number of ids.
    entries: Callable[[User, Sequence[int]], dict[int, TimelineEntry]]
    # Where it comes in the list of kinds to filter by.
    position: int = 0


TIMELINE_KINDS: dict[str, TimelineKind] = {}


def timeline_kind(kind: TimelineKind) -> TimelineKind:
    """Register ``kind`` on every account's timeline."""
    TIMELINE_KINDS[kind.slug] = kind
    return kind


def timeline_kinds() -> list[TimelineKind]:
    """Every registered kind, in the order the filter offers them."""
    return sorted(TIMELINE_KINDS.values(), key=lambda kind: (kind.position, kind.label))


class AccountTimeline:
    """The entries of ``account`` of ``kinds`` (every kind when empty), newest
    first, for ``reader``: what Django's ``Paginator`` pages through, counting
    and slicing in the database."""

    def __init__(self, *, account: Account, reader: User, kinds: Sequence[str] = ()) -> None:
        self.account = account
        self.reader = reader
        self.kinds = [kind for kind in timeline_kinds() if not kinds or kind.slug in kinds]

    def _keys(self) -> QuerySet | None:
        """(kind, moment, id) of every entry, one row each, as one query."""
        parts = [
            kind.rows(self.account)
            .order_by()
            .annotate(
                timeline_kind=Value(kind.slug, output_field=models.CharField()),
                timeline_at=F(kind.at) if isinstance(kind.at, str) else kind.at,
                timeline_id=F("pk"),
            )
            .values_list("timeline_kind", "timeline_at", "timeline_id")
            for kind in self.kinds
        ]
        if not parts:
            return None
        keys = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        return keys.order_by("-timeline_at", "-timeline_kind", "-timeline_id")

    def count(self) -> int:
        keys = self._keys()
        return 0 if keys is None else keys.count()

    def __getitem__(self, index: slice) -> list[TimelineEntry]:
        """The entries of one page: their keys in one query, then each kind's
        rows by id."""
        keys = self._keys()
        if keys is None:
            return []
        page = list(keys[index])
        ids: dict[str, list[int]] = {}
        for slug, _at, pk in page:
            ids.setdefault(slug, []).append(pk)
        drawn = {slug: TIMELINE_KINDS[slug].entries(self.reader, pks) for slug, pks in ids.items()}
        # A row gone between the two reads is left out rather than drawn empty.
        return [
            dataclasses.replace(drawn[slug][pk], label=TIMELINE_KINDS[slug].label)
            for slug, _at, pk in page
            if pk in drawn[slug]
        ]

    def __len__(self) -> int:  # pragma: no cover - the paginator counts instead
        return self.count()


def timeline_kind_choices() -> list[tuple[str, str]]:
    """The kinds to filter by, as form choices."""
    return [(kind.slug, kind.label) for kind in timeline_kinds()]
