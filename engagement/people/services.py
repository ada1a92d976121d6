"""Writes about people: roles, their allauth address, their time zone."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from engagement.cadence.ledger import executive_contacts_redate
from engagement.people.models import Executive, User
from engagement.people.roles import ROLE_PERMISSIONS, Role

MANAGED_APPS = ("engagement", "visits", "feedback", "mentoring", "account", "django_celery_beat")


@transaction.atomic
def role_groups_ensure() -> None:
    """Create the role groups and give each exactly its permissions. Safe to
    repeat; five queries, however many roles and permissions there are."""
    names = [role.value for role in ROLE_PERMISSIONS]
    Group.objects.bulk_create([Group(name=name) for name in names], ignore_conflicts=True)
    group_ids = dict(Group.objects.filter(name__in=names).values_list("name", "pk"))
    permission_ids = {
        f"{app_label}.{codename}": pk
        for app_label, codename, pk in Permission.objects.values_list("content_type__app_label", "codename", "pk")
    }
    wanted = set()
    for role, codenames in ROLE_PERMISSIONS.items():
        if codenames == ["*"]:
            codenames = [name for name in permission_ids if name.split(".", 1)[0] in MANAGED_APPS]
        wanted |= {(group_ids[role.value], permission_ids[name]) for name in codenames if name in permission_ids}
    through = Group.permissions.through
    granted = {
        (group_id, permission_id): pk
        for pk, group_id, permission_id in through.objects.filter(group_id__in=group_ids.values()).values_list(
            "pk", "group_id", "permission_id"
        )
    }
    through.objects.filter(pk__in=[pk for key, pk in granted.items() if key not in wanted]).delete()
    through.objects.bulk_create(
        [through(group_id=group_id, permission_id=permission_id) for group_id, permission_id in wanted - granted.keys()]
    )


def user_email_address_sync(*, user: User) -> None:
    """Keep allauth's record of ``user``'s address in step with their email, as
    invitations do, for users made or changed in the admin: a new or changed
    address is recorded as primary and not yet verified."""
    primary = EmailAddress.objects.filter(user=user, primary=True).first()
    if primary is None:
        EmailAddress.objects.filter(user=user, email__iexact=user.email).delete()
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    elif primary.email.lower() != user.email.lower():
        EmailAddress.objects.filter(user=user, email__iexact=user.email).exclude(pk=primary.pk).delete()
        primary.email, primary.verified = user.email, False
        primary.save(update_fields=["email", "verified"])


def user_set_roles(*, user: User, roles: Iterable[Role]) -> None:
    """Give ``user`` exactly ``roles``. Program admins may open the Django admin."""
    roles = set(roles)
    groups = Group.objects.filter(name__in=[role.value for role in roles])
    user.groups.set(groups)
    is_staff = Role.PROGRAM_ADMIN in roles or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_groundwork_roles", None)


@transaction.atomic
def executive_time_zone_change(*, user: User, time_zone: str) -> None:
    """Change a user's time zone and redate their contacts in it."""
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    executive_ids = list(Executive.objects.filter(user=user).values_list("pk", flat=True))
    if executive_ids:
        executive_contacts_redate(executive_ids=executive_ids)
