"""The notifications page, and how a person gets reminders."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engagement.bounds import row_id
from engagement.notifications.forms import NotificationEmailsForm, ReminderDeliveryForm
from engagement.notifications.selectors import notification_list
from engagement.notifications.services import (
    notifications_mark_read,
    user_notification_emails_set,
    user_reminder_digest_set,
)
from engagement.reminders.standing import notifications_standing

NOTIFICATIONS_PAGE_SIZE = 25


@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, whatever their role."""
    page = Paginator(notification_list(user=request.user), NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    # A reminder's words that stopped being true since it was sent (a contact
    # logged since) are shown so at once; the next scan records it.
    no_longer = notifications_standing(notifications=page.object_list)
    for notification in page.object_list:
        if notification.pk in no_longer:
            notification.withdrawn_reason = no_longer[notification.pk]
    return render(request, "engagement/notifications.html", {"page": page})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the posted ``notification`` read, or all of them when none is
    posted; then back to the notifications page, or on to a safe ``next``."""
    if "notification" in request.POST:
        posted = request.POST["notification"]
        # Anything but an id marks nothing rather than everything.
        ids = [pk] if (pk := row_id(posted)) is not None else []
        notifications_mark_read(user=request.user, notification_ids=ids)
        messages.success(request, "Notification marked as read.")
    else:
        notifications_mark_read(user=request.user)
        messages.success(request, "All notifications marked as read.")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        # A path, never a URL name: ``redirect`` would look up "0" or ":" as one.
        return HttpResponseRedirect(next_url)
    return redirect("engagement:notifications")


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Let the signed-in person choose an email per reminder or a weekly
    digest, and for each kind of notification whether it also comes by email
    at once, in that digest, or not."""
    data = request.POST if request.method == "POST" else None
    form = ReminderDeliveryForm.for_user(request.user, data)
    kinds_form = NotificationEmailsForm.for_user(request.user, data)
    if request.method == "POST" and form.is_valid() and kinds_form.is_valid():
        user_reminder_digest_set(user=request.user, digest=form.digest)
        user_notification_emails_set(user=request.user, choices=kinds_form.cleaned_data)
        if form.digest:
            messages.success(request, "Saved: your reminders now come in one email on Monday mornings.")
        else:
            messages.success(request, "Saved: each reminder now comes in an email of its own.")
        return redirect("engagement:notification_settings")
    return render(request, "engagement/notification_settings.html", {"form": form, "kinds_form": kinds_form})
