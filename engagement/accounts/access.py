"""Who may see which account and contact: one rule, used by pages and the API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from engagement.accounts.models import Account, Contact
from engagement.bounds import row_id
from engagement.cadence.models import ExecutiveContact
from engagement.dates import local_today
from engagement.people.models import User
from engagement.people.roles import Role, user_roles


def accounts_served_by(user: User) -> QuerySet[Account]:
    """The accounts ``user`` manages or serves on the team of."""
    return Account.objects.filter(Q(account_manager=user) | Q(account_team=user)).distinct()


def get_account_for_user(user: User, pk: object, *, missing_ok: bool = False) -> Account | None:
    """The account ``pk`` if ``user`` serves it (a program admin: any account),
    to act for it. A missing or unknown ``pk`` is a 404, or None with ``missing_ok``."""
    pk = row_id(pk)
    accounts = Account.objects.all() if Role.PROGRAM_ADMIN in user_roles(user) else accounts_served_by(user)
    account = accounts.filter(pk=pk).first() if pk is not None else None
    if account is None and not missing_ok:
        raise Http404("No such account among yours.")
    return account


# An executive who met an account this recently may open its page.
MET_WITHIN_DAYS = 2 * 365


# Accounts the apps built on this one tie an executive to (``mentoring``: the
# accounts they sponsor). Each source takes the user and returns the ids of
# those accounts as a query (``.values("account_id")``), so that the rule below
# stays one query and this app imports none of them.
ExecutiveAccountSource = Callable[[User], QuerySet]


EXECUTIVE_ACCOUNT_SOURCES: list[ExecutiveAccountSource] = []


def executive_account_source(source: ExecutiveAccountSource) -> ExecutiveAccountSource:
    """Register ``source``: the accounts it returns are open to the executive, to read."""
    if source not in EXECUTIVE_ACCOUNT_SOURCES:
        EXECUTIVE_ACCOUNT_SOURCES.append(source)
    return source


def _accounts_of_executive(user: User) -> Q:
    """The accounts the executive ``user`` met in the last two years (a held
    engagement they attended), or is tied to by another app, as a condition
    on accounts."""
    since = local_today(user.time_zone) - dt.timedelta(days=MET_WITHIN_DAYS)
    met = ExecutiveContact.objects.filter(executive__user=user, executive__active=True, contact_on__gte=since)
    visible = Q(pk__in=met.values("account_id"))
    for source in EXECUTIVE_ACCOUNT_SOURCES:
        visible |= Q(pk__in=source(user))
    return visible


def account_visibility(user: User) -> Q | None:
    """Which accounts' pages ``user`` may open, as a condition on accounts;
    None when they may open all (a program admin). An account manager opens
    those they serve; an executive, to read, those they met in the last two
    years or sponsor. The page and the API both read it."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return None
    visible = Q(pk__in=[])
    if Role.ACCOUNT_MANAGER in roles:
        visible |= Q(pk__in=accounts_served_by(user).values("pk"))
    if Role.EXECUTIVE in roles:
        visible |= _accounts_of_executive(user)
    return visible


def accounts_open_to(user: User) -> QuerySet[Account]:
    """The accounts whose page ``user`` may open (``account_visibility``)."""
    visible = account_visibility(user)
    return Account.objects.all() if visible is None else Account.objects.filter(visible)


def get_account_to_read(user: User, pk: object) -> Account:
    """The account ``pk`` if ``user`` may open its page; 404 otherwise."""
    pk = row_id(pk)
    account = accounts_open_to(user).filter(pk=pk).first() if pk is not None else None
    if account is None:
        raise Http404("No such account among yours.")
    return account


@dataclass(frozen=True)
class AccountRights:
    """What one person may do with an account whose page they can open."""

    # Ask an executive for their time with it: the account team, or a program
    # admin. An executive who sponsors or met it only reads.
    manage: bool


def account_rights(user: User, account: Account) -> AccountRights:
    """What ``user`` may do with ``account``, whose page they can open."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return AccountRights(manage=True)
    if Role.ACCOUNT_MANAGER not in roles:
        return AccountRights(manage=False)
    # An account manager opens only the accounts they serve, unless they are
    # an executive too, who may open others to read.
    serves = Role.EXECUTIVE not in roles or accounts_served_by(user).filter(pk=account.pk).exists()
    return AccountRights(manage=serves)


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """The accounts ``user`` may look up: every one whose page they may open
    (``account_visibility``), and for an executive also every account not
    churned, which the quick log lets them search and choose from."""
    visible = account_visibility(user)
    if visible is None:
        return Account.objects.all()
    if Role.EXECUTIVE in user_roles(user):
        visible |= ~Q(status=Account.Status.CHURNED)
    return Account.objects.filter(visible)


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """The customer contacts ``user`` may look up: a program admin every one;
    an account manager the people of the accounts they serve; an executive
    the active people of every account not churned (those the quick log
    offers once an account is chosen) and of the accounts whose page they
    may open, which lists them."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return Contact.objects.all()
    visible = Q(pk__in=[])
    if Role.EXECUTIVE in roles:
        accounts = Account.objects.filter(~Q(status=Account.Status.CHURNED) | _accounts_of_executive(user))
        visible |= Q(active=True, account__in=accounts.values("pk"))
    if Role.ACCOUNT_MANAGER in roles:
        visible |= Q(account__in=accounts_served_by(user).values("pk"))
    return Contact.objects.filter(visible)
