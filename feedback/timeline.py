"""The debriefs, survey answers and actions on each account's timeline
(``engagement.accounts.timeline``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.text import Truncator

from engagement.accounts.models import Account
from engagement.accounts.timeline import TimelineEntry, TimelineKind, timeline_kind
from engagement.people.models import User
from feedback.access import actions_visible_to
from feedback.models import ActionItem, Debrief, Survey
from visits.access import engagements_visible_to

# The longest one-line summary, in characters, before it is cut with an ellipsis.
SUMMARY_LENGTH = 160


def _engagements_open_to(reader: User, ids: set[int]) -> set[int]:
    """Which of the engagements ``ids`` ``reader`` may open. One query."""
    return set(engagements_visible_to(reader).filter(pk__in=ids).values_list("pk", flat=True))


def account_debrief_rows(account: Account) -> QuerySet[Debrief]:
    """The submitted debriefs of the account's engagements: a draft stays its
    author's until it is submitted."""
    return Debrief.objects.filter(engagement__account=account, status=Debrief.Status.SUBMITTED)


def debrief_entries(reader: User, ids: Sequence[int]) -> dict[int, TimelineEntry]:
    """The debriefs ``ids``, with the customer's words, linked to the
    engagement's debriefs where ``reader`` may open them. Two queries."""
    debriefs = list(Debrief.objects.filter(pk__in=ids).select_related("author", "engagement__type"))
    opens = _engagements_open_to(reader, {debrief.engagement_id for debrief in debriefs})
    return {
        debrief.pk: TimelineEntry(
            kind="debriefs",
            at=debrief.submitted_at or debrief.updated_at,
            who=debrief.author.full_name,
            summary=Truncator(
                f"Debrief of the {debrief.engagement.type.name.lower()}"
                + (f", sentiment {debrief.get_sentiment_display().lower()}" if debrief.sentiment is not None else "")
            ).chars(SUMMARY_LENGTH),
            url=reverse("feedback:debrief", args=[debrief.engagement_id]) if debrief.engagement_id in opens else "",
            quotes=tuple(debrief.quotes),
        )
        for debrief in debriefs
    }


def account_survey_rows(account: Account) -> QuerySet[Survey]:
    """The answered surveys of the account's engagements."""
    return Survey.objects.filter(engagement__account=account, answered_at__isnull=False)


def survey_entries(reader: User, ids: Sequence[int]) -> dict[int, TimelineEntry]:
    """The survey answers ``ids``, with what the customer wrote, linked to the
    engagement where ``reader`` may open it. Two queries."""
    surveys = list(Survey.objects.filter(pk__in=ids).select_related("contact", "engagement__type"))
    opens = _engagements_open_to(reader, {survey.engagement_id for survey in surveys})
    entries = {}
    for survey in surveys:
        scores = []
        if survey.value is not None:
            scores.append(f"value {survey.value} of 5")
        if survey.recommend is not None:
            scores.append(f"likely to recommend {survey.recommend} of 10")
        about = f"Survey answer on the {survey.engagement.type.name.lower()}"
        entries[survey.pk] = TimelineEntry(
            kind="surveys",
            at=survey.answered_at or survey.created_at,
            who=survey.contact.name,
            summary=Truncator(f"{about}: {', '.join(scores)}" if scores else about).chars(SUMMARY_LENGTH),
            url=reverse("visits:engagement_detail", args=[survey.engagement_id])
            if survey.engagement_id in opens
            else "",
            quotes=tuple(survey.differently_quotes),
        )
    return entries


def account_action_rows(account: Account) -> QuerySet[ActionItem]:
    """The actions of the account's engagements."""
    return ActionItem.objects.filter(engagement__account=account)


def action_entries(reader: User, ids: Sequence[int]) -> dict[int, TimelineEntry]:
    """The actions ``ids``, with what the customer was told once closed,
    linked where ``reader`` may open them. Two queries."""
    actions = list(ActionItem.objects.filter(pk__in=ids).select_related("owner"))
    opens = set(actions_visible_to(reader).filter(pk__in=ids).values_list("pk", flat=True))
    entries = {}
    for action in actions:
        if action.is_open:
            state = f"{action.get_status_display().lower()}, due {action.due_on:%-d %b %Y}"
        else:
            state = action.get_status_display().lower()
        entries[action.pk] = TimelineEntry(
            kind="actions",
            at=action.closed_at or action.created_at,
            who=action.owner.full_name,
            summary=Truncator(f"{action.title} ({state})").chars(SUMMARY_LENGTH),
            url=reverse("feedback:action_detail", args=[action.pk]) if action.pk in opens else "",
            told="" if action.is_open else action.status_note,
        )
    return entries


timeline_kind(
    TimelineKind(
        slug="debriefs",
        label="Debriefs",
        rows=account_debrief_rows,
        at="submitted_at",
        entries=debrief_entries,
        position=20,
    )
)
timeline_kind(
    TimelineKind(
        slug="surveys",
        label="Survey answers",
        rows=account_survey_rows,
        at="answered_at",
        entries=survey_entries,
        position=30,
    )
)
# A closed action is dated when it was closed, which is when the customer
# heard what was done; an open one when it was raised.
timeline_kind(
    TimelineKind(
        slug="actions",
        label="Actions",
        rows=account_action_rows,
        at=Coalesce("closed_at", "created_at"),
        entries=action_entries,
        position=40,
    )
)
