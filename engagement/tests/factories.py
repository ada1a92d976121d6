from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.contrib.auth.models import Group

from engagement.accounts.models import Account, Contact
from engagement.api.tokens import api_token_create
from engagement.cadence.ledger import ContactFact, executive_contacts_replace
from engagement.cadence.models import ExecutiveContact, Program
from engagement.cadence.rule import episode_start
from engagement.people.models import Executive, Function, Level, Skill, User
from engagement.people.roles import Role
from engagement.people.services import user_set_roles
from engagement.reminders.models import Reminder

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@groundwork.example")
    full_name = factory.Faker("name")
    time_zone = "UTC"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: object) -> None:
        """``UserFactory(roles=[Role.ACCOUNT_MANAGER])`` gives the user those roles."""
        if create and extracted:
            user_set_roles(user=self, roles=extracted)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Skill {n}")


class FunctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Function
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Function {n}")


class ExecutiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Executive
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, roles=[Role.EXECUTIVE])
    title = "VP Customer Success"
    level = Level.VP
    # Long before any test's clock: the cadence counts from the later of the
    # last contact and joining, and a test about contacts means them to count.
    joined_on = dt.date(2020, 1, 6)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n} Ltd")
    kind = Account.Kind.CUSTOMER
    tier = Account.Tier.KEY
    industry = "Manufacturing"
    region = "EMEA"
    crm_id = factory.Sequence(lambda n: f"CRM-{n:06d}")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    title = "Head of Operations"
    level = Level.MANAGER
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")


def group(role: Role) -> Group:
    return Group.objects.get(name=role.value)


_contact_engagement_ids = itertools.count(900_000_000)


def contact_record(
    *,
    executive: Executive,
    occurred_at: dt.datetime,
    duration_minutes: int = 60,
    account: Account | None = None,
) -> ExecutiveContact:
    """Record one customer contact of ``executive`` through the program's
    ledger, the way ``visits`` records a held engagement."""
    engagement_id = next(_contact_engagement_ids)
    executive_contacts_replace(
        engagement_ids=[engagement_id],
        contacts=[
            ContactFact(
                engagement_id=engagement_id,
                executive_id=executive.pk,
                account_id=(account or AccountFactory()).pk,
                occurred_at=occurred_at,
                duration_minutes=duration_minutes,
            )
        ],
    )
    return ExecutiveContact.objects.get(engagement_id=engagement_id, executive=executive)


def overdue_reminder_sent(*, executive: Executive, at: dt.datetime) -> Reminder:
    """``executive``'s own overdue reminder of their current episode, as the
    engine records it once sent at ``at``: what an escalation waits for."""
    executive.refresh_from_db(fields=["last_contact_on", "joined_on"])
    start = episode_start(last_contact_on=executive.last_contact_on, joined_on=executive.joined_on)
    return Reminder.objects.create(
        recipient=executive.user,
        kind=Reminder.Kind.OVERDUE,
        episode=f"executive:{executive.pk}:{start.isoformat()}:0",
        executive=executive,
        reason="1 day past the window.",
        status=Reminder.Status.SENT,
        due_at=at,
        sent_at=at,
        created_at=at,
    )


def api_key(user: User, *, name: str = "CRM sync") -> str:
    """A working API key of ``user``, made the way a program admin makes one."""
    _, key = api_token_create(user=user, name=name, by=user)
    return key
