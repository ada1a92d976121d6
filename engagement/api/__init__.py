"""The REST API: its serializers and views of the program's core, the rules every app's API shares (keys,
throttles, errors, pages), and the keys program admins make."""
