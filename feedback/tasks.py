"""Celery tasks of feedback: thin, taking ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from engagement.delivery.outbox import task_enqueue
from engagement.tasks import SEND_RETRIES, GaveUp, mail_or_retry
from feedback.services import survey_claim, survey_deliver, surveys_send_after_held, surveys_unsent


@shared_task(name="feedback.tasks.send_survey", bind=True, acks_late=True, max_retries=SEND_RETRIES)
def send_survey(self, survey_id: int) -> bool:
    """Email one survey link, at most once: claim it, send it, mark it sent.
    On a mail error, try again later with exponential backoff."""
    if not survey_claim(survey_id=survey_id):
        return False  # sent already, or another worker has it
    try:
        mail_or_retry(self, lambda: survey_deliver(survey_id=survey_id), lambda error, retry_in: None)
    except GaveUp:
        return False  # left unsent; send_unsent_surveys tries it again later
    return True


@shared_task(name="feedback.tasks.send_unsent_surveys")
def send_unsent_surveys() -> int:
    """Queue every survey recorded but not sent (its task was lost, or ran
    out of retries). Claims keep a survey from going twice."""
    survey_ids = surveys_unsent()
    for survey_id in survey_ids:
        task_enqueue(task=send_survey, args=(survey_id,))
    return len(survey_ids)


@shared_task(name="feedback.tasks.send_surveys_after_held")
def send_surveys_after_held(engagement_id: int) -> int:
    """Send the survey of a held engagement whose program sends them on its own."""
    return surveys_send_after_held(engagement_id=engagement_id)
