"""The filters of the lists of engagements, for the pages and the API, and
of the Trends page's heatmap.

A list of engagements is narrowed the same way on every page and in the API
(``EngagementFilter``); the pages and the API name some parameters their own
way: a page picks the type from a list and finds the account and the
executive by part of their name (as people bookmarked it), the API takes ids
and ``from``/``to``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from engagement.filters import (
    ApiChoiceFilter,
    ChoiceFilter,
    DayFilter,
    DayRangeForm,
    IdFilter,
    LineFilter,
    OpenDayFilter,
    ProgramFilterSet,
    RowFilter,
    TypedChoiceFilter,
)
from engagement.people.models import Executive, Function
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.selectors import HELD, day_start

STATUSES = [(HELD, "Held, debriefed or not"), *Engagement.Status.choices]


class EngagementFilter(ProgramFilterSet):
    """What every list of engagements may be narrowed to. Dates are the
    viewer's own calendar days, compared as moments so that the
    (status, starts_at) and (starts_at) indexes serve the range."""

    class Meta:
        model = Engagement
        fields: list[str] = []

    def with_status(self, engagements: QuerySet, name: str, status: str) -> QuerySet:
        if status == HELD:
            return engagements.filter(status__in=Engagement.HELD_STATUSES)
        return engagements.filter(status=status)

    def starting_from(self, engagements: QuerySet, name: str, day: dt.date) -> QuerySet:
        return engagements.filter(starts_at__gte=day_start(day))

    def starting_until(self, engagements: QuerySet, name: str, day: dt.date) -> QuerySet:
        return engagements.filter(starts_at__lt=day_start(day + dt.timedelta(days=1)))

    def attended_by(self, engagements: QuerySet, name: str, executive_id: int) -> QuerySet:
        # The executive's own attendances first (a few hundred rows), not a
        # test of every engagement.
        attended = EngagementExecutive.objects.filter(executive_id=executive_id).values("engagement_id")
        return engagements.filter(pk__in=attended)

    def attended_by_named(self, engagements: QuerySet, name: str, words: str) -> QuerySet:
        attendances = EngagementExecutive.objects.filter(
            engagement=OuterRef("pk"), executive__user__full_name__icontains=words
        )
        return engagements.filter(Exists(attendances))


class EngagementPageFilter(EngagementFilter):
    """A list of engagements on a page; every field is optional. One value
    that does not fit is explained, and the list shown whole."""

    type = RowFilter(queryset=EngagementType.objects.all(), empty_label="All types", label="Type")
    status = ChoiceFilter(choices=STATUSES, empty_label="All statuses", label="Status", method="with_status")
    # Any day from 1900 to 2999: a day's first moment is a datetime in every zone.
    date_from = DayFilter(label="From", method="starting_from")
    date_to = DayFilter(label="To", method="starting_until")
    account = LineFilter(
        max_length=100, label="Account", help_text="Part of its name.", field_name="account__name",
        lookup_expr="icontains",
    )  # fmt: skip
    executive = LineFilter(
        max_length=100, label="Executive", help_text="Part of their name.", method="attended_by_named"
    )

    all_or_nothing = True

    class Meta(EngagementFilter.Meta):
        form = DayRangeForm


class EngagementApiFilter(EngagementFilter):
    """The query parameters of the API's list of engagements."""

    executive = IdFilter(method="attended_by", help_text="Only those this executive attended.")
    account = IdFilter(field_name="account_id", help_text="Only those with this account.")
    from_ = OpenDayFilter(
        method="starting_from", help_text="Starting on this day or later (your time zone), YYYY-MM-DD."
    )
    to = OpenDayFilter(
        method="starting_until", help_text="Starting on this day or earlier (your time zone), YYYY-MM-DD."
    )
    status = ApiChoiceFilter(
        choices=STATUSES, method="with_status", help_text="A status, or “held” for held and debriefed alike."
    )
    type = IdFilter(field_name="type_id", help_text="Only those of this engagement type.")


class HeatmapFilter(ProgramFilterSet):
    """Which executives the heatmap shows: one function or all. A value that
    does not fit is reported and left out, never a 500."""

    function = TypedChoiceFilter(
        field_name="function_id",
        label="Function",
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "There is no such function, so every function is shown."},
    )

    class Meta:
        model = Executive
        fields: list[str] = []

    def choices(self) -> dict[str, Any]:
        return {"function": [("", "Every function"), *Function.objects.order_by("name").values_list("pk", "name")]}
