from __future__ import annotations

import factory

from engagement.tests.factories import AccountFactory, ExecutiveFactory
from mentoring.models import Pairing


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    executive = factory.SubFactory(ExecutiveFactory)
    account = factory.SubFactory(AccountFactory)
    why_matched = "Talents the account needs"
