"""The audit trail: who changed what and when, written beside django-auditlog's own records, and its page."""
