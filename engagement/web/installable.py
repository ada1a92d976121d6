"""Groundwork as an app on a phone: its web manifest, its service worker and
the page the service worker shows when there is no connection.

The service worker is answered here, at the root, rather than from
``/static/``: a worker's scope is the folder it is served from, and it must
cover every page. Its code stays in ``static/js/`` (no inline script, so the
Content-Security-Policy holds for it as for the pages); this answer only
names the files it loads and the pages it keeps for when the phone is offline.
"""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET

THEME_COLOUR = "#1f4e5f"

# What the service worker keeps when it is installed: the offline page and
# what it needs to look like Groundwork.
SHELL_STATIC = (
    "vendor/bootstrap-5.3.9/bootstrap.min.css",
    "vendor/bootstrap-5.3.9/bootstrap.bundle.min.js",
    "vendor/htmx-2.0.11/htmx.min.js",
    "css/groundwork.css",
    "js/offline-queue.js",
    "js/offline.js",
    "icons/icon-192.png",
)
WORKER_SCRIPTS = ("js/offline-queue.js", "js/service-worker.js")


@login_not_required
@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web manifest: what a phone needs to install Groundwork as an app."""
    icons = [
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        {"src": static("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
    ]
    body = {
        "id": "/",
        "name": "Groundwork",
        "short_name": "Groundwork",
        "description": "Every executive in touch with customers: log a contact, see where you stand.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": icons,
        "shortcuts": [{"name": "Log a contact", "url": reverse("visits:log_contact")}],
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker's entry: the files it loads and keeps, by their
    static addresses (hashed in production, so that a new release is a new
    worker and a fresh cache)."""
    config = {
        "shell": [reverse("offline"), *(static(path) for path in SHELL_STATIC)],
        "offlinePage": reverse("offline"),
        "logPage": reverse("visits:log_contact"),
    }
    scripts = [static(path) for path in WORKER_SCRIPTS]
    version = hashlib.sha256(json.dumps([config, scripts]).encode()).hexdigest()[:12]
    code = (
        "// Groundwork's service worker: its code is in the files below.\n"
        f"self.GROUNDWORK = {json.dumps({**config, 'version': version})};\n"
        f"importScripts({', '.join(json.dumps(script) for script in scripts)});\n"
    )
    response = HttpResponse(code, content_type="text/javascript; charset=utf-8")
    # Checked at every visit: a release reaches phones on their next page.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@login_not_required
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the app shows for a page it cannot reach without a connection."""
    return render(request, "offline.html")
