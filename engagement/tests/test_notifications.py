"""The in-app notifications: the list, the bell in the menu, marking them read."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.notifications.models import Notification
from engagement.notifications.services import notification_send
from engagement.people.roles import Role
from engagement.tests.factories import ExecutiveFactory, UserFactory

NOTIFICATIONS = reverse("engagement:notifications")
READ = reverse("engagement:notifications_read")


def notify(user, message: str, *, url: str = "", days_ago: int = 0, read: bool = False) -> Notification:
    return Notification.objects.create(
        user=user,
        message=message,
        url=url,
        created_at=timezone.now() - dt.timedelta(days=days_ago),
        read_at=timezone.now() if read else None,
    )


def bell(html: str) -> str:
    """The text of the notifications link in the main navigation's menu (the
    bell on a wide screen)."""
    nav = re.search(r'<nav[^>]*aria-label="Main"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "the page has no main navigation"
    link = re.search(rf'<a[^>]*nav-bell[^>]*href="{NOTIFICATIONS}"[^>]*>(.*?)</a>', nav.group(1), re.S)
    assert link, "the menu has no link to the notifications"
    return " ".join(re.sub(r"<[^>]+>", " ", link.group(1)).split())


def is_unread(notification: Notification) -> bool:
    notification.refresh_from_db()
    return notification.read_at is None


@pytest.mark.django_db
def test_list_shows_only_their_own_notifications_newest_first(client):
    user = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    notify(user, "Older request for your time", days_ago=3)
    notify(user, "Newer schedule change", days_ago=1, read=True)
    notify(UserFactory(), "A reminder for someone else")
    client.force_login(user)

    html = client.get(NOTIFICATIONS).content.decode()

    assert html.index("Newer schedule change") < html.index("Older request for your time")
    assert "A reminder for someone else" not in html


@pytest.mark.django_db
def test_unread_notifications_are_marked_and_lead_to_their_page(client):
    user = ExecutiveFactory().user
    unread = notify(user, "Your contact is due soon", url="/executive/")
    notify(user, "An old note", read=True)
    client.force_login(user)

    html = client.get(NOTIFICATIONS).content.decode()

    assert html.count(">Unread<") == 1
    assert '<a href="/executive/">Your contact is due soon</a>' in html
    assert f'name="notification" value="{unread.pk}"' in html
    assert 'name="next" value="/executive/"' in html
    assert "Mark all as read" in html


@pytest.mark.django_db
def test_with_no_notifications_the_page_says_nothing_is_new(client):
    client.force_login(UserFactory())

    html = client.get(NOTIFICATIONS).content.decode()

    assert "Nothing new." in html
    assert "Mark all as read" not in html


@pytest.mark.django_db
def test_list_shows_25_notifications_a_page(client):
    user = UserFactory()
    for index in range(26):
        notify(user, f"Reminder {index:02d}", days_ago=index)
    client.force_login(user)

    first = client.get(NOTIFICATIONS).content.decode()
    second = client.get(NOTIFICATIONS, {"page": 2}).content.decode()

    assert len(re.findall(r"Reminder \d\d", first)) == 25
    assert "Page 1 of 2" in first
    assert re.findall(r"Reminder \d\d", second) == ["Reminder 25"]


@pytest.mark.django_db
def test_the_menu_bell_counts_the_unread_notifications(client):
    user = ExecutiveFactory().user
    for days in range(3):
        notify(user, "A request", days_ago=days)
    notify(user, "Seen already", read=True)
    notify(UserFactory(), "Not theirs")
    client.force_login(user)

    html = client.get(reverse("engagement:executive_home")).content.decode()

    assert bell(html) == "Notifications 3 unread"
    # Beside the menu's button too, so that a phone shows it without opening the menu.
    beside = rf'<a[^>]*d-xl-none[^>]*href="{NOTIFICATIONS}"[^>]*>.*?3<span class="visually-hidden"> unread notif'
    assert re.search(beside, html, re.S)


@pytest.mark.django_db
def test_the_menu_bell_shows_no_count_when_all_is_read(client):
    user = UserFactory(roles=[Role.PROGRAM_ADMIN])
    notify(user, "Seen already", read=True)
    client.force_login(user)

    html = client.get(reverse("engagement:program_home")).content.decode()

    assert bell(html) == "Notifications"


@pytest.mark.django_db
def test_marking_one_read_leaves_the_others_unread(client):
    user = UserFactory()
    first, second = notify(user, "First"), notify(user, "Second")
    client.force_login(user)

    response = client.post(READ, {"notification": first.pk}, follow=True)

    assert response.redirect_chain == [(NOTIFICATIONS, 302)]
    assert "Notification marked as read." in response.content.decode()
    assert not is_unread(first)
    assert is_unread(second)


@pytest.mark.django_db
def test_marking_someone_elses_notification_read_does_nothing(client):
    theirs = notify(UserFactory(), "Not yours")
    mine = notify(UserFactory(), "Yours")
    client.force_login(mine.user)

    client.post(READ, {"notification": theirs.pk})
    client.post(READ, {"notification": "not-a-number"})
    client.post(READ, {"notification": "9" * 30})

    assert is_unread(theirs)
    assert is_unread(mine)


@pytest.mark.django_db
def test_mark_all_read_marks_every_one_of_theirs_and_only_theirs(client):
    user = UserFactory()
    mine = [notify(user, "One"), notify(user, "Two")]
    theirs = notify(UserFactory(), "Someone else's")
    client.force_login(user)

    response = client.post(READ, follow=True)

    assert "All notifications marked as read." in response.content.decode()
    assert not any(is_unread(notification) for notification in mine)
    assert is_unread(theirs)
    assert "Mark all as read" not in response.content.decode()


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client):
    user = ExecutiveFactory().user
    notification = notify(user, "Your contact is due soon", url="/executive/")
    client.force_login(user)

    response = client.post(READ, {"notification": notification.pk, "next": "/executive/"})

    assert response.status_code == 302
    assert response.url == "/executive/"
    assert not is_unread(notification)


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)"])
def test_next_outside_groundwork_falls_back_to_the_notifications(client, next_url):
    user = UserFactory()
    notification = notify(user, "A request")
    client.force_login(user)

    response = client.post(READ, {"notification": notification.pk, "next": next_url})

    assert response.status_code == 302
    assert response.url == NOTIFICATIONS
    assert not is_unread(notification)


@pytest.mark.django_db
def test_reading_the_page_marks_nothing_read(client):
    user = UserFactory()
    notification = notify(user, "A request")
    client.force_login(user)

    client.get(NOTIFICATIONS)

    assert is_unread(notification)


@pytest.mark.django_db
def test_notification_send_skips_who_acted_and_tells_each_person_once():
    actor, first, second = UserFactory(), UserFactory(), UserFactory()

    told = notification_send(
        users=[first, actor, second, first], message="Engagement scheduled", url="/", exclude=actor
    )

    assert told == 2
    assert sorted(Notification.objects.values_list("user_id", flat=True)) == sorted([first.pk, second.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", [NOTIFICATIONS, READ])
def test_anonymous_visitor_is_sent_to_sign_in(client, method, url):
    notification = notify(UserFactory(), "A request")

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={url}"
    assert is_unread(notification)
