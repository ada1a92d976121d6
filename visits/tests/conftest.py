"""The people most lifecycle tests start from: an account manager, their
account, and an executive to ask."""

from __future__ import annotations

import pytest

from engagement.people.models import Level
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ExecutiveFactory, UserFactory


@pytest.fixture
def account_manager():
    return UserFactory(full_name="Sam Rivera", roles=[Role.ACCOUNT_MANAGER])


@pytest.fixture
def account(account_manager):
    return AccountFactory(name="Northwind Traders", account_manager=account_manager)


@pytest.fixture
def executive():
    return ExecutiveFactory(user=UserFactory(full_name="Jordan Ellis", roles=[Role.EXECUTIVE]), level=Level.SVP)
