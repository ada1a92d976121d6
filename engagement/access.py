"""Who may see which object: one helper per model, used by every view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from engagement.bounds import row_id
from engagement.models import Account, Contact, Executive, User
from engagement.roles import Role, user_roles


def get_executive_for_user(user: User) -> Executive:
    """The executive profile of ``user``; 404 when they have none."""
    executive = Executive.objects.select_related("user", "function", "manager__user").filter(user=user).first()
    if executive is None:
        raise Http404("No executive profile belongs to this login.")
    return executive


def executive_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Hand the view the signed-in executive's profile. Someone given the
    Executive role without a profile gets a page that says what is missing,
    not a 404."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            executive = get_executive_for_user(request.user)
        except Http404:
            return render(request, "engagement/no_executive_profile.html", status=403)
        return view(request, executive, *args, **kwargs)

    return wrapped


def object_view(lookup: Callable[[User, int], object], methods: tuple[str, ...]) -> Callable[..., Any]:
    """Hand the view the object ``lookup(user, pk)`` finds (it raises 404 for
    one the user may not see), answering 405 to other ``methods`` only after that."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
            # Whose it is first, the method after: someone who may not see the
            # object gets 404 whatever they send, and learns nothing.
            found = lookup(request.user, pk)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, found, *args, **kwargs)

        return wrapped

    return decorator


def accounts_served_by(user: User) -> QuerySet[Account]:
    """The accounts ``user`` manages or serves on the team of."""
    return Account.objects.filter(Q(account_manager=user) | Q(account_team=user)).distinct()


def get_account_for_user(user: User, pk: object, *, missing_ok: bool = False) -> Account | None:
    """The account ``pk`` if ``user`` serves it (a program admin: any account).
    A missing or unknown ``pk`` is a 404, or None with ``missing_ok``."""
    pk = row_id(pk)
    accounts = Account.objects.all() if Role.PROGRAM_ADMIN in user_roles(user) else accounts_served_by(user)
    account = accounts.filter(pk=pk).first() if pk is not None else None
    if account is None and not missing_ok:
        raise Http404("No such account among yours.")
    return account


# --- What each role may look up (the API reads through these) ---------------------


def executives_visible_to(user: User) -> QuerySet[Executive]:
    """The executives ``user`` may look up: a program admin every one; anyone
    else with a role the active ones, whom the colleague search of the quick
    log and the executive search of a request already offer them."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return Executive.objects.all()
    if roles:
        return Executive.objects.filter(active=True)
    return Executive.objects.none()


def contact_statuses_visible_to(user: User) -> QuerySet[Executive]:
    """The executives whose contact status ``user`` may read: a program admin
    everyone's (the Executives table), an executive their own (My contact)."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return Executive.objects.all()
    if Role.EXECUTIVE in roles:
        return Executive.objects.filter(user=user)
    return Executive.objects.none()


def accounts_visible_to(user: User) -> QuerySet[Account]:
    """The accounts ``user`` may look up: a program admin every one; an
    account manager those they serve; an executive every account not churned,
    which the quick log lets them search and choose from."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return Account.objects.all()
    visible = Q(pk__in=[])
    if Role.EXECUTIVE in roles:
        visible |= ~Q(status=Account.Status.CHURNED)
    if Role.ACCOUNT_MANAGER in roles:
        visible |= Q(pk__in=accounts_served_by(user).values("pk"))
    return Account.objects.filter(visible)


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """The customer contacts ``user`` may look up: a program admin every one;
    an account manager the people of the accounts they serve; an executive
    the active people of every account not churned (those the quick log
    offers once an account is chosen)."""
    roles = user_roles(user)
    if Role.PROGRAM_ADMIN in roles:
        return Contact.objects.all()
    visible = Q(pk__in=[])
    if Role.EXECUTIVE in roles:
        visible |= Q(active=True) & ~Q(account__status=Account.Status.CHURNED)
    if Role.ACCOUNT_MANAGER in roles:
        visible |= Q(account__in=accounts_served_by(user).values("pk"))
    return Contact.objects.filter(visible)
