"""What leaves Groundwork: emails built from templates and retried until the mail server takes them, and
background tasks kept until the broker takes them."""
