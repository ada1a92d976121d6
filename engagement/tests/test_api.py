"""The API of the program's core: keys, roles, what each role sees of
executives, accounts, contacts and contact status, pages, bad input, throttling
and the schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.api import router
from engagement.accounts.models import Account
from engagement.api.models import ApiToken
from engagement.api.tokens import api_token_revoke
from engagement.cadence.selectors import executive_contact_status
from engagement.dashboards.standing import executive_standing
from engagement.people.roles import Role
from engagement.tests.factories import (
    AccountFactory,
    ContactFactory,
    ExecutiveFactory,
    UserFactory,
    api_key,
    contact_record,
)


def client_with(key: str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def client_of(user) -> APIClient:
    return client_with(api_key(user))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Keys ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_without_credentials_is_refused_with_401_saying_how_to_authenticate():
    response = client_with(None).get(reverse("api:account-list"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.django_db
def test_an_unknown_key_is_refused_with_401():
    UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_with("gw_not-a-key-anyone-made").get(reverse("api:account-list"))

    assert response.status_code == 401
    assert "does not work" in response.json()["detail"]


@pytest.mark.django_db
def test_a_malformed_authorization_header_is_refused_with_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")

    assert client.get(reverse("api:account-list")).status_code == 401


@pytest.mark.django_db
def test_a_revoked_key_stops_working_at_once():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    key = api_key(admin)
    client = client_with(key)
    assert client.get(reverse("api:account-list")).status_code == 200

    api_token_revoke(token=ApiToken.objects.get(user=admin), by=admin)

    assert client.get(reverse("api:account-list")).status_code == 401


@pytest.mark.django_db
def test_the_key_of_someone_who_can_no_longer_sign_in_is_refused_with_401():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client = client_of(admin)
    admin.is_active = False
    admin.save(update_fields=["is_active"])

    assert client.get(reverse("api:account-list")).status_code == 401


@pytest.mark.django_db
def test_only_a_hash_of_the_key_is_kept():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    key = api_key(admin)

    token = ApiToken.objects.get(user=admin)
    assert key.startswith("gw_") and len(key) > 40
    assert key not in {token.key_hash, token.prefix, token.name}
    assert key.startswith(token.prefix)


@pytest.mark.django_db
def test_someone_signed_in_without_a_role_is_refused_with_403():
    client = client_of(UserFactory())

    assert client.get(reverse("api:account-list")).status_code == 403
    assert client.get(reverse("api:engagement-list")).status_code == 403


@pytest.mark.django_db
def test_last_use_is_written_once_a_minute_not_on_every_request():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client = client_of(admin)
    url = reverse("api:engagement-type-list")

    client.get(url)
    first_use = ApiToken.objects.get(user=admin).last_used_at
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    token = ApiToken.objects.get(user=admin)
    token.last_used_at = timezone.now() - dt.timedelta(minutes=2)
    token.save(update_fields=["last_used_at"])
    client.get(url)

    assert first_use is not None
    assert not [query for query in again.captured_queries if query["sql"].startswith("UPDATE")]
    assert ApiToken.objects.get(user=admin).last_used_at > first_use


@pytest.mark.django_db
def test_a_signed_in_session_reads_the_api_too(client):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client.force_login(admin)

    response = client.get(reverse("api:account-list"), HTTP_ACCEPT="application/json")

    assert response.status_code == 200


@pytest.mark.django_db
def test_a_session_must_send_the_csrf_token_to_write():
    executive = ExecutiveFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(executive.user)

    response = client.post(reverse("api:engagement-list"), {}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.django_db
def test_the_audit_trail_names_the_keys_person_as_the_author(monkeypatch):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    authors = []
    monkeypatch.setattr("engagement.api.policy.audit_actor_set", authors.append)

    client_of(admin).get(reverse("api:account-list"))

    assert authors == [admin]


# --- What each role sees ----------------------------------------------------------------


@pytest.mark.django_db
def test_executives_are_listed_for_every_role_and_the_inactive_for_program_admins_only():
    active, gone = ExecutiveFactory(), ExecutiveFactory(active=False)
    admin, manager = UserFactory(roles=[Role.PROGRAM_ADMIN]), UserFactory(roles=[Role.ACCOUNT_MANAGER])
    url = reverse("api:executive-list")

    assert set(ids(client_of(admin).get(url))) == {active.pk, gone.pk}
    assert ids(client_of(manager).get(url)) == [active.pk]
    assert client_of(manager).get(reverse("api:executive-detail", args=[gone.pk])).status_code == 404


@pytest.mark.django_db
def test_an_executive_is_found_by_email_in_any_case():
    wanted = ExecutiveFactory(user=UserFactory(email="jordan.ellis@groundwork.example", roles=[Role.EXECUTIVE]))
    ExecutiveFactory()
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(reverse("api:executive-list"), {"email": "Jordan.Ellis@groundwork.example"})

    assert ids(response) == [wanted.pk]
    assert response.json()["results"][0]["email"] == "jordan.ellis@groundwork.example"


@pytest.mark.django_db
def test_accounts_are_those_the_pages_show_each_role():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    managed, on_team = AccountFactory(account_manager=manager), AccountFactory()
    on_team.account_team.add(manager)
    churned = AccountFactory(status=Account.Status.CHURNED)
    elsewhere = AccountFactory()
    executive, admin = ExecutiveFactory(), UserFactory(roles=[Role.PROGRAM_ADMIN])
    url = reverse("api:account-list")

    assert set(ids(client_of(manager).get(url))) == {managed.pk, on_team.pk}
    assert set(ids(client_of(executive.user).get(url))) == {managed.pk, on_team.pk, elsewhere.pk}
    assert set(ids(client_of(admin).get(url))) == {managed.pk, on_team.pk, churned.pk, elsewhere.pk}
    assert client_of(manager).get(reverse("api:account-detail", args=[elsewhere.pk])).status_code == 404
    assert client_of(executive.user).get(reverse("api:account-detail", args=[churned.pk])).status_code == 404


@pytest.mark.django_db
def test_an_account_is_found_by_its_crm_id():
    wanted = AccountFactory(crm_id="0015g00000XyZ")
    AccountFactory()
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(reverse("api:account-list"), {"crm_id": "0015g00000XyZ"})

    assert ids(response) == [wanted.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("crm_id", ["no-such-id", "with\x00nul", " 0015g00000XyZ"])
def test_a_crm_id_nobody_has_finds_nothing(crm_id):
    AccountFactory(crm_id="0015g00000XyZ")
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    for url_name in ("api:account-list", "api:contact-list"):
        assert ids(client_of(admin).get(reverse(url_name), {"crm_id": crm_id})) == []


@pytest.mark.django_db
def test_contacts_are_the_people_of_the_accounts_each_role_sees():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    theirs = ContactFactory(account=AccountFactory(account_manager=manager))
    gone = ContactFactory(account=theirs.account, active=False)
    elsewhere = ContactFactory()
    executive = ExecutiveFactory()
    url = reverse("api:contact-list")

    assert set(ids(client_of(manager).get(url))) == {theirs.pk, gone.pk}
    assert set(ids(client_of(executive.user).get(url))) == {theirs.pk, elsewhere.pk}
    assert set(ids(client_of(manager).get(url, {"account": theirs.account_id}))) == {theirs.pk, gone.pk}
    assert client_of(manager).get(reverse("api:contact-detail", args=[elsewhere.pk])).status_code == 404


# --- Contact status -----------------------------------------------------------------------


@pytest.mark.django_db
def test_an_executive_reads_their_own_contact_status_as_their_page_shows_it():
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=timezone.now() - dt.timedelta(days=40), duration_minutes=90)

    response = client_of(executive.user).get(reverse("api:executive-contact-status", args=[executive.pk]))

    status = executive_contact_status(executive=executive)
    assert response.status_code == 200
    assert response.json() == {
        "executive": executive.pk,
        "name": executive.name,
        "today": status.today.isoformat(),
        "state": "due_soon",
        "last_contact_on": status.last_contact_on.isoformat(),
        "days_since": 40,
        "due_on": status.due_on.isoformat(),
        "days_left": 2,
        "cadence_days": 42,
        "exposure_hours": 1.5,
        "exposure_hours_target": 2.0,
        "contacts_window_captured": 0,
        "contacts_window_confirmed": 0,
        "contacts_window_typed": 1,
        # One contact of a type that meets customers unfiltered (the default).
        "unfiltered_share_6m": 100,
        "unfiltered_share_12m": 100,
        "days_since_unfiltered": 40,
        "only_filtered_lately": False,
    }


@pytest.mark.django_db
def test_another_executives_contact_status_is_not_found_and_account_managers_are_refused():
    executive, colleague = ExecutiveFactory(), ExecutiveFactory()
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    url = reverse("api:executive-contact-status", args=[colleague.pk])

    assert client_of(executive.user).get(url).status_code == 404
    assert client_of(manager).get(url).status_code == 403
    assert client_of(manager).get(reverse("api:contact-status-list")).status_code == 403


@pytest.mark.django_db
def test_program_admins_list_every_executives_contact_status():
    never, recent = ExecutiveFactory(), ExecutiveFactory()
    contact_record(executive=recent, occurred_at=timezone.now() - dt.timedelta(days=3))
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    rows = client_of(admin).get(reverse("api:contact-status-list")).json()["results"]

    # One state everywhere: no contact yet is counted from joining (long ago
    # here), as the dashboards count it, and said by an empty last contact.
    assert {row["executive"]: (row["state"], row["last_contact_on"]) for row in rows} == {
        never.pk: ("escalated", None),
        recent.pk: ("on_track", (timezone.localdate() - dt.timedelta(days=3)).isoformat()),
    }
    assert dict(executive_standing().values_list("pk", "state")) == {never.pk: "escalated", recent.pk: "on_track"}
    assert client_of(recent.user).get(reverse("api:contact-status-list")).json()["count"] == 1


# --- Pages and bad input ----------------------------------------------------------------------


@pytest.mark.django_db
def test_lists_come_in_pages_with_links_to_the_next():
    AccountFactory.create_batch(5)
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client = client_of(admin)

    first = client.get(reverse("api:account-list"), {"page_size": 2}).json()
    last = client.get(first["next"].replace("http://testserver", "")).json()

    assert first["count"] == 5 and len(first["results"]) == 2
    assert last["previous"] is not None


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["0", "201", "ten", "-1"])
def test_a_page_size_out_of_range_is_refused_rather_than_replaced(size):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(reverse("api:account-list"), {"page_size": size})

    assert response.status_code == 400
    assert response.json()["errors"] == {"page_size": ["Give a whole number from 1 to 200."]}


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "first", "", "-2"])
def test_a_page_number_that_is_no_page_number_is_a_400(page):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(reverse("api:account-list"), {"page": page})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page"]


@pytest.mark.django_db
def test_an_empty_filter_value_is_refused_rather_than_read_as_no_filter():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(reverse("api:account-list"), {"status": ""})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


@pytest.mark.django_db
def test_a_page_past_the_last_is_not_found():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    assert client_of(admin).get(reverse("api:account-list"), {"page": 9}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "query", "parameter"),
    [
        ("api:executive-list", {"email": "not an email"}, "email"),
        ("api:account-list", {"status": "closed"}, "status"),
        ("api:account-list", {"kind": "supplier"}, "kind"),
        ("api:contact-list", {"account": "northwind"}, "account"),
        ("api:contact-list", {"account": "99999999999999999999"}, "account"),
    ],
)
def test_a_filter_value_that_means_nothing_is_a_400_naming_the_parameter(url_name, query, parameter):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(reverse(url_name), query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]


@pytest.mark.django_db
@pytest.mark.parametrize("pk", ["abc", "0", "99999999999999999999999", "1.5"])
def test_an_id_that_is_no_id_is_a_json_404(pk):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = client_of(admin).get(f"/api/v1/accounts/{pk}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/no-such-collection/", "/api/v1/accounts/1/no-such-action/", "/api/"])
@pytest.mark.parametrize("signed_in", [True, False], ids=["with a key", "without"])
def test_an_address_in_the_api_that_leads_nowhere_is_a_json_404(path, signed_in):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])

    response = (client_of(admin) if signed_in else client_with(None)).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["detail"]
    assert "no such address in the API" in response.json()["detail"]


@pytest.mark.django_db
def test_an_address_outside_the_api_that_leads_nowhere_is_still_the_html_page(client):
    client.force_login(UserFactory(roles=[Role.PROGRAM_ADMIN]))

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_an_unsupported_method_on_an_object_one_may_not_see_is_404_not_405():
    manager = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    theirs, elsewhere = AccountFactory(account_manager=manager), AccountFactory()
    client = client_of(manager)

    assert client.delete(reverse("api:account-detail", args=[elsewhere.pk])).status_code == 404
    refused = client.delete(reverse("api:account-detail", args=[theirs.pk]))
    assert refused.status_code == 405
    assert refused["Allow"] == "GET, HEAD, OPTIONS"


# --- Throttling ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_beyond_the_rate_are_refused_with_429_and_when_to_retry(settings):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    client = client_of(admin)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"}

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        answers = [client.get(reverse("api:engagement-type-list")) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "throttled" in answers[-1].json()["detail"]


@pytest.mark.django_db
def test_the_rate_is_per_person_whatever_key_they_use(settings):
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    first, second = client_of(admin), client_of(admin)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "2/minute"}

    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}):
        answers = [client.get(reverse("api:engagement-type-list")) for client in (first, second, first)]

    assert [answer.status_code for answer in answers] == [200, 200, 429]


# --- The schema and its docs ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_generates_without_a_warning(tmp_path: Path):
    schema = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))

    text = schema.read_text()
    assert "/api/v1/engagements/" in text and "bearerAuth" in text and "'429':" in text


@pytest.mark.django_db
def test_the_schema_is_served_to_a_key(settings):
    executive = ExecutiveFactory()

    response = client_of(executive.user).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/v1/engagements/{id}/" in response.json()["paths"]


@pytest.mark.django_db
def test_the_docs_are_a_page_for_people_signed_in(client):
    anonymous = client.get(reverse("api:docs"))
    client.force_login(ExecutiveFactory().user)

    page = client.get(reverse("api:docs"))
    script = client.get(reverse("api:docs") + "?script=")

    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("account_login"))
    assert page.status_code == 200
    assert b"<style" not in page.content and b"cdn" not in page.content.lower()
    assert b"/static/drf_spectacular_sidecar/" in page.content
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


PAGING = {"page", "page_size", "cursor"}


@pytest.mark.django_db
def test_each_list_documents_the_query_parameters_its_filterset_reads():
    admin = UserFactory(roles=[Role.PROGRAM_ADMIN])
    schema = client_of(admin).get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    documented, read = {}, {}
    for prefix, viewset, _basename in router.registry:
        operation = schema["paths"][f"/api/v1/{prefix}/"]["get"]
        documented[prefix] = {p["name"] for p in operation.get("parameters", [])} - PAGING
        filterset = getattr(viewset, "filterset_class", None)
        read[prefix] = set(filterset.base_filters) if filterset else set()

    assert documented == read
    assert documented["engagements"] == {"executive", "account", "from", "to", "status", "type"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "parameter"),
    [("api:contact-list", "account"), ("api:account-list", "crm_id"), ("api:executive-list", "email")],
)
def test_an_empty_filter_of_any_type_is_refused_and_named(url_name, parameter):
    response = client_of(UserFactory(roles=[Role.PROGRAM_ADMIN])).get(reverse(url_name), {parameter: ""})

    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: ["Give a value, or leave the parameter out."]}
