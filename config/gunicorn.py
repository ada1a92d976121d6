"""gunicorn's settings for Groundwork: ``gunicorn config.wsgi -c config/gunicorn.py``.

Everything an operator tunes comes from the environment, like the app's own
settings. Logs go to stdout, in the same format as the app's (JSON unless
LOG_FORMAT=plain), so one collector reads web, worker and beat alike.
"""

from __future__ import annotations

import multiprocessing
import os

from config import logs

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# gunicorn's rule of thumb: two workers a core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
# A request that takes longer is a bug; the proxy would have given up anyway.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so that a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# The proxy in front sets X-Forwarded-Proto; trust it from the addresses given.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
# The client's address first, as the app reads it (TRUSTED_PROXY_COUNT): behind
# a proxy, the connection's own (%(h)s) is the proxy's for everyone.
access_log_format = '%({groundwork.client_address}e)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

_format = os.environ.get("LOG_FORMAT") or logs.default_format(production=os.environ.get("DJANGO_ENV") == "production")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": logs.FORMATTERS,
    "handlers": {"console": logs.console_handler(_format)},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
