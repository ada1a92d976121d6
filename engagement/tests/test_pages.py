"""A list's page and the query string its links to the other pages carry."""

from __future__ import annotations

from django.http import QueryDict
from django.test import RequestFactory

from engagement.filters import page_of, query_without


def test_the_links_to_other_pages_keep_every_value_of_a_repeated_filter_and_drop_empty_ones():
    params = QueryDict("type=visit&type=ride_along&q=&page=3&sort=-name")

    assert query_without(params, "page") == "type=visit&type=ride_along&sort=-name"
    assert query_without(params, "page", "sort") == "type=visit&type=ride_along"


def test_a_page_past_the_end_shows_the_last_and_one_that_is_not_a_number_the_first():
    past_the_end = RequestFactory().get("/", {"page": "99", "when": "past"})
    not_a_number = RequestFactory().get("/", {"page": "two"})

    page, query = page_of(past_the_end, list(range(45)), 20)
    assert (page.number, list(page.object_list), query) == (3, [40, 41, 42, 43, 44], "when=past")
    page, query = page_of(not_a_number, list(range(45)), 20)
    assert (page.number, query) == (1, "")
