"""In-app notifications, and how a person gets reminders by email."""
