"""The filters of the lists of pairings: the program's page (and its CSV)
and the API. Both narrow ``mentoring.selectors.pairing_list``, which brings
each pairing's health."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from engagement.filters import ApiChoiceFilter, ChoiceFilter, IdFilter, LineFilter, ProgramFilterSet
from mentoring.models import Pairing
from mentoring.selectors import PairingHealth


class PairingPageFilter(ProgramFilterSet):
    """Which pairings the program's list shows. A value that does not fit is
    reported and left out, never a 500."""

    status = ChoiceFilter(
        choices=Pairing.Status.choices,
        empty_label="Any status",
        label="Status",
        error_messages={"invalid_choice": "“%(value)s” is not a status, so every status is shown."},
    )
    health = ChoiceFilter(
        choices=PairingHealth.choices,
        empty_label="Any health",
        label="Health",
        error_messages={"invalid_choice": "“%(value)s” is not a health, so every pairing is shown."},
    )
    q = LineFilter(max_length=100, label="Executive or account", method="naming")

    class Meta:
        model = Pairing
        fields: list[str] = []

    def naming(self, pairings: QuerySet, name: str, words: str) -> QuerySet:
        return pairings.filter(
            Q(executive__user__full_name__icontains=words)
            | Q(executive__user__email__icontains=words)
            | Q(account__name__icontains=words)
        )


class PairingApiFilter(ProgramFilterSet):
    """The query parameters of the API's list of pairings."""

    executive = IdFilter(field_name="executive_id", help_text="Only this executive's pairings.")
    account = IdFilter(field_name="account_id", help_text="Only the pairings of this account.")
    status = ApiChoiceFilter(choices=Pairing.Status.choices)
    health = ApiChoiceFilter(choices=PairingHealth.choices)

    class Meta:
        model = Pairing
        fields: list[str] = []
