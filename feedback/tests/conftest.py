"""The people the feedback tests start from, as for the lifecycle tests: an
account manager, their account, and an executive who met it; and the
colleague who attended with them."""

from __future__ import annotations

import pytest

from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory
from visits.tests.conftest import account, account_manager, executive

__all__ = ["account", "account_manager", "executive"]


@pytest.fixture
def lead(executive):
    """The executive who led the meeting: Jordan Ellis, of the shared fixtures
    (with Sam Rivera, who manages the Northwind Traders account)."""
    return executive


@pytest.fixture
def colleague():
    return ExecutiveFactory(user=UserFactory(full_name="Alex Moreau", roles=[Role.EXECUTIVE]))
