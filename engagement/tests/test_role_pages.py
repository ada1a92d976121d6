"""Who lands where, what each role's menu offers, and who may open which page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from engagement.people.models import Executive
from engagement.people.roles import Role
from engagement.tests.factories import (
    PASSWORD,
    AccountFactory,
    ExecutiveFactory,
    UserFactory,
    contact_record,
)

ROLE_HOMES = {
    Role.PROGRAM_ADMIN: "engagement:program_home",
    Role.ACCOUNT_MANAGER: "engagement:account_manager_home",
    Role.EXECUTIVE: "engagement:executive_home",
}
# The menu links each role brings; nobody sees another role's.
ROLE_LINKS = {
    Role.EXECUTIVE: {"engagement:executive_home"},
    Role.ACCOUNT_MANAGER: {"engagement:account_manager_home"},
    Role.PROGRAM_ADMIN: {"engagement:program_home", "engagement:invite", "admin:index"},
}
ROLE_PAGES = {
    "engagement:executive_home": Role.EXECUTIVE,
    "engagement:account_manager_home": Role.ACCOUNT_MANAGER,
    "engagement:program_home": Role.PROGRAM_ADMIN,
    "engagement:invite": Role.PROGRAM_ADMIN,
}


def person_with(*roles: Role):
    """A user holding ``roles``; with the executive role, an executive profile too."""
    if Role.EXECUTIVE in roles:
        return ExecutiveFactory(user=UserFactory(roles=list(roles))).user
    return UserFactory(roles=list(roles))


def project_pages() -> list[str]:
    """Every page of the project's own apps that takes no parameter (allauth's
    and the admin's pages are tested by name)."""
    pages = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = pattern.urlconf_name
                module_name = module if isinstance(module, str) else getattr(module, "__name__", "")
                # The API answers programs, 401 without a key (tests/test_access_matrix.py).
                if pattern.namespace in ("admin", "api") or module_name.startswith("allauth"):
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif not pattern.pattern.regex.groups:
                pages.append("/" + prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return pages


# Public by design, holding no program data: the health check, and what a phone needs to install the app and to
# say it is offline (engagement/tests/test_installable.py checks each).
PUBLIC_PAGES = {"/healthz", "/sw.js", "/manifest.webmanifest", "/offline/"}


def menu_links(html: str) -> set[str]:
    """The hrefs of the main navigation, as URL names of the role pages."""
    nav = re.search(r'<nav[^>]*aria-label="Main"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "the page has no main navigation"
    hrefs = set(re.findall(r'href="([^"]+)"', nav.group(1)))
    names = {name for links in ROLE_LINKS.values() for name in links}
    return {name for name in names if reverse(name) in hrefs}


def table_row(html: str, text: str) -> str:
    """The text of the one table row that mentions ``text``."""
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.S) if text in row]
    assert len(rows) == 1, f"expected one row with {text!r}, found {len(rows)}"
    return " ".join(re.sub(r"<[^>]+>", " ", rows[0]).split())


# --- Landing after sign-in -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("roles", "home"),
    [
        ([Role.PROGRAM_ADMIN], "engagement:program_home"),
        ([Role.ACCOUNT_MANAGER], "engagement:account_manager_home"),
        ([Role.EXECUTIVE], "engagement:executive_home"),
        ([Role.EXECUTIVE, Role.ACCOUNT_MANAGER, Role.PROGRAM_ADMIN], "engagement:program_home"),
        ([Role.EXECUTIVE, Role.PROGRAM_ADMIN], "engagement:program_home"),
        ([Role.EXECUTIVE, Role.ACCOUNT_MANAGER], "engagement:account_manager_home"),
    ],
    ids=["program-admin", "account-manager", "executive", "all-three", "executive-admin", "executive-manager"],
)
def test_signing_in_lands_on_the_home_of_the_first_role(client, roles, home):
    user = person_with(*roles)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse(home)
    assert response.wsgi_request.user == user


@pytest.mark.django_db
def test_signing_in_with_the_email_in_capitals_works(client):
    user = person_with(Role.ACCOUNT_MANAGER)

    response = client.post(reverse("account_login"), {"login": user.email.upper(), "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("engagement:account_manager_home")


@pytest.mark.django_db
def test_wrong_password_does_not_sign_in(client):
    user = person_with(Role.EXECUTIVE)

    response = client.post(reverse("account_login"), {"login": user.email, "password": "not-the-password"})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_home_redirects_to_the_roles_home(client, role):
    client.force_login(person_with(role))

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url == reverse(ROLE_HOMES[role])


@pytest.mark.django_db
def test_user_without_a_role_sees_the_no_role_page(client):
    user = UserFactory()

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "has no role in the program yet" in response.content.decode()
    assert menu_links(response.content.decode()) == set()


@pytest.mark.django_db
def test_inactive_user_cannot_sign_in(client):
    user = UserFactory(roles=[Role.PROGRAM_ADMIN], is_active=False)

    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session


# --- Menus -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_menu_shows_only_the_links_of_the_users_role(client, role):
    client.force_login(person_with(role))

    response = client.get(reverse(ROLE_HOMES[role]))

    assert response.status_code == 200
    assert menu_links(response.content.decode()) == ROLE_LINKS[role]


@pytest.mark.django_db
def test_menu_of_a_user_with_several_roles_shows_each_roles_links(client):
    client.force_login(person_with(Role.EXECUTIVE, Role.ACCOUNT_MANAGER))

    response = client.get(reverse("engagement:executive_home"))

    assert menu_links(response.content.decode()) == {
        "engagement:executive_home",
        "engagement:account_manager_home",
    }


# --- Who may open what -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "role"),
    [(page, role) for page, allowed in ROLE_PAGES.items() for role in Role if role != allowed],
)
def test_wrong_role_is_refused_with_403(client, page, role):
    client.force_login(person_with(role))

    response = client.get(reverse(page))

    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(ROLE_PAGES))
def test_user_without_a_role_is_refused_with_403(client, page):
    client.force_login(UserFactory())

    response = client.get(reverse(page))

    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("page", list(ROLE_PAGES))
def test_right_role_opens_the_page(client, page):
    client.force_login(person_with(ROLE_PAGES[page]))

    assert client.get(reverse(page)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["account_change_password", "account_set_password", "account_email", "account_reauthenticate"]
)
def test_anonymous_visitor_of_an_account_page_is_sent_to_sign_in(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert f"next={url}" in response.url


@pytest.mark.django_db
@pytest.mark.parametrize("url", [url for url in project_pages() if url not in PUBLIC_PAGES])
def test_anonymous_visitor_of_any_project_page_is_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login") + "?next=")


def test_every_project_page_is_checked_for_anonymous_visitors():
    pages = project_pages()

    assert {"/", "/healthz", reverse("engagement:program_home"), reverse("engagement:invite")} <= set(pages)


@pytest.mark.django_db
def test_anonymous_visitor_cannot_post_an_invitation(client):
    response = client.post(reverse("engagement:invite"), {"email": "new@groundwork.example"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/healthz",
        "/auth/login/",
        "/auth/password/reset/",
        "/auth/password/reset/done/",
        "/auth/signup/",
    ],
)
def test_public_pages_open_without_signing_in(client, url):
    response = client.get(url)

    assert response.status_code == 200


@pytest.mark.django_db
def test_invitation_page_opens_without_signing_in(client):
    response = client.get(reverse("engagement:invitation_accept", kwargs={"token": "not-a-token"}))

    # Not a redirect to sign in: the page itself says the link is not valid.
    assert response.status_code == 400
    assert "This invitation link cannot be used" in response.content.decode()


# --- Executive home ---------------------------------------------------------------


@pytest.mark.django_db
def test_executive_home_shows_their_own_days_since_last_contact_and_state(client):
    executive = ExecutiveFactory()
    contact_record(executive=executive, occurred_at=timezone.now() - dt.timedelta(days=37), duration_minutes=90)
    someone_else = ExecutiveFactory()
    contact_record(executive=someone_else, occurred_at=timezone.now() - dt.timedelta(days=3))
    client.force_login(executive.user)

    html = client.get(reverse("engagement:executive_home")).content.decode()

    assert re.search(r'class="status-figure mb-0">\s*37\s*<', html)
    assert "Due soon" in html
    assert "in 5 days" in html
    assert "1.5 of 2.0 hours" in html
    assert "short of the target" in html


@pytest.mark.django_db
def test_executive_home_of_an_executive_with_no_contact_says_so(client):
    executive = ExecutiveFactory(joined_on=timezone.localdate() - dt.timedelta(days=10))
    client.force_login(executive.user)

    html = client.get(reverse("engagement:executive_home")).content.decode()

    assert "No customer contact logged yet." in html
    assert "On track" in html  # ten days since joining
    assert "since you joined the program" in html
    assert "in 32 days" in html


@pytest.mark.django_db
def test_executive_home_lists_their_recent_contacts(client):
    executive = ExecutiveFactory()
    account = AccountFactory(name="Northwind Traders")
    contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=2))
    contact_record(
        executive=ExecutiveFactory(),
        account=AccountFactory(name="Contoso"),
        occurred_at=timezone.now() - dt.timedelta(days=1),
    )
    client.force_login(executive.user)

    html = client.get(reverse("engagement:executive_home")).content.decode()

    assert "Northwind Traders" in html
    assert "Contoso" not in html


# --- Program home -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_executives_table_shows_every_executives_state(client):
    now = timezone.now()
    on_track = ExecutiveFactory(user=UserFactory(full_name="Ada On-Track"))
    contact_record(executive=on_track, occurred_at=now - dt.timedelta(days=4))
    overdue = ExecutiveFactory(user=UserFactory(full_name="Bob Overdue"))
    contact_record(executive=overdue, occurred_at=now - dt.timedelta(days=50))
    escalated = ExecutiveFactory(user=UserFactory(full_name="Cy Escalated"))
    contact_record(executive=escalated, occurred_at=now - dt.timedelta(days=80))
    ExecutiveFactory(user=UserFactory(full_name="Di Never"))
    ExecutiveFactory(user=UserFactory(full_name="Ed Departed"), active=False)
    client.force_login(person_with(Role.PROGRAM_ADMIN))

    html = client.get(reverse("engagement:executives")).content.decode()

    assert "4 executives." in html
    assert "On track" in table_row(html, "Ada On-Track")
    assert " 4 " in table_row(html, "Ada On-Track")
    assert "Overdue" in table_row(html, "Bob Overdue")
    assert " 50 " in table_row(html, "Bob Overdue")
    assert "Escalated" in table_row(html, "Cy Escalated")
    assert " 80 " in table_row(html, "Cy Escalated")
    assert "No contact yet" in table_row(html, "Di Never")
    assert "Ed Departed" not in html


@pytest.mark.django_db
def test_the_executives_table_shows_fifty_executives_a_page(client):
    for index in range(51):
        ExecutiveFactory(user=UserFactory(full_name=f"Executive {index:02d}"))
    client.force_login(person_with(Role.PROGRAM_ADMIN))

    first = client.get(reverse("engagement:executives"), {"sort": "name"}).content.decode()
    second = client.get(reverse("engagement:executives"), {"sort": "name", "page": 2}).content.decode()

    assert "51 executives." in first
    assert len(re.findall(r"Executive \d\d<br>", first)) == 50
    assert "Page 1 of 2" in first
    assert re.findall(r"Executive \d\d<br>", second) == ["Executive 50<br>"]
    assert "Page 2 of 2" in second


@pytest.mark.django_db
def test_program_home_takes_as_many_queries_for_30_executives_as_for_3(client):
    admin = person_with(Role.PROGRAM_ADMIN)
    client.force_login(admin)

    def queries_with(count: int) -> int:
        Executive.objects.all().delete()
        for index in range(count):
            executive = ExecutiveFactory()
            contact_record(executive=executive, occurred_at=timezone.now() - dt.timedelta(days=index))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("engagement:program_home"))
        assert response.status_code == 200
        assert f"{count} active executives" in response.content.decode()
        return len(queries)

    assert queries_with(3) == queries_with(30)


# --- Account manager home ------------------------------------------------------------


@pytest.mark.django_db
def test_account_manager_home_lists_only_their_accounts_with_executive_coverage(client):
    manager = person_with(Role.ACCOUNT_MANAGER)
    managed = AccountFactory(name="Fabrikam", account_manager=manager)
    served = AccountFactory(name="Tailspin Toys")
    served.account_team.add(manager)
    AccountFactory(name="Litware")
    for executive in (ExecutiveFactory(), ExecutiveFactory()):
        contact_record(executive=executive, account=managed, occurred_at=timezone.now() - dt.timedelta(days=20))
    client.force_login(manager)

    html = client.get(reverse("engagement:account_manager_home")).content.decode()

    assert "2 accounts you manage or serve on" in html
    assert table_row(html, "Fabrikam").endswith(" 2 Request an executive")
    assert "Never" in table_row(html, "Tailspin Toys")
    assert "Litware" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["engagement:executive_home", "visits:log_contact"])
def test_an_executive_without_a_profile_is_told_what_is_missing(client, url_name):
    client.force_login(UserFactory(roles=[Role.EXECUTIVE]))

    response = client.get(reverse(url_name))

    assert response.status_code == 403
    assert "Your executive profile is not set up yet" in response.content.decode()
