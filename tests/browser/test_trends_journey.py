"""A program admin reads the year's trends on a desktop and on a phone: the
charts are drawn, the numbers behind each open under it, the heatmap narrows
to one function and downloads as CSV. Each state of the page passes axe-core
and the Nu HTML Checker."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import Page, expect

from engagement.people.models import Executive
from engagement.tests.factories import PASSWORD, FunctionFactory
from tests.browser.browsing import Viewport, expect_heading, field, navigate, open_page, sign_in
from tests.browser.checks import PageChecks
from tests.browser.program import People

CHART_DRAWN = "(canvas) => Boolean(window.Chart && window.Chart.getChart(canvas))"


def wait_for_charts(page: Page) -> None:
    """Each of the three charts is drawn once it comes near the screen."""
    canvases = page.locator("canvas[data-trend-chart]")
    expect(canvases).to_have_count(3)
    for canvas in canvases.all():
        canvas.scroll_into_view_if_needed()
        page.wait_for_function(CHART_DRAWN, arg=canvas.element_handle())
    page.evaluate("window.scrollTo(0, 0)")


def test_a_program_admin_reads_a_year_of_contact_in_charts_and_numbers(
    page: Page, checks: PageChecks, viewport: Viewport, people: People
) -> None:
    Executive.objects.filter(user=people.executive).update(function=FunctionFactory(name="Operations"))
    open_page(page, "/auth/login/")
    sign_in(page, email=people.program_admin.email, password=PASSWORD)

    response = open_page(page, "/engagements/trends/")

    expect_heading(page, "Trends")
    wait_for_charts(page)
    checks.page(page, response)

    for summary in page.get_by_text("Show the numbers").all():
        summary.click()
    weekly = page.get_by_role("table", name="Contacts and exposure hours per week")
    expect(weekly).to_be_visible()
    expect(weekly.get_by_role("row")).to_have_count(53)
    states = page.get_by_role("table", name="Executives in each state at each week's end")
    expect(states.get_by_role("columnheader", name="Escalated")).to_be_visible()
    # Today: Jordan on track, Dana due soon, Owen overdue; Esme escalated, and
    # so are Nia and Alex, who joined long ago and have had no contact yet.
    expect(states.get_by_role("row").last.get_by_role("cell")).to_have_text(["1", "1", "1", "3", "6"])
    expect(page.get_by_role("table", name="Held engagements per type and month")).to_be_visible()
    checks.accessible(page, f"the trends with their numbers shown ({viewport.name})")

    field(page, "Function").select_option(label="Operations")
    response = navigate(page, page.get_by_role("button", name="Show", exact=True).click)

    heatmap = page.get_by_role("table", name="Customer contacts per executive and month")
    expect(heatmap.get_by_role("row")).to_have_count(2)  # the months and Jordan
    expect(heatmap.get_by_role("rowheader")).to_contain_text("Jordan Ellis")
    wait_for_charts(page)
    checks.page(page, response)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV of each executive's contacts by month").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert {row["name"] for row in rows} == {"Jordan Ellis"}
    assert len(rows) == 12
    assert sum(int(row["contacts"]) for row in rows) == 2
