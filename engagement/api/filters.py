"""The query parameters of the API's lists of the program's core: executives,
accounts and their people (the pages filter these lists otherwise: see
``engagement.dashboards.filters``)."""

from __future__ import annotations

from engagement.accounts.models import Account, Contact
from engagement.filters import ApiChoiceFilter, EmailFilter, IdentifierFilter, IdFilter, ProgramFilterSet
from engagement.people.models import Executive


class ExecutiveFilter(ProgramFilterSet):
    email = EmailFilter(field_name="user__email", help_text="Their email address, any case.")

    class Meta:
        model = Executive
        fields: list[str] = []


class AccountFilter(ProgramFilterSet):
    crm_id = IdentifierFilter(max_length=64, help_text="Its id in the CRM.")
    kind = ApiChoiceFilter(choices=Account.Kind.choices)
    status = ApiChoiceFilter(choices=Account.Status.choices)

    class Meta:
        model = Account
        fields: list[str] = []


class ContactFilter(ProgramFilterSet):
    account = IdFilter(field_name="account_id", help_text="Only the people of this account.")
    crm_id = IdentifierFilter(max_length=64, help_text="Their id in the CRM.")

    class Meta:
        model = Contact
        fields: list[str] = []
