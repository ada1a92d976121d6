"""What every request passes through: security and privacy headers, the client's address behind proxies,
rate limits, the reader's time zone, and the navigation's context."""
