"""The forms of the connected-calendars pages: an address, a CalDAV account,
the calendars found in it, and whether meetings are logged without asking.

The CalDAV password never travels back to the browser as it was typed: the
calendars found are listed with a signed token (``caldav_pick_token``) that
holds the server, the user name and the password encrypted with the calendar
keys (``visits.calendars.secrets``), and that expires after
``PICK_TOKEN_SECONDS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core import signing

from engagement.bounds import LineField
from visits.calendars.caldav import FoundCalendar
from visits.calendars.fetching import address_normalise
from visits.calendars.secrets import SecretUnreadable, secret_decrypt, secret_encrypt

ADDRESS_MAX = 2000
NAME_MAX = 100  # CalendarConnection.name
USERNAME_MAX = 200  # CalendarConnection.username
PASSWORD_MAX = 200
PICK_TOKEN_MAX = 20000
PICK_TOKEN_SECONDS = 15 * 60
PICK_TOKEN_SALT = "visits.calendar-connections.caldav-pick"
# Past this many calendars in one account, the rest are not offered.
MOST_CALENDARS_FOUND = 50

ADDRESS_MESSAGE = "A calendar's address begins with https:// or webcal:// (copy it whole from your calendar)."


def _web_address(value: str, *, message: str) -> str:
    """``value`` as an http(s) address with a host (webcal:// read as
    https://); ValidationError with ``message`` otherwise."""
    address = address_normalise(value)
    try:
        parts = urlsplit(address)
    except ValueError:
        raise forms.ValidationError(message, code="address") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in address):
        raise forms.ValidationError(message, code="address")
    return address


class CalendarAddressForm(forms.Form):
    """A calendar's private iCal address, and what to call it here."""

    name = LineField(
        max_length=NAME_MAX,
        label="Name",
        help_text="What to call this calendar here, for example “Work”.",
        error_messages={
            "required": "Give the calendar a name, for example “Work”.",
            "max_length": f"Keep the name under {NAME_MAX} characters.",
        },
    )
    address = LineField(
        max_length=ADDRESS_MAX,
        label="Secret address",
        help_text="Starts with https:// or webcal://. It is kept encrypted and never shown again.",
        error_messages={
            "required": "Paste your calendar's secret address.",
            "max_length": f"This is longer than any calendar address ({ADDRESS_MAX} characters): "
            "check what was pasted.",
        },
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_address(self) -> str:
        return _web_address(self.cleaned_data["address"], message=ADDRESS_MESSAGE)


class CalDavAccountForm(forms.Form):
    """A CalDAV account: where the server is, and how to sign in to it."""

    server = LineField(
        max_length=ADDRESS_MAX,
        label="Server address",
        help_text="For Apple iCloud: https://caldav.icloud.com",
        error_messages={
            "required": "Give the server's address, for example https://caldav.icloud.com",
            "max_length": f"This is longer than any server address ({ADDRESS_MAX} characters): check what was pasted.",
        },
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    username = LineField(
        max_length=USERNAME_MAX,
        label="User name",
        help_text="Usually your email address with that provider (for iCloud, your Apple Account email).",
        error_messages={
            "required": "Give the user name you sign in to the calendar with.",
            "max_length": f"Keep the user name under {USERNAME_MAX} characters.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = LineField(
        max_length=PASSWORD_MAX,
        strip=False,
        label="App password",
        help_text="An app-specific password made for Groundwork, not your account's own password.",
        error_messages={
            "required": "Give the app password made for Groundwork.",
            "max_length": f"An app password is shorter than {PASSWORD_MAX} characters: check what was pasted.",
        },
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_server(self) -> str:
        return _web_address(
            self.cleaned_data["server"],
            message="A server's address begins with https://, for example https://caldav.icloud.com",
        )


def caldav_pick_token(*, user_id: int, server: str, username: str, password: str, found: list[FoundCalendar]) -> str:
    """A signed, expiring token of what the second step needs: the password
    in it encrypted, the calendars found by address and name."""
    return signing.dumps(
        {
            "user": user_id,
            "server": server,
            "username": username,
            "password": secret_encrypt(password),
            "found": [
                [calendar.url, calendar.name[:NAME_MAX] or "Calendar"] for calendar in found[:MOST_CALENDARS_FOUND]
            ],
        },
        salt=PICK_TOKEN_SALT,
        compress=True,
    )


class CalDavPickForm(forms.Form):
    """The calendars of a CalDAV account to connect, from those found."""

    token = LineField(max_length=PICK_TOKEN_MAX, widget=forms.HiddenInput)
    calendars = forms.MultipleChoiceField(
        label="Calendars to connect",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one calendar to connect.",
            "invalid_choice": "Choose among the calendars found.",
        },
    )

    def __init__(self, *args: Any, user_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.account: dict[str, Any] | None = self._account(self.data.get("token", "") if self.is_bound else "")
        if self.account is None and not self.is_bound:
            self.account = self._account(str(self.initial.get("token", "")))
        found = self.account["found"] if self.account else []
        calendars = self.fields["calendars"]
        assert isinstance(calendars, forms.MultipleChoiceField)
        calendars.choices = [(str(index), name) for index, (_, name) in enumerate(found)]

    def _account(self, token: str) -> dict[str, Any] | None:
        """What the token holds, or None when it is forged, expired or someone else's."""
        if not token or len(token) > PICK_TOKEN_MAX:
            return None
        try:
            account = signing.loads(token, salt=PICK_TOKEN_SALT, max_age=PICK_TOKEN_SECONDS)
        except signing.BadSignature:
            return None
        if not isinstance(account, dict) or account.get("user") != self.user_id:
            return None
        return account

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if self.account is None:
            raise forms.ValidationError(
                "This list of calendars is more than 15 minutes old: find your calendars again.", code="expired"
            )
        return token

    def chosen(self) -> list[tuple[str, str]]:
        """The chosen calendars' addresses and names."""
        found = self.account["found"] if self.account else []
        return [(found[int(index)][0], found[int(index)][1]) for index in self.cleaned_data["calendars"]]

    def password(self) -> str:
        """The account's app password, decrypted."""
        try:
            return secret_decrypt(self.account["password"]) if self.account else ""
        except SecretUnreadable:
            return ""


class AutoConfirmForm(forms.Form):
    """Whether customer meetings are logged once ended without asking."""

    calendar_auto_confirm = forms.BooleanField(
        required=False,
        label="Log customer meetings once they have ended without asking me",
        help_text="Otherwise Groundwork asks you first. Either way, you can change or delete a logged contact "
        "for 30 days.",
    )
