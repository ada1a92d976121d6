from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from engagement.dashboards.views import home
from engagement.health import healthz
from engagement.web import installable

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    # At the root: a service worker's scope is the folder it is served from.
    path("sw.js", installable.service_worker, name="service_worker"),
    path("manifest.webmanifest", installable.manifest, name="web_manifest"),
    path("offline/", installable.offline, name="offline"),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("engagement.urls")),
    path("", include("visits.urls")),
    path("", include("feedback.urls")),
    path("", include("mentoring.urls")),
    path("", include("config.moved")),
    path("api/v1/", include("config.api")),
]

# Addresses no route takes: JSON under /api/, the HTML page elsewhere.
handler404 = "engagement.api.base.not_found"
