from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from engagement.tests.factories import AccountFactory
from visits.models import Engagement, EngagementExecutive, EngagementType
from visits.services import engagement_contacts_sync


class EngagementTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementType
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Engagement type {n}")
    slug = factory.Sequence(lambda n: f"engagement-type-{n}")
    counts_toward_cadence = True


class EngagementFactory(factory.django.DjangoModelFactory):
    """An engagement; pass ``executives=[...]`` to have them attend.

    Held engagements made through this factory count as contact at once, the
    way the services make them count.
    """

    class Meta:
        model = Engagement
        skip_postgeneration_save = True

    account = factory.SubFactory(AccountFactory)
    type = factory.SubFactory(EngagementTypeFactory)
    status = Engagement.Status.COMPLETED
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    duration_minutes = 60
    objective = "Hear how the rollout is going"

    @factory.post_generation
    def executives(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if not create:
            return
        for index, executive in enumerate(extracted or []):
            EngagementExecutive.objects.create(
                engagement=self,
                executive=executive,
                role=EngagementExecutive.Role.LEAD if index == 0 else EngagementExecutive.Role.ATTENDEE,
            )
        engagement_contacts_sync(engagement_ids=[self.pk])
