"""Closing the loop: the actions routed to another function, counted by
function, each figure opening the actions it counts, in the list, its CSV,
the API, and the queue of the executive who leads the function."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, FunctionFactory, UserFactory, api_key
from feedback.models import ActionItem
from feedback.selectors import loop_figures
from feedback.tests.factories import ActionItemFactory

OPEN, IN_PROGRESS, DONE, WONT_DO = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS, ActionItem.Status.DONE,
                                    ActionItem.Status.WONT_DO)  # fmt: skip


def noon(days_ago: int) -> dt.datetime:
    """Noon UTC ``days_ago`` days before today: the people here read in UTC."""
    day = timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def routed(function, title: str, *, raised: int, due_in: int = 7, told: int | None = None, status=OPEN, **more):
    """An action routed to ``function``, raised ``raised`` days ago, due in
    ``due_in`` days; closed ``told`` days ago with what the customer was told."""
    closed = told is not None
    return ActionItemFactory(
        title=title,
        function=function,
        owner=function.lead.user if function else UserFactory(),
        created_at=noon(raised),
        due_on=today() + dt.timedelta(days=due_in),
        status=status if not closed or status in ActionItem.CLOSED_STATUSES else DONE,
        status_note="Told the customer what we did." if closed else "",
        closed_at=noon(told) if closed else None,
        **more,
    )


@pytest.fixture
def loop():
    """Service (led by Morgan Blake) and Finance (led by Riley Chen), each
    with routed actions; one action not routed at all."""
    morgan = ExecutiveFactory(user=UserFactory(full_name="Morgan Blake", roles=[Role.EXECUTIVE]))
    riley = ExecutiveFactory(user=UserFactory(full_name="Riley Chen", roles=[Role.EXECUTIVE]))
    service = FunctionFactory(name="Service", lead=morgan)
    finance = FunctionFactory(name="Finance", lead=riley)
    made = {
        # Service: two open (one overdue), two closed this year (10 and 4 days
        # to tell the customer), one closed long ago.
        "late repairs": routed(service, "Call back about late repairs", raised=40, due_in=-1),
        "spare parts": routed(service, "Ship the spare parts", raised=10, status=IN_PROGRESS),
        "engineer": routed(service, "Send an engineer", raised=30, told=20),
        "loan unit": routed(service, "Lend a unit", raised=50, told=46, status=WONT_DO),
        "old": routed(service, "Fix the old hotline", raised=600, due_in=-550, told=500),
        # Finance: one open on time, three closed (3, 1 and 20 days).
        "credit note": routed(finance, "Issue the credit note", raised=5, due_in=3),
        "invoices": routed(finance, "Correct the invoices", raised=20, told=17),
        "refund": routed(finance, "=Refund the fee", raised=9, told=8),
        "terms": routed(finance, "Explain the payment terms", raised=100, told=80),
        # Not routed: owed by a person, overdue, never counted here.
        "mine": routed(None, "Send the deck", raised=60, due_in=-5),
    }
    return {"service": service, "finance": finance, "morgan": morgan, "riley": riley, **made}


@pytest.fixture
def admin():
    return UserFactory(roles=[Role.PROGRAM_ADMIN])


def listed(client, **params) -> list[str]:
    """The titles the routed actions list shows for ``params``."""
    page = client.get(reverse("feedback:actions"), {"tab": "routed", **params}).content.decode()
    return re.findall(r'class="fw-semibold" href="/[^"]*">([^<]+)</a>', page)


@pytest.mark.django_db
def test_the_figures_count_each_functions_routed_actions(loop, admin):
    figures = loop_figures(user=admin)

    finance, service = figures.rows
    assert (finance.name, finance.lead, finance.open, finance.overdue, finance.closed) == (
        "Finance",
        "Riley Chen",
        1,
        0,
        3,
    )
    assert finance.median_days == 3  # of 3, 1 and 20
    assert (finance.oldest, finance.oldest_age_days) == (loop["credit note"], 5)
    assert (service.name, service.lead, service.open, service.overdue, service.closed) == (
        "Service",
        "Morgan Blake",
        2,
        1,
        2,
    )
    assert service.median_days == 7  # of 10 and 4; the one closed 500 days ago is not counted
    assert (service.oldest, service.oldest_age_days) == (loop["late repairs"], 40)
    totals = figures.totals
    assert (totals.open, totals.overdue, totals.closed) == (3, 1, 5)
    assert totals.median_days == 4  # of 10, 4, 3, 1 and 20
    assert (totals.oldest, totals.oldest_age_days) == (loop["late repairs"], 40)


@pytest.mark.django_db
def test_a_function_with_nothing_to_count_has_no_row_and_no_median(admin):
    service = FunctionFactory(name="Service", lead=ExecutiveFactory())
    routed(service, "Fix the old hotline", raised=600, due_in=-550, told=500)

    figures = loop_figures(user=admin)

    assert figures.rows == []
    assert (figures.totals.open, figures.totals.median_days, figures.totals.oldest) == (0, None, None)


@pytest.mark.django_db
def test_the_page_shows_the_figures_and_each_opens_exactly_the_actions_it_counts(client, loop, admin):
    client.force_login(admin)
    page = client.get(reverse("feedback:loop")).content.decode()
    service, finance = loop["service"].pk, loop["finance"].pk
    base = reverse("feedback:actions")

    assert "Closing the loop" in page
    assert f'href="{base}?tab=routed&amp;function={service}&amp;state=overdue">1</a>' in page
    assert f'href="{base}?tab=routed&amp;function={finance}&amp;state=closed">3</a>' in page
    assert f'href="{base}?tab=routed&amp;state=open">3</a>' in page  # the totals row
    assert f'href="{base}?tab=routed&amp;function={service}&amp;state=closed">7</a>' in page  # the median
    assert reverse("feedback:action_detail", args=[loop["late repairs"].pk]) in page
    assert "40 days old" in page
    assert listed(client, function=service, state="overdue") == ["Call back about late repairs"]
    assert listed(client, function=service, state="open") == ["Call back about late repairs", "Ship the spare parts"]
    assert sorted(listed(client, function=service, state="closed")) == ["Lend a unit", "Send an engineer"]
    assert listed(client, function=finance, state="overdue") == []
    assert sorted(listed(client, state="open")) == [
        "Call back about late repairs", "Issue the credit note", "Ship the spare parts",
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_filtered_list_downloads_as_csv_with_the_same_actions(client, loop, admin):
    client.force_login(admin)

    response = client.get(
        reverse("feedback:actions_csv"), {"tab": "routed", "function": loop["finance"].pk, "state": "closed"}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [row["id"] for row in rows] == [str(loop[name].pk) for name in ("invoices", "refund", "terms")]
    assert {row["routed_to"] for row in rows} == {"Finance"}
    assert rows[1]["title"] == "'=Refund the fee"  # stays text in a spreadsheet
    assert rows[1]["customer_told"] == "Told the customer what we did."
    assert rows[1]["overdue"] == "no"


@pytest.mark.django_db
def test_the_api_gives_the_same_figures_to_program_admins_only(client, loop, admin):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(admin)}")
    body = api.get(reverse("api:action-loop-list")).json()
    lead = APIClient()
    lead.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(loop['morgan'].user)}")

    assert body["count"] == 2
    assert body["results"][1] == {
        "function": loop["service"].pk,
        "name": "Service",
        "lead": "Morgan Blake",
        "open": 2,
        "overdue": 1,
        "closed_12m": 2,
        "median_days_to_told": 7.0,
        "oldest_open": loop["late repairs"].pk,
        "oldest_open_age_days": 40,
    }
    assert body["results"][0]["median_days_to_told"] == 3.0
    assert lead.get(reverse("api:action-loop-list")).status_code == 403
    filtered = api.get(reverse("api:action-list"), {"function": loop["service"].pk, "state": "overdue"}).json()
    assert [row["id"] for row in filtered["results"]] == [loop["late repairs"].pk]


@pytest.mark.django_db
def test_the_lead_sees_the_complaints_routed_to_them_on_their_home(client, loop):
    client.force_login(loop["morgan"].user)
    home = client.get(reverse("engagement:executive_home")).content.decode()
    queue = home.split('id="routed-heading"')[1].split("</section>")[0]

    assert re.search(r'Complaints routed to you <span class="badge[^"]*">2</span>', queue)
    # Overdue first.
    assert queue.index("Call back about late repairs") < queue.index("Ship the spare parts")
    assert "Issue the credit note" not in home and "Send an engineer" not in queue
    assert f"{reverse('feedback:actions')}?tab=routed&amp;state=open" in queue
    assert listed(client, state="open") == ["Call back about late repairs", "Ship the spare parts"]


@pytest.mark.django_db
def test_a_lead_of_another_function_sees_only_their_own(client, loop):
    client.force_login(loop["riley"].user)
    home = client.get(reverse("engagement:executive_home")).content.decode()

    assert "Issue the credit note" in home
    assert "Call back about late repairs" not in home
    assert listed(client) == [
        "Issue the credit note", "Correct the invoices", "=Refund the fee", "Explain the payment terms",
    ]  # fmt: skip
    assert "Call back about late repairs" not in listed(client)
    assert client.get(reverse("feedback:action_detail", args=[loop["late repairs"].pk])).status_code == 404


@pytest.mark.django_db
def test_a_new_lead_answers_for_the_complaints_routed_before_them(client, loop):
    newcomer = ExecutiveFactory(user=UserFactory(full_name="Kai Osei", roles=[Role.EXECUTIVE]))
    loop["service"].lead = newcomer
    loop["service"].save()
    client.force_login(newcomer.user)

    home = client.get(reverse("engagement:executive_home")).content.decode()

    assert "Call back about late repairs" in home  # still owned by Morgan Blake
    assert client.get(reverse("feedback:action_detail", args=[loop["late repairs"].pk])).status_code == 200


@pytest.mark.django_db
def test_an_executive_who_leads_nothing_has_no_queue_and_others_no_page(client, loop):
    bystander = ExecutiveFactory(user=UserFactory(roles=[Role.EXECUTIVE]))
    client.force_login(bystander.user)

    assert "Complaints routed to you" not in client.get(reverse("engagement:executive_home")).content.decode()
    assert listed(client) == []
    assert client.get(reverse("feedback:loop")).status_code == 403


@pytest.mark.django_db
def test_a_filter_that_does_not_fit_makes_no_file(client, loop, admin):
    client.force_login(admin)

    refused = client.get(reverse("feedback:actions_csv"), {"tab": "routed", "state": "forgotten"})
    page = client.get(reverse("feedback:actions"), {"tab": "routed", "state": "forgotten"})

    assert refused.status_code == 400
    assert "No file was made" in refused.content.decode()
    assert "Some filters were not understood and were left out." in page.content.decode()
    assert len(listed(client, state="forgotten")) == 9  # every routed action, the state left out


@pytest.mark.django_db
def test_the_figures_download_as_csv_a_function_a_row(client, loop, admin):
    client.force_login(admin)

    response = client.get(reverse("feedback:loop_csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert [(row["function"], row["lead"], row["open"], row["overdue"], row["closed_12m"]) for row in rows] == [
        ("Finance", "Riley Chen", "1", "0", "3"),
        ("Service", "Morgan Blake", "2", "1", "2"),
    ]
    assert [row["median_days_to_told"] for row in rows] == ["3.0", "7.0"]
    assert (rows[1]["oldest_open"], rows[1]["oldest_open_age_days"]) == ("Call back about late repairs", "40")
