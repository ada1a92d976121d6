"""A small program for the browser journeys: one person per role, someone
with every role, and enough data that every page has content."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from engagement.accounts.models import Account
from engagement.people.models import Executive, User
from engagement.people.roles import Role
from engagement.tests import factories
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory
from visits.tests.factories import EngagementFactory

ROLE_HOME_PATHS = {
    Role.EXECUTIVE: "/executive/",
    Role.ACCOUNT_MANAGER: "/account-manager/",
    Role.PROGRAM_ADMIN: "/program/",
}


@dataclass(frozen=True)
class People:
    executive: User
    account_manager: User
    program_admin: User
    every_role: User


def executive(full_name: str, *roles: Role, title: str = "VP Customer Success") -> Executive:
    return ExecutiveFactory(user=UserFactory(full_name=full_name, roles=[Role.EXECUTIVE, *roles]), title=title)


def program_people() -> People:
    now = timezone.now()
    account_manager = UserFactory(full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER])
    northwind = AccountFactory(name="Northwind Traders", account_manager=account_manager, tier=Account.Tier.STRATEGIC)
    AccountFactory(name="Contoso Partners", account_manager=account_manager, kind=Account.Kind.PARTNER)
    AccountFactory(name="Fabrikam", account_manager=account_manager, tier=Account.Tier.GROWTH)

    jordan = executive("Jordan Ellis", title="SVP Operations")
    EngagementFactory(account=northwind, executives=[jordan], starts_at=now - dt.timedelta(days=12))
    EngagementFactory(executives=[jordan], starts_at=now - dt.timedelta(days=30), duration_minutes=90)

    # One executive in each contact state: due soon, overdue, escalated, never.
    for name, days in [("Dana Due", 38), ("Owen Overdue", 50), ("Esme Escalated", 80)]:
        # Looked up when called: the root conftest wraps it once the session starts.
        factories.contact_record(executive=executive(name), occurred_at=now - dt.timedelta(days=days))
    executive("Nia Never")

    every_role = executive("Alex Allroles", Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN, title="Chief Customer Officer")
    AccountFactory(name="Adventure Works", account_manager=every_role.user)
    return People(
        executive=jordan.user,
        account_manager=account_manager,
        program_admin=UserFactory(full_name="Morgan Admin", roles=[Role.PROGRAM_ADMIN]),
        every_role=every_role.user,
    )
