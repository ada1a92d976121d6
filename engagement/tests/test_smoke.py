from __future__ import annotations

import pytest

from engagement.selectors import ContactState, executive_contact_status
from engagement.tests.factories import ExecutiveFactory
from visits.tests.factories import EngagementFactory


@pytest.mark.django_db
def test_held_engagement_counts_as_contact():
    executive = ExecutiveFactory()
    EngagementFactory(executives=[executive])
    status = executive_contact_status(executive=executive)
    assert status.days_since == 3
    assert status.state == ContactState.ON_TRACK
    assert str(status.exposure_hours) == "1.0"
