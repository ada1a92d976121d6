"""What feedback does when an engagement is held: send its survey, when the
program says surveys go out on their own."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from engagement.delivery.outbox import task_enqueue
from visits.models import Engagement
from visits.signals import engagement_held


@receiver(engagement_held, dispatch_uid="feedback.surveys_after_held")
def surveys_after_held(sender: type[Engagement], engagement: Engagement, **kwargs: Any) -> None:
    # The task decides, after the commit, whether the program sends them: the
    # engagement's attendees and contacts are all in place by then.
    task_enqueue(task="feedback.tasks.send_surveys_after_held", args=(engagement.pk,))
