"""API tokens: program admins make a key for someone, see every key, and revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from engagement.api.forms import ApiTokenForm
from engagement.api.tokens import api_token_create, api_token_list, api_token_revoke
from engagement.delivery.links import absolute_url
from engagement.errors import ProgramError
from engagement.people.roles import Role, role_required

TOKENS_PER_PAGE = 50


@role_required(Role.PROGRAM_ADMIN)
@require_GET
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Every API key: whose, what for, when made and last used, and which are revoked."""
    page = Paginator(api_token_list(), TOKENS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "engagement/api_tokens/list.html", {"page": page})


@role_required(Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "POST"])
def api_token_create_view(request: HttpRequest) -> HttpResponse:
    """Make a key for someone; the key is shown on the answer to this POST and nowhere else."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = api_token_create(user=form.user, name=form.cleaned_data["name"], by=request.user)
        except ProgramError as error:
            form.add_error(None, str(error))
        else:
            response = render(
                request,
                "engagement/api_tokens/created.html",
                {"token": token, "key": key, "example_url": absolute_url(reverse("api:engagement-list"))},
            )
            # Only its hash is kept: no browser cache or back button may keep the key either.
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "engagement/api_tokens/create.html", {"form": form})


@role_required(Role.PROGRAM_ADMIN)
@require_http_methods(["GET", "POST"])
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask first (GET), then revoke (POST): the key stops working at once."""
    token = get_object_or_404(api_token_list(), pk=pk)
    if request.method == "POST":
        if api_token_revoke(token=token, by=request.user):
            messages.success(request, f"The key “{token.name}” of {token.user} is revoked: it no longer works.")
        else:
            messages.info(request, f"The key “{token.name}” of {token.user} was already revoked.")
        return redirect("engagement:api_tokens")
    return render(request, "engagement/api_tokens/revoke.html", {"token": token})
