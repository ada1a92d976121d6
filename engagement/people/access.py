"""Who may see which person: one helper per model, used by pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from engagement.people.models import Executive, User
from engagement.people.roles import Role, user_roles


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
