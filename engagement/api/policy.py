"""How every call of the API is authenticated, let through, throttled and
paginated. The settings name these classes; DRF loads them while it loads
its own views, so this module imports none (the endpoints are in
``<app>/api.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import exceptions, renderers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from engagement.api.models import ApiToken
from engagement.api.tokens import api_token_for_key, api_token_mark_used
from engagement.audit.trail import audit_actor_set
from engagement.bounds import row_id
from engagement.people.models import User
from engagement.people.roles import EVERY_ROLE, has_role
from engagement.web.ratelimit import client_address

# --- Authentication -----------------------------------------------------------------


class BearerTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>`` with a key from API tokens. A request
    without the header is left to the next authentication (the session); one
    with a key that does not work is refused with 401, whatever else it
    carries."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as “Authorization: Bearer <key>”.")
        # latin-1 reads any bytes: a key with other characters is simply unknown.
        token = api_token_for_key(key=parts[1].decode("latin-1"))
        if token is None:
            raise exceptions.AuthenticationFailed(
                "This key does not work: it is unknown, revoked, or its person can no longer sign in."
            )
        api_token_mark_used(token=token)
        # The audit middleware saw nobody signed in; the key's person is the author.
        audit_actor_set(token.user)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes a refusal without credentials a 401 that says how to authenticate.
        return 'Bearer realm="api"'


# --- Who may call what --------------------------------------------------------------


class HasRole(BasePermission):
    """Signed in (by key or session) and holding one of the roles the view
    names for its action; anyone else is refused: 401 without credentials,
    403 with them. Which objects they see is the view's queryset's business."""

    message = "Your role does not include this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        # A view that names no roles (the API's root: links only) is for every role.
        roles = getattr(view, "roles_by_action", {}).get(
            getattr(view, "action", None), getattr(view, "roles", EVERY_ROLE)
        )
        return has_role(request.user, *roles)


# --- The browsable API -----------------------------------------------------------


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages for a signed-in person, under the site's CSP: without
    the <style> element of its code colours, nor the menu of extra actions it
    places with style attributes (the docs list those calls)."""

    def get_context(self, data: Any, accepted_media_type: str, renderer_context: Mapping[str, Any]) -> dict[str, Any]:
        context = super().get_context(data, accepted_media_type, renderer_context)
        context["code_style"] = None
        return context

    def get_extra_actions(self, view: Any, status_code: int) -> None:
        return None


# --- Throttling ---------------------------------------------------------------------


class UserThrottle(UserRateThrottle):
    """Requests per person (whichever key or session they come by)."""

    def get_rate(self) -> str | None:
        # Read at each request rather than when the class was defined, so that
        # the rates follow the settings (and a test's override of them).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Request) -> str:
        # The site's one reading of the client's address (TRUSTED_PROXY_COUNT),
        # rather than DRF's own NUM_PROXIES.
        return client_address(request)


class AnonThrottle(AnonRateThrottle):
    """Requests per address from callers without credentials."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request: Request) -> str:
        return client_address(request)


# --- Pagination -----------------------------------------------------------------------

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_size_of(request: Request, *, default: int = PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """``page_size`` from the query, or ``default``. A value that is not a
    whole number from 1 to ``maximum`` is refused rather than replaced, so
    that nobody reads another page size than they asked for."""
    value = request.query_params.get("page_size")
    if value is None:
        return default
    size = row_id(value)
    if size is None or not 1 <= size <= maximum:
        raise exceptions.ValidationError({"page_size": [f"Give a whole number from 1 to {maximum}."]})
    return size


def _bounded(parameters: list[dict[str, Any]], bounds: Mapping[str, tuple[int, int | None]]) -> list[dict[str, Any]]:
    for parameter in parameters:
        if parameter["name"] in bounds:
            low, high = bounds[parameter["name"]]
            parameter["schema"]["minimum"] = low
            if high is not None:
                parameter["schema"]["maximum"] = high
    return parameters


class PagePagination(PageNumberPagination):
    """Numbered pages of 50 (``page_size`` up to 200), with the total count."""

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return page_size_of(request, default=self.page_size, maximum=self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> int:
        value = request.query_params.get(self.page_query_param)
        if value is None:
            return 1
        if not (value.isascii() and value.isdigit()) or int(value) < 1:
            raise exceptions.ValidationError({self.page_query_param: ["Give a page number: 1 or more."]})
        # A number past the last page (however large) is answered 404 by the paginator.
        return int(value)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _bounded(super().get_schema_operation_parameters(view), {"page": (1, None), "page_size": (1, 200)})


class NewestFirstCursorPagination(CursorPagination):
    """Pages that follow each other by an opaque cursor, newest first: no
    count of the whole table, and no page that shifts as rows are added."""

    ordering = ("-starts_at", "-pk")
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = "This cursor is not one the API gave: follow the next and previous links."

    def get_page_size(self, request: Request) -> int:
        return page_size_of(request, default=self.page_size, maximum=self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return _bounded(super().get_schema_operation_parameters(view), {"page_size": (1, 200)})
