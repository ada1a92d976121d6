"""Groundwork as an app: the web manifest, the service worker and the offline
page answer anyone, with the right types and headers, under the same strict
Content-Security-Policy as every page."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory
from tests.test_security import cache_control, csp_directives


def strict(response) -> None:
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_manifest_makes_groundwork_installable_with_icons_that_exist(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    strict(response)
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == "Groundwork"
    assert manifest["start_url"] == manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#1f4e5f"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable"), ("any", "any")} <= sizes
    for icon in manifest["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert found, icon["src"]
        with open(found, "rb") as file:
            head = file.read(24)
        if icon["type"] == "image/png":
            width, height = int.from_bytes(head[16:20]), int.from_bytes(head[20:24])
            assert head.startswith(b"\x89PNG") and f"{width}x{height}" == icon["sizes"]
    assert manifest["shortcuts"][0]["url"] == reverse("visits:log_contact")


@pytest.mark.django_db
def test_the_service_worker_is_served_at_the_root_as_javascript_checked_at_every_visit(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "no-cache" in cache_control(response)
    assert response["Service-Worker-Allowed"] == "/"
    strict(response)
    code = response.content.decode()
    # Its code is in static files of the project, loaded from the same origin.
    assert 'importScripts("/static/js/offline-queue.js", "/static/js/service-worker.js")' in code
    config = json.loads(code.split("self.GROUNDWORK = ", 1)[1].split(";\n", 1)[0])
    assert config["offlinePage"] == "/offline/" and config["logPage"] == reverse("visits:log_contact")
    assert "/offline/" in config["shell"]
    for path in config["shell"][1:]:
        assert finders.find(path.removeprefix("/static/")), path


@pytest.mark.django_db
def test_the_offline_page_says_what_still_works_and_names_nobody():
    executive = ExecutiveFactory()
    signed_in = Client()
    signed_in.force_login(executive.user)

    anonymous = Client().get("/offline/")
    response = signed_in.get("/offline/")

    assert anonymous.status_code == response.status_code == 200
    strict(anonymous)
    page = anonymous.content.decode()
    assert "You are offline" in page
    assert "Logging a contact works without one" in page
    assert "data-offline-page" in page
    # Kept by the service worker for everyone on the phone: no navigation of anyone's.
    assert executive.user.full_name not in response.content.decode()


@pytest.mark.django_db
def test_every_page_links_the_manifest_and_its_scripts_and_says_who_is_signed_in(client):
    user = UserFactory(roles=[Role.EXECUTIVE])
    ExecutiveFactory(user=user)
    signed_out = client.get("/auth/login/").content.decode()
    client.force_login(user)
    signed_in = client.get(reverse("engagement:executive_home")).content.decode()

    for page in (signed_out, signed_in):
        assert '<link rel="manifest" href="/manifest.webmanifest">' in page
        assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in page
        assert 'data-service-worker="/sw.js"' in page
        assert '<script src="/static/js/offline.js" defer></script>' in page
    assert "data-signed-in" not in signed_out
    assert f'data-signed-in="{user.pk}"' in signed_in


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest", "/offline/"])
def test_the_app_files_refuse_a_post(client, path):
    assert client.post(path).status_code == 405
