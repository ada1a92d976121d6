"""Inviting people, and accepting an invitation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from engagement.errors import ProgramError
from engagement.people.forms import InviteForm
from engagement.people.invitations import (
    invitation_accept,
    invitation_list,
    invitation_of,
    invitation_resend,
    invitation_user,
    login_never_used,
    user_invite,
)
from engagement.people.models import Level, User
from engagement.people.roles import Role, role_required

INVITATIONS_PAGE_SIZE = 25


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def invite(request: HttpRequest) -> HttpResponse:
    """Invite someone, and every invitation so far with whether it reached
    the mail server (sent, waiting to be retried and why, not sent)."""
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_invite(
                email=data["email"],
                full_name=data["full_name"],
                roles=[Role(value) for value in data["roles"]],
                invited_by=request.user,
                time_zone=data["time_zone"],
                title=data["title"],
                level=data["level"] or Level.VP,
                function=data["function"],
                manager=data["manager"],
            )
        except ProgramError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"{user.email} is invited: the email is on its way. Whether it was sent is shown below."
            )
            return redirect("engagement:invite")
    page = Paginator(invitation_list(), INVITATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "engagement/invite.html",
        {"form": form, "page": page, "invitation_days": settings.INVITATION_TIMEOUT_DAYS},
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.PROGRAM_ADMIN)
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then send the invitation of a login never used again,
    with a new link (POST)."""
    user = get_object_or_404(User.objects.filter(is_active=True), pk=pk)
    if request.method == "POST":
        try:
            resent = invitation_resend(user=user, by=request.user)
        except ProgramError as error:
            messages.error(request, str(error))
        else:
            if resent:
                messages.success(
                    request,
                    f"The invitation to {user.email} is on its way again, with a new link. "
                    "Whether it was sent is shown below.",
                )
            else:
                messages.info(request, f"The invitation to {user.email} is being sent at this moment.")
        return redirect("engagement:invite")
    return render(
        request,
        "engagement/invitation_resend.html",
        {
            "invited": user,
            "invitation": invitation_of(user=user),
            "never_used": login_never_used(user=user),
            "invitation_days": settings.INVITATION_TIMEOUT_DAYS,
        },
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Let an invited person choose a password, then sign them in."""
    user = invitation_user(token=token)
    if user is None:
        return render(request, "engagement/invitation_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Groundwork. Your password is set.")
        return redirect("home")
    return render(request, "engagement/invitation_accept.html", {"form": form, "invited_user": user})
