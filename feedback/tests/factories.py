from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from engagement.tests.factories import ContactFactory, UserFactory
from feedback.models import ActionItem, Debrief, Sentiment, Survey, Theme
from visits.tests.factories import EngagementFactory


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Theme {n}")


class HeldEngagementFactory(EngagementFactory):
    """A held engagement; pass ``executives=[...]`` (the first leads) and
    ``contacts=[...]`` for the customer contacts who attended."""

    @factory.post_generation
    def contacts(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.contacts.set(extracted)


class DebriefFactory(factory.django.DjangoModelFactory):
    """A submitted debrief."""

    class Meta:
        model = Debrief

    engagement = factory.SubFactory(HeldEngagementFactory)
    author = factory.SubFactory(UserFactory)
    heard = "“We waited three weeks for an answer.”"
    sentiment = Sentiment.MIXED
    status = Debrief.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)


class SurveyFactory(factory.django.DjangoModelFactory):
    """A survey sent today and not yet answered."""

    class Meta:
        model = Survey

    engagement = factory.SubFactory(HeldEngagementFactory)
    contact = factory.SubFactory(ContactFactory, account=factory.SelfAttribute("..engagement.account"))
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda survey: survey.sent_at and survey.sent_at + dt.timedelta(days=30))


class ActionItemFactory(factory.django.DjangoModelFactory):
    """An open action due in a week."""

    class Meta:
        model = ActionItem

    engagement = factory.SubFactory(HeldEngagementFactory)
    title = factory.Sequence(lambda n: f"Send the revised onboarding plan ({n})")
    owner = factory.SubFactory(UserFactory)
    created_by = factory.SubFactory(UserFactory)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
