"""The filters of the lists of what was learned: the debrief search page,
and the API's debriefs and action items."""

from __future__ import annotations

from django.db.models import QuerySet

from engagement.dates import local_today
from engagement.filters import ApiChoiceFilter, IdFilter, LineFilter, ProgramFilterSet, RowFilter
from feedback.models import ActionItem, Debrief, Theme
from feedback.selectors import ACTION_STATES, action_state_q, debriefs_matching, feedback_since


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
    """The query parameters of the lists of action items: the Actions page,
    its CSV download and the API's. The figures of routed actions ("Closing
    the loop") link to the list through ``function`` and ``state``, so that
    a figure and the list it opens count the same actions."""

    engagement = IdFilter(field_name="engagement_id", help_text="Only the actions from this engagement.")
    status = ApiChoiceFilter(choices=ActionItem.Status.choices)
    function = IdFilter(field_name="function_id", help_text="Only the actions routed to this function.")
    state = ApiChoiceFilter(
        choices=list(ACTION_STATES.items()),
        method="in_state",
        help_text="Open; overdue (open, due before today in your time zone); or closed in the last twelve months.",
    )

    class Meta:
        model = ActionItem
        fields: list[str] = []

    def in_state(self, actions: QuerySet, name: str, state: str) -> QuerySet:
        # In the reader's own calendar, as the figures that link here count.
        user = self.request.user
        today = local_today(user.time_zone)
        return actions.filter(action_state_q(state, today=today, since=feedback_since(user=user)))
