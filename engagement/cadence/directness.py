"""How direct each executive's customer contact is: the ivory-tower index.

Every engagement type carries a directness that program admins set:
unfiltered (a one-to-one visit, a ride-along, listening in on service calls,
walking the customer's own process) or filtered (a briefing, a presentation,
an event). ``visits`` copies it onto each contact as it records it
(``ExecutiveContact.unfiltered``), so every figure here reads the program's
own table. An executive who meets customers within their cadence, but only
at filtered occasions, is flagged: they hear the customer through others.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from engagement.cadence.models import ExecutiveContact
from engagement.dates import SIX_MONTHS, TWELVE_MONTHS, local_today
from engagement.people.models import Executive


def unfiltered_percent(unfiltered_minutes: int, minutes: int) -> int | None:
    """The unfiltered minutes as a whole percentage of all, or None without any."""
    if not minutes:
        return None
    return int((Decimal(unfiltered_minutes) * 100 / minutes).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def only_filtered_lately(*, days_since: int | None, days_since_unfiltered: int | None, cadence_days: int) -> bool:
    """The ivory-tower flag: the executive met customers within their cadence,
    but their last unfiltered contact (if any) is further back than it."""
    if days_since is None or days_since > cadence_days:
        return False
    return days_since_unfiltered is None or days_since_unfiltered > cadence_days


@dataclass(frozen=True)
class Directness:
    """One executive's unfiltered and total contact minutes over the last six
    and twelve months, and their last unfiltered contact, on their ``today``."""

    executive_id: int
    today: dt.date
    cadence_days: int
    days_since: int | None  # since any contact
    last_unfiltered_on: dt.date | None
    unfiltered_minutes_6m: int = 0
    minutes_6m: int = 0
    unfiltered_minutes_12m: int = 0
    minutes_12m: int = 0

    @property
    def unfiltered_share_6m(self) -> int | None:
        """The share of the six months' exposure hours that was unfiltered, in percent."""
        return unfiltered_percent(self.unfiltered_minutes_6m, self.minutes_6m)

    @property
    def unfiltered_share_12m(self) -> int | None:
        return unfiltered_percent(self.unfiltered_minutes_12m, self.minutes_12m)

    @property
    def days_since_unfiltered(self) -> int | None:
        return None if self.last_unfiltered_on is None else (self.today - self.last_unfiltered_on).days

    @property
    def ivory_tower(self) -> bool:
        return only_filtered_lately(
            days_since=self.days_since, days_since_unfiltered=self.days_since_unfiltered, cadence_days=self.cadence_days
        )


def executive_directness(
    *, executives: Iterable[Executive] | QuerySet[Executive], now: dt.datetime | None = None
) -> dict[int, Directness]:
    """The ``Directness`` of every executive in ``executives``, by id, today in
    each one's own time zone (as ``executive_contact_statuses`` counts days
    since contact), against the cadence copied onto them. Two queries
    whatever the number of executives: the executives with their last
    unfiltered contact, and their last twelve months' minutes by day and
    directness."""
    now = now or timezone.now()
    if isinstance(executives, QuerySet):
        executive_ids: Iterable[int] | QuerySet = executives.values("pk")
    else:
        executive_ids = [executive.pk for executive in executives]
    # Newest first with LIMIT 1 walks the (executive, contact_on) index backwards.
    last_unfiltered = ExecutiveContact.objects.filter(executive=OuterRef("pk"), unfiltered=True).order_by("-contact_on")
    rows = list(
        Executive.objects.filter(pk__in=executive_ids)
        .annotate(last_unfiltered_on=Subquery(last_unfiltered.values("contact_on")[:1]))
        .values_list("pk", "last_contact_on", "cadence_days", "user__time_zone", "last_unfiltered_on")
    )
    if not rows:
        return {}
    todays = {pk: local_today(zone, now=now) for pk, _last, _cadence, zone, _unfiltered in rows}
    earliest = min(todays.values()) - dt.timedelta(days=TWELVE_MONTHS)
    minutes = (
        ExecutiveContact.objects.filter(executive_id__in=executive_ids, contact_on__gte=earliest)
        .values_list("executive_id", "contact_on", "unfiltered")
        .annotate(minutes=Sum("duration_minutes"))
        .order_by()
    )
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for executive_id, contact_on, unfiltered, summed in minutes:
        days = (todays[executive_id] - contact_on).days
        for span, suffix in ((SIX_MONTHS, "6m"), (TWELVE_MONTHS, "12m")):
            if days <= span:
                totals[executive_id][f"minutes_{suffix}"] += summed or 0
                if unfiltered:
                    totals[executive_id][f"unfiltered_minutes_{suffix}"] += summed or 0
    return {
        pk: Directness(
            executive_id=pk,
            today=todays[pk],
            cadence_days=cadence_days,
            days_since=(todays[pk] - last).days if last else None,
            last_unfiltered_on=last_unfiltered_on,
            **totals.get(pk, {}),
        )
        for pk, last, cadence_days, _zone, last_unfiltered_on in rows
    }
