"""The reminder engine: find what is due, record it once, send it in working hours.

A scan (``scan``) asks every *source* what is due now. The contact source
(due soon, overdue, escalation) is ``contact``; other apps register theirs
(upcoming engagements, requests waiting) with ``reminder_source``, so that
this app imports none of them. Each reminder found is recorded as a ``Reminder`` row,
``pending``; the unique constraint on (recipient, kind, episode) makes a
second scan, or one running at the same time, record nothing new. Sending
claims a pending row with one conditional UPDATE, sends the email and the
in-app notification, and marks it sent. A crash between recording and sending
leaves the row pending, and the next run sends it; a crash while sending
leaves it claimed, and a later run takes it back once the claim is stale.

A reminder is true when it is read. A pending one may wait days for its
recipient's working hours or their weekly digest, so at delivery it is
checked again by the same sources, narrowed to what it is about
(``reminders_standing``): one that no longer holds (a contact was logged
since, the request was answered) is withdrawn, with why, and not sent; one
that holds goes out with its reason as it stands then. Each scan withdraws the
pending ones that no longer hold, and the in-app notifications of sent ones
that say what is no longer so.
"""
