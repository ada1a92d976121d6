"""The filters of the dashboards' lists: the program's executives table, and
the accounts of coverage and of key-person risk. A value that does not fit is
reported on the page and left out, never a 500; a download with one is
refused (the views), as a file of other rows would pass unnoticed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.bounds import LineField
from engagement.cadence.rule import NO_CONTACT_YET
from engagement.dashboards.coverage import (
    CoverageFilters,
    MonthsSince,
    NoContact,
    months_since_filter,
    no_contact_filter,
)
from engagement.dashboards.standing import DEFAULT_SORT, EXECUTIVE_SORTS, executive_managers, executive_ordering
from engagement.dashboards.tables import executive_state_choices
from engagement.filters import ChoiceFilter, LineFilter, ProgramFilterSet, TypedChoiceFilter
from engagement.people.models import EXECUTIVE_LEVELS, Executive, Function

# The directness filter's one value: the executives the ivory-tower flag marks.
ONLY_FILTERED = "only_filtered"


class ExecutiveTableForm(forms.Form):
    """The table's sort rides with its filters, though it narrows nothing."""

    sort = LineField(required=False, max_length=100, widget=forms.HiddenInput)


class ExecutiveTableFilter(ProgramFilterSet):
    """The filters of the program's executives table (``executive_table``).

    The choices are (id, name) pairs read once, with their values as text:
    a company has a thousand and more managers, and a model instance or a
    localised number per option costs more than the rest of the page."""

    q = LineFilter(label="Name or email", max_length=100, method="named")
    function = TypedChoiceFilter(label="Function", field_name="function_id", coerce=int, empty_value=None)
    level = TypedChoiceFilter(label="Level", coerce=int, empty_value=None)
    manager = TypedChoiceFilter(label="Manager", field_name="manager_id", coerce=int, empty_value=None)
    state = ChoiceFilter(label="State", empty_label=None, method="in_state")
    directness = ChoiceFilter(
        label="Directness",
        choices=[(ONLY_FILTERED, "Only filtered contact lately")],
        empty_label="Any contact",
        method="only_filtered",
        error_messages={"invalid_choice": "“%(value)s” is not a directness listed, so every executive is shown."},
    )

    class Meta:
        model = Executive
        fields: list[str] = []
        form = ExecutiveTableForm

    def choices(self) -> dict[str, Any]:
        return {
            "function": [
                ("", "Any function"),
                *((str(pk), name) for pk, name in Function.objects.values_list("pk", "name")),
            ],
            "level": [("", "Any level"), *((str(level), label) for level, label in EXECUTIVE_LEVELS)],
            "manager": [("", "Any manager"), *((str(pk), name) for pk, name in executive_managers())],
            "state": [("", "Any state"), *executive_state_choices()],
        }

    @property
    def sort(self) -> str:
        """The table's sort: a key of ``EXECUTIVE_SORTS``, "-" first to reverse it."""
        sort = self.cleaned_data.get("sort")
        return sort if sort and sort.removeprefix("-") in EXECUTIVE_SORTS else DEFAULT_SORT

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(queryset).order_by(*executive_ordering(self.sort))

    def named(self, executives: QuerySet, name: str, words: str) -> QuerySet:
        return executives.filter(Q(user__full_name__icontains=words) | Q(user__email__icontains=words))

    def only_filtered(self, executives: QuerySet, name: str, value: str) -> QuerySet:
        # Met customers within their cadence, but only at filtered occasions.
        return executives.filter(ivory_tower=True)

    def in_state(self, executives: QuerySet, name: str, state: str) -> QuerySet:
        if state == NO_CONTACT_YET:
            return executives.filter(last_contact_on__isnull=True)
        return executives.filter(state=state)


class KeyPersonRiskFilter(ProgramFilterSet):
    """Which accounts a coverage list shows: customers or partners (customers
    when not given), and one tier or all."""

    kind = ChoiceFilter(
        label="Accounts",
        choices=[(Account.Kind.CUSTOMER, "Customers"), (Account.Kind.PARTNER, "Partners")],
        empty_label=None,
        error_messages={"invalid_choice": "“%(value)s” is neither customers nor partners, so customers are shown."},
    )
    tier = TypedChoiceFilter(
        label="Tier",
        choices=[("", "All tiers"), *Account.Tier.choices],
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": "“%(value)s” is not a tier, so every tier is shown."},
    )

    defaults = {"kind": Account.Kind.CUSTOMER}

    class Meta:
        model = Account
        fields: list[str] = []

    @property
    def shown(self) -> CoverageFilters:
        """The accounts shown, for the page's title and its links."""
        return CoverageFilters(**self.values())


class CoverageFilter(KeyPersonRiskFilter):
    """As ``KeyPersonRiskFilter``, and how long without executive contact:
    at least so many days (the coverage table's counts), or so many months
    since the last contact (the heatmap's cells)."""

    no_contact = ChoiceFilter(
        label="Executive contact",
        choices=NoContact.choices,
        empty_label="Any",
        method="without_contact",
        error_messages={"invalid_choice": "“%(value)s” is not a length of time listed, so every account is shown."},
    )

    months = ChoiceFilter(
        label="Months since executive contact",
        choices=MonthsSince.choices,
        empty_label="Any",
        method="months_since",
        error_messages={"invalid_choice": "“%(value)s” is not a number of months listed, so every account is shown."},
    )

    def without_contact(self, accounts: QuerySet, name: str, no_contact: str) -> QuerySet:
        # The viewer's today: the middleware has made their time zone the current one.
        return accounts.filter(no_contact_filter(NoContact(no_contact), today=timezone.localdate()))

    def months_since(self, accounts: QuerySet, name: str, months: str) -> QuerySet:
        # The viewer's today, as above.
        return accounts.filter(months_since_filter(MonthsSince(months), today=timezone.localdate()))
