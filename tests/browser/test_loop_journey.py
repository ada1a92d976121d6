"""A program admin reads Closing the loop on a desktop and on a phone: the
complaints routed to each function, and follows the overdue figure to the
actions it counts, which download as CSV. The function's lead finds the same
complaints on their home. Each page passes axe-core and the Nu HTML Checker."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from django.utils import timezone
from playwright.sync_api import Page, expect

from engagement.accounts.models import Account
from engagement.people.models import User
from engagement.tests.factories import PASSWORD, FunctionFactory
from feedback.models import ActionItem
from feedback.tests.factories import ActionItemFactory, HeldEngagementFactory
from tests.browser.browsing import Viewport, expect_heading, navigate, open_page, sign_in, sign_out
from tests.browser.checks import PageChecks
from tests.browser.program import People, executive


def routed_complaints(people: People) -> User:
    """Complaints Jordan heard at Northwind, routed to Service (led by Priya
    Shah): one overdue, one on time, one closed a week after it was raised."""
    priya = executive("Priya Shah", title="SVP Service")
    service = FunctionFactory(name="Service", lead=priya)
    visit = HeldEngagementFactory(account=Account.objects.get(name="Northwind Traders"), executives=[])
    today, now = timezone.localdate(), timezone.now()
    made = {"engagement": visit, "function": service, "owner": priya.user, "created_by": people.executive}
    ActionItemFactory(title="Call back about late repairs", due_on=today - dt.timedelta(days=2), **made,
                      created_at=now - dt.timedelta(days=20))  # fmt: skip
    ActionItemFactory(title="Ship the spare parts", due_on=today + dt.timedelta(days=5), **made)
    ActionItemFactory(
        title="Send an engineer",
        due_on=today - dt.timedelta(days=10),
        status=ActionItem.Status.DONE,
        status_note="Engineer on site Tuesday; told Ana.",
        created_at=now - dt.timedelta(days=14),
        closed_at=now - dt.timedelta(days=7),
        **made,
    )
    return priya.user


def test_a_program_admin_follows_a_routed_complaint_to_its_list(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    lead = routed_complaints(people)
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)

    response = open_page(page, "/actions/loop/")
    expect_heading(page, "Closing the loop")
    checks.page(page, response)
    if viewport.phone:
        # A card a function: its figures named one by one.
        service = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Service"))
        median = service.get_by_role("definition").nth(3)
        overdue = service.get_by_role("definition").nth(1).get_by_role("link")
    else:
        service = page.get_by_role("row", name=re.compile(r"^Service"))
        median = service.get_by_role("cell").nth(3)
        overdue = service.get_by_role("cell").nth(1).get_by_role("link")
    expect(service).to_contain_text("led by Priya Shah")
    expect(service).to_contain_text("Call back about late repairs")
    expect(median).to_have_text("7")  # days to tell the customer
    expect(overdue).to_have_text("1")

    response = navigate(page, overdue.click)
    expect_heading(page, "Actions")
    checks.page(page, response)
    expect(page.get_by_role("status")).to_contain_text("Showing 1 action routed to Service: overdue")
    expect(page.get_by_role("listitem").filter(has_text="Routed to Service")).to_have_count(1)
    expect(page.get_by_role("link", name="Call back about late repairs")).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [(row["title"], row["routed_to"], row["overdue"]) for row in rows] == [
        ("Call back about late repairs", "Service", "yes")
    ]

    # Priya, who leads Service, finds them on her home, the overdue one first.
    sign_out(page, viewport, people.program_admin.full_name)
    open_page(page, "/auth/login/")
    response = sign_in(page, email=lead.email, password=PASSWORD)
    queue = page.get_by_role("region", name="Complaints routed to you")
    expect(queue).to_contain_text("2")
    expect(queue.get_by_role("link").first).to_have_text("Call back about late repairs")
    checks.page(page, response)
