"""The filters of the lists of what was learned: the debrief search page,
and the API's debriefs and action items."""

from __future__ import annotations

from django.db.models import QuerySet

from engagement.filters import ApiChoiceFilter, IdFilter, LineFilter, ProgramFilterSet, RowFilter
from feedback.models import ActionItem, Debrief, Theme
from feedback.selectors import debriefs_matching


class DebriefSearchFilter(ProgramFilterSet):
    """Submitted debriefs by words and theme. A value that does not fit is
    explained, and every debrief shown."""

    q = LineFilter(max_length=200, label="Words", method="matching")
    theme = RowFilter(queryset=Theme.objects.all(), empty_label="Any theme", label="Theme", field_name="themes")

    all_or_nothing = True

    class Meta:
        model = Debrief
        fields: list[str] = []

    def matching(self, debriefs: QuerySet, name: str, words: str) -> QuerySet:
        return debriefs_matching(debriefs, words)


class DebriefFilter(ProgramFilterSet):
    """The query parameters of the API's list of debriefs."""

    engagement = IdFilter(field_name="engagement_id", help_text="Only the debriefs of this engagement.")

    class Meta:
        model = Debrief
        fields: list[str] = []


class ActionFilter(ProgramFilterSet):
    """The query parameters of the API's list of action items."""

    engagement = IdFilter(field_name="engagement_id", help_text="Only the actions from this engagement.")
    status = ApiChoiceFilter(choices=ActionItem.Status.choices)

    class Meta:
        model = ActionItem
        fields: list[str] = []
