"""The people the feedback tests start from, as for the lifecycle tests: an
account manager, their account, and an executive who met it."""

from __future__ import annotations

from visits.tests.conftest import account, account_manager, executive

__all__ = ["account", "account_manager", "executive"]
