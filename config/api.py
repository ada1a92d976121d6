"""The API's URLs, mounted at /api/v1/: each app's collections, the OpenAPI
schema and its docs. Each app builds its own endpoints (``<app>/api.py``);
they meet only here, so that ``engagement`` imports none of the others."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from engagement.api.base import AccountViewSet, ContactStatusViewSet, ContactViewSet, ExecutiveViewSet
from feedback.api import ActionLoopViewSet, ActionViewSet, DebriefViewSet
from mentoring.api import PairingViewSet, SponsorshipImpactViewSet
from visits.api import EngagementTypeViewSet, EngagementViewSet

app_name = "api"


class Router(DefaultRouter):
    # JSON is the one format: no ".json" twin of every URL.
    include_format_suffixes = False


router = Router()
router.register("executives", ExecutiveViewSet, basename="executive")
router.register("contact-statuses", ContactStatusViewSet, basename="contact-status")
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("engagement-types", EngagementTypeViewSet, basename="engagement-type")
router.register("engagements", EngagementViewSet, basename="engagement")
router.register("debriefs", DebriefViewSet, basename="debrief")
router.register("actions", ActionViewSet, basename="action")
router.register("action-loop", ActionLoopViewSet, basename="action-loop")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("sponsorship-impact", SponsorshipImpactViewSet, basename="sponsorship-impact")

urlpatterns = [
    # Anyone signed in (by key or session) may read the schema: it describes
    # the API, and holds no program data.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="schema"),
    # A page for people: signed in through the site like every other page.
    # The split view serves its script from this address too, so the
    # Content-Security-Policy holds as it is (scripts and styles from 'self').
    path(
        "docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html", permission_classes=[IsAuthenticated]
            )
        ),
        name="docs",
    ),
    *router.urls,
]
