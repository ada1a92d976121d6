"""An action's lifecycle is one table (``ActionItem.STEPS``): each status is
set from exactly the statuses the table names; a closed action is closed
again only to change its note."""

from __future__ import annotations

import pytest

from engagement.errors import ProgramError
from feedback.models import ActionItem
from feedback.services import action_status_set
from feedback.tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seen", ActionItem.Status.values)
@pytest.mark.parametrize("status", ActionItem.Status.values)
def test_each_status_is_set_from_the_statuses_its_table_names(seen, status):
    action = ActionItemFactory(status=seen)

    if ActionItem.STEPS.allows(status, seen):
        action_status_set(action=action, by=action.owner, status=status, note="Sent the plan; the CFO has it")
        assert ActionItem.objects.get(pk=action.pk).status == status
    else:
        with pytest.raises(ProgramError, match=f"It is already {ActionItem.Status(seen).label.lower()}."):
            action_status_set(action=action, by=action.owner, status=status)
        assert ActionItem.objects.get(pk=action.pk).status == seen


def test_only_an_open_status_is_refused_again():
    refused = {
        (seen, status)
        for seen in ActionItem.Status.values
        for status in ActionItem.Status.values
        if not ActionItem.STEPS.allows(status, seen)
    }

    assert refused == {("open", "open"), ("in_progress", "in_progress")}
