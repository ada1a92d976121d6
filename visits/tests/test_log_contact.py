from __future__ import annotations

import datetime as dt
import re
import uuid
import zoneinfo

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from engagement.accounts.models import Account
from engagement.cadence.models import ExecutiveContact
from engagement.cadence.rule import ContactState
from engagement.cadence.selectors import executive_contact_status
from engagement.dates import local_today
from engagement.errors import ProgramError
from engagement.notifications.models import Notification
from engagement.people.roles import Role
from engagement.tests.factories import AccountFactory, ContactFactory, ExecutiveFactory, UserFactory, contact_record
from visits.models import Engagement, EngagementStatusChange
from visits.selectors import account_search, executive_search
from visits.services import engagement_log_contact
from visits.tests.factories import EngagementFactory, EngagementTypeFactory

LOG_URL = reverse("visits:log_contact")


@pytest.fixture
def executive():
    user = UserFactory(full_name="Jordan Ellis", time_zone="America/Los_Angeles", roles=[Role.EXECUTIVE])
    return ExecutiveFactory(user=user)


@pytest.fixture
def visit_type():
    return EngagementTypeFactory(name="Site walk", slug="site-walk")


def form_data(chosen: Account, visit_type, **changes: object) -> dict[str, object]:
    data = {
        "account_query": chosen.name[:4],
        "account": chosen.pk,
        "type": visit_type.pk,
        "on": local_today("America/Los_Angeles").isoformat(),
        "duration_minutes": 90,
        "note": "They want faster delivery to the north plant",
        "submission_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_logged_contact_is_a_held_engagement_that_counts_at_once(client, executive, visit_type):
    account = AccountFactory(name="Northwind Traders")
    buyer = ContactFactory(account=account, name="Ana Buyer")
    client.force_login(executive.user)

    response = client.post(LOG_URL, form_data(account, visit_type, contacts=[buyer.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("engagement:executive_home")
    engagement = Engagement.objects.get()
    assert engagement.status == Engagement.Status.COMPLETED
    assert engagement.account == account
    assert engagement.duration_minutes == 90
    assert list(engagement.contacts.all()) == [buyer]
    assert engagement.notes == "They want faster delivery to the north plant"
    assert list(engagement.executives.all()) == [executive]
    change = EngagementStatusChange.objects.get(engagement=engagement)
    assert (change.from_status, change.to_status, change.by) == ("", Engagement.Status.COMPLETED, executive.user)

    status = executive_contact_status(executive=executive)
    assert status.days_since == 0
    assert status.state == ContactState.ON_TRACK
    assert str(status.exposure_hours) == "1.5"
    home = client.get(reverse("engagement:executive_home"))
    assert "Logged: 1½ hours with Northwind Traders" in home.content.decode()


@pytest.mark.django_db
def test_a_logged_contacts_page_shows_what_was_logged_and_nothing_else(client, executive, visit_type):
    account = AccountFactory(name="Northwind Traders")
    on = local_today("America/Los_Angeles") - dt.timedelta(days=3)
    engagement, _ = engagement_log_contact(
        executive=executive,
        account=account,
        engagement_type=visit_type,
        on=on,
        duration_minutes=45,
        note="Walked the dock",
    )
    client.force_login(executive.user)

    page = client.get(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})).content.decode()

    assert engagement.logged
    assert f"{on:%A} {on.day} {on:%B %Y} · 45 minutes · logged" in page
    assert f"{on:%A} {on.day} {on:%B %Y}, 12:00" not in page  # no start time made up for it
    for absent in (
        "The request",
        "Objective",
        "Value proposition",
        "Add to my calendar",
        "Preparation brief",
        "Meeting link",
        "Place",
    ):
        assert absent not in page, absent
    assert "Walked the dock" in page


@pytest.mark.django_db
def test_only_a_meeting_still_to_come_offers_an_invite_for_the_calendar(client, executive, visit_type):
    ahead = EngagementFactory(
        executives=[executive], starts_at=timezone.now() + dt.timedelta(days=2), status=Engagement.Status.SCHEDULED
    )
    over = EngagementFactory(
        executives=[executive], starts_at=timezone.now() - dt.timedelta(days=2), status=Engagement.Status.COMPLETED
    )
    client.force_login(executive.user)

    def page(engagement):
        return client.get(reverse("visits:engagement_detail", kwargs={"pk": engagement.pk})).content.decode()

    assert "Add to my calendar (.ics)" in page(ahead)
    assert "Add to my calendar (.ics)" not in page(over)


@pytest.mark.django_db
def test_the_log_form_offers_the_accounts_of_the_last_90_days_as_one_tap_choices(client, executive):
    recent, earlier, long_ago = (
        AccountFactory(name="Recent"),
        AccountFactory(name="Earlier"),
        AccountFactory(name="Long ago"),
    )
    for account, days in ((recent, 3), (earlier, 40), (long_ago, 120)):
        contact_record(executive=executive, account=account, occurred_at=timezone.now() - dt.timedelta(days=days))
    client.force_login(executive.user)

    page = client.get(LOG_URL).content.decode()

    chips = re.findall(r'class="btn-check" name="account" id="recent-account-\d+" value="(\d+)"', page)
    assert chips == [str(recent.pk), str(earlier.pk)]
    assert page.index("Your accounts of the last 90 days") < page.index("Search accounts")


@pytest.mark.django_db
def test_a_contact_on_an_earlier_day_is_dated_that_day_in_the_executives_time_zone(executive, visit_type):
    account = AccountFactory()
    # 06:00 UTC on 3 March is still the evening of 2 March in Los Angeles.
    now = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)

    engagement_log_contact(
        executive=executive, account=account, engagement_type=visit_type, on=dt.date(2026, 2, 20),
        duration_minutes=60, now=now,
    )  # fmt: skip

    contact = ExecutiveContact.objects.get(executive=executive)
    assert contact.contact_on == dt.date(2026, 2, 20)
    assert contact.occurred_at.astimezone(zoneinfo.ZoneInfo("America/Los_Angeles")).date() == dt.date(2026, 2, 20)


@pytest.mark.django_db
def test_a_contact_logged_today_ended_just_now(executive, visit_type):
    now = timezone.now()
    today = local_today(executive.time_zone, now=now)

    engagement, _ = engagement_log_contact(
        executive=executive, account=AccountFactory(), engagement_type=visit_type, on=today, duration_minutes=30,
        now=now,
    )  # fmt: skip

    assert engagement.ends_at <= now
    assert ExecutiveContact.objects.get(executive=executive).contact_on == today


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "once it has happened"), (366, "older than 365 days")],
)
def test_a_future_or_very_old_date_is_refused_with_a_clear_message(executive, visit_type, days, message):
    today = local_today(executive.time_zone)
    on = today + dt.timedelta(days=days) if days == 1 else today - dt.timedelta(days=days)
    with pytest.raises(ProgramError, match=message):
        engagement_log_contact(
            executive=executive, account=AccountFactory(), engagement_type=visit_type, on=on, duration_minutes=60
        )
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_the_same_form_sent_twice_logs_one_contact(client, executive, visit_type):
    account = AccountFactory()
    client.force_login(executive.user)
    data = form_data(account, visit_type)

    first = client.post(LOG_URL, data)
    second = client.post(LOG_URL, data)

    assert first.status_code == second.status_code == 302
    assert Engagement.objects.count() == 1
    assert ExecutiveContact.objects.count() == 1


@pytest.mark.django_db
def test_a_missing_account_keeps_everything_that_was_typed(client, executive, visit_type):
    account = AccountFactory(name="Northwind Traders")
    buyer = ContactFactory(account=account)
    client.force_login(executive.user)
    data = form_data(account, visit_type, account="", account_query="North", contacts=[buyer.pk])
    data["on"] = (local_today(executive.time_zone) - dt.timedelta(days=2)).isoformat()

    response = client.post(LOG_URL, data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Search for the account and choose it." in page
    assert 'value="North"' in page
    assert f'value="{data["on"]}"' in page
    assert 'value="They want faster delivery to the north plant"' in page
    assert '<option value="90" selected>' in page
    assert f'value="{data["submission_key"]}"' in page
    # The search is run again, so the account is one tap away.
    assert f'name="account" value="{account.pk}"' in page
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_a_future_date_on_the_form_keeps_the_chosen_account_and_people(client, executive, visit_type):
    account = AccountFactory(name="Northwind Traders")
    buyer = ContactFactory(account=account, name="Ana Buyer")
    client.force_login(executive.user)
    tomorrow = local_today(executive.time_zone) + dt.timedelta(days=1)

    response = client.post(LOG_URL, form_data(account, visit_type, on=tomorrow.isoformat(), contacts=[buyer.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "once it has happened" in page
    assert f'name="account" value="{account.pk}" checked' in page
    assert f'value="{buyer.pk}" id="contact-{buyer.pk}" checked' in page
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_a_page_about_one_account_opens_the_form_with_it_chosen(client, executive, visit_type):
    account = AccountFactory(name="Northwind Traders")
    buyer = ContactFactory(account=account, name="Ana Buyer")
    client.force_login(executive.user)

    page = client.get(LOG_URL, {"account": account.pk}).content.decode()
    unknown = client.get(LOG_URL, {"account": "not-a-number"})

    assert f'name="account" value="{account.pk}" checked' in page
    assert "Ana Buyer" in page and f'value="{buyer.pk}"' in page
    assert unknown.status_code == 200


@pytest.mark.django_db
def test_people_from_another_account_are_refused(client, executive, visit_type):
    account = AccountFactory()
    stranger = ContactFactory()  # at another account
    client.force_login(executive.user)

    response = client.post(LOG_URL, form_data(account, visit_type, contacts=[stranger.pk]))

    assert response.status_code == 200
    assert "Choose people from the account you met." in response.content.decode()
    assert not Engagement.objects.exists()


@pytest.mark.django_db
def test_searching_without_javascript_shows_accounts_and_keeps_the_form(client, executive, visit_type):
    AccountFactory(name="Northwind Traders")
    client.force_login(executive.user)

    response = client.post(
        LOG_URL,
        {**form_data(AccountFactory(name="Other"), visit_type, account=""), "account_query": "north", "search": "1"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Northwind Traders" in page
    assert "Search for the account" not in page  # a search is not a failed save
    assert 'value="They want faster delivery to the north plant"' in page


@pytest.mark.django_db
def test_a_search_with_a_control_character_looks_for_the_words_around_it(client, executive):
    AccountFactory(name="Northwind Traders")
    ExecutiveFactory(user=UserFactory(full_name="Owen Overdue"))
    client.force_login(executive.user)

    # PostgreSQL refuses a NUL in a query: the search looks for the words around it.
    response = client.get(LOG_URL, {"account_query": "north\x00wind", "colleague_query": "ow\x00en"})

    assert response.status_code == 200
    assert account_search(query="North\x00") == list(Account.objects.filter(name="Northwind Traders"))
    assert [e.user.full_name for e in executive_search(query="\x00Owen")] == ["Owen Overdue"]


@pytest.mark.django_db
def test_account_search_puts_names_that_start_with_the_query_first_and_leaves_out_churned():
    AccountFactory(name="Great North Foods")
    AccountFactory(name="Northwind Traders")
    AccountFactory(name="Northbound Closed", status=Account.Status.CHURNED)

    assert [account.name for account in account_search(query="north")] == ["Northwind Traders", "Great North Foods"]
    assert account_search(query="n") == []


@pytest.mark.django_db
def test_the_type_ahead_lists_matching_accounts_and_says_when_none_match(client, executive):
    AccountFactory(name="Northwind Traders")
    client.force_login(executive.user)

    found = client.get(reverse("visits:account_choices"), {"account_query": "northw"})
    none = client.get(reverse("visits:account_choices"), {"account_query": "zzz"})

    assert 'type="radio" name="account"' in found.content.decode()
    assert "Northwind Traders" in found.content.decode()
    assert "No account matches “zzz”" in none.content.decode()


@pytest.mark.django_db
def test_choosing_an_account_offers_its_people(client, executive):
    account = AccountFactory(name="Northwind Traders")
    ContactFactory(account=account, name="Ana Buyer")
    ContactFactory(name="Someone Elsewhere")
    client.force_login(executive.user)

    page = client.get(reverse("visits:contact_choices"), {"account": account.pk}).content.decode()

    assert "Who took part from Northwind Traders" in page
    assert "Ana Buyer" in page
    assert "Someone Elsewhere" not in page


@pytest.mark.django_db
def test_every_page_offers_executives_one_tap_to_log_a_contact(client, executive):
    client.force_login(executive.user)
    for url in [reverse("engagement:executive_home"), reverse("account_change_password")]:
        assert f'href="{LOG_URL}">Log a contact</a>' in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_colleague_who_was_there_gets_the_contact_too(client, executive, visit_type):
    colleague = ExecutiveFactory(user=UserFactory(full_name="Riley Chen", roles=[Role.EXECUTIVE]))
    client.force_login(executive.user)

    response = client.post(LOG_URL, form_data(AccountFactory(), visit_type, colleagues=[colleague.pk]))

    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert set(engagement.executives.all()) == {executive, colleague}
    assert executive_contact_status(executive=colleague).days_since is not None


@pytest.mark.django_db
def test_a_colleague_counted_at_a_logged_contact_is_told_and_can_say_they_were_not_there(client, executive, visit_type):
    # In the author's zone, so that the contact is on their "today" whatever the hour.
    colleague = ExecutiveFactory(
        user=UserFactory(full_name="Riley Chen", time_zone="America/Los_Angeles", roles=[Role.EXECUTIVE])
    )
    contact_record(executive=colleague, occurred_at=timezone.now() - dt.timedelta(days=20))
    before = executive_contact_status(executive=colleague).last_contact_on
    client.force_login(executive.user)
    client.post(LOG_URL, form_data(AccountFactory(name="Northwind Traders"), visit_type, colleagues=[colleague.pk]))
    engagement = Engagement.objects.get()
    assert executive_contact_status(executive=colleague).days_since == 0

    # Riley is told, with one tap to undo being counted.
    [notice] = Notification.objects.filter(user=colleague.user)
    assert notice.message.startswith("Jordan Ellis logged the Site walk with Northwind Traders on <day:")
    assert notice.message.endswith("with you there: it counts toward your customer contact.")
    assert (notice.action_label, notice.action_url) == (
        "I was not there",
        reverse("visits:engagement_not_there", kwargs={"pk": engagement.pk}),
    )
    assert not Notification.objects.filter(user=executive.user).exists()
    client.force_login(colleague.user)
    page = client.get(reverse("engagement:notifications")).content.decode()
    assert f'action="{notice.action_url}"' in page
    assert ">I was not there</button>" in page

    response = client.post(notice.action_url, {"notification": notice.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("engagement:notifications")
    assert list(engagement.executives.all()) == [executive]
    assert executive_contact_status(executive=colleague).last_contact_on == before
    assert executive_contact_status(executive=executive).days_since == 0
    notice.refresh_from_db()
    assert notice.read_at is not None
    [told] = Notification.objects.filter(user=executive.user)
    assert told.message.startswith("Riley Chen was not at the Site walk with Northwind Traders on <day:")
    # Both are in the audit trail, with who did them.
    entries = LogEntry.objects.get_for_object(engagement).select_related("actor").order_by("pk")
    trail = [entry for entry in entries if entry.changes_dict]
    assert [(entry.actor, entry.changes_dict.get("executives")) for entry in trail[1:]] == [
        (executive.user, ["None", "Jordan Ellis, Riley Chen"]),
        (colleague.user, ["Jordan Ellis, Riley Chen", "Jordan Ellis"]),
    ]
    # A second tap changes nothing, and says so.
    again = client.post(notice.action_url, follow=True)
    assert again.status_code == 404  # no longer theirs to see


@pytest.mark.django_db
def test_the_executive_who_logged_a_contact_cannot_say_they_were_not_there(client, executive, visit_type):
    client.force_login(executive.user)
    client.post(LOG_URL, form_data(AccountFactory(), visit_type))
    engagement = Engagement.objects.get()

    response = client.post(reverse("visits:engagement_not_there", kwargs={"pk": engagement.pk}), follow=True)

    assert "You led this engagement: change it or call it off instead." in response.content.decode()
    assert list(engagement.executives.all()) == [executive]


@pytest.mark.django_db
def test_a_colleague_counted_at_a_held_engagement_sees_i_was_not_there_on_its_page(client, executive, visit_type):
    colleague = ExecutiveFactory(user=UserFactory(full_name="Riley Chen", roles=[Role.EXECUTIVE]))
    client.force_login(executive.user)
    client.post(LOG_URL, form_data(AccountFactory(), visit_type, colleagues=[colleague.pk]))
    url = reverse("visits:engagement_detail", kwargs={"pk": Engagement.objects.get().pk})

    mine = client.get(url).content.decode()
    client.force_login(colleague.user)
    theirs = client.get(url).content.decode()

    assert "I was not there" not in mine
    assert "Jordan Ellis logged it with you there" in theirs
    assert ">I was not there</button>" in theirs


@pytest.mark.django_db
def test_chosen_colleagues_stay_ticked_when_the_form_comes_back(client, executive, visit_type):
    colleague = ExecutiveFactory(user=UserFactory(full_name="Riley Chen", roles=[Role.EXECUTIVE]))
    client.force_login(executive.user)

    response = client.post(LOG_URL, form_data(AccountFactory(), visit_type, account="", colleagues=[colleague.pk]))

    page = response.content.decode()
    assert f'value="{colleague.pk}" id="colleague-{colleague.pk}" checked' in page
    assert "Riley Chen" in page


@pytest.mark.django_db
def test_the_colleague_search_finds_other_executives_by_name(client, executive):
    ExecutiveFactory(user=UserFactory(full_name="Riley Chen", roles=[Role.EXECUTIVE]))
    client.force_login(executive.user)

    found = client.get(reverse("visits:colleague_choices"), {"colleague_query": "riley"}).content.decode()
    myself = client.get(reverse("visits:colleague_choices"), {"colleague_query": "jordan"}).content.decode()

    assert "Riley Chen" in found
    assert "Jordan Ellis" not in myself
    assert "No colleague matches “jordan”" in myself
