"""The dashboards' filter forms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from engagement.accounts.models import Account
from engagement.bounds import LineField
from engagement.dashboards.coverage import CoverageFilters, NoContact
from engagement.forms import FilterForm
from engagement.people.models import EXECUTIVE_LEVELS


class ExecutiveFilterForm(FilterForm):
    """The filters and sort of the program's executives table, from the query
    string. A value that does not fit is reported and left out, never a 500.

    The choices are (id, name) pairs read once, with their values as text:
    a company has a thousand and more managers, and a model instance or a
    localised number per option costs more than the rest of the page."""

    q = LineField(label="Name or email", required=False, max_length=100)
    function = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    level = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    manager = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(required=False)
    sort = LineField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        functions: Iterable[tuple[int, str]],
        managers: Iterable[tuple[int, str]],
        states: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["function"].choices = [("", "Any function"), *((str(pk), name) for pk, name in functions)]
        self.fields["level"].choices = [("", "Any level"), *((str(level), label) for level, label in EXECUTIVE_LEVELS)]
        self.fields["manager"].choices = [("", "Any manager"), *((str(pk), name) for pk, name in managers)]
        self.fields["state"].choices = [("", "Any state"), *states]


class KeyPersonRiskFilterForm(FilterForm):
    """Which accounts a coverage list shows, from the query string: customers
    or partners (customers when not given), and one tier or all. A value that
    does not fit is reported and left out, never a 500."""

    kind = forms.ChoiceField(
        label="Accounts",
        choices=[(Account.Kind.CUSTOMER, "Customers"), (Account.Kind.PARTNER, "Partners")],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is neither customers nor partners, so customers are shown."},
    )
    tier = forms.TypedChoiceField(
        label="Tier",
        choices=[("", "All tiers"), *Account.Tier.choices],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a tier, so every tier is shown."},
    )

    def filters(self) -> CoverageFilters:
        self.is_valid()
        return CoverageFilters(kind=self.value("kind") or Account.Kind.CUSTOMER, tier=self.value("tier"))


class CoverageFilterForm(KeyPersonRiskFilterForm):
    """As ``KeyPersonRiskFilterForm``, and how long without executive contact."""

    no_contact = forms.ChoiceField(
        label="Executive contact",
        choices=[("", "Any"), *NoContact.choices],
        required=False,
        error_messages={"invalid_choice": "“%(value)s” is not a length of time listed, so every account is shown."},
    )

    def filters(self) -> CoverageFilters:
        filters = super().filters()
        return CoverageFilters(kind=filters.kind, tier=filters.tier, no_contact=self.value("no_contact") or None)
