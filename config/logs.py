"""How Groundwork's processes format their logs: one line per event on
stdout, JSON for a log collector or plain for a person at a terminal. The
app's settings and gunicorn's both read these, so web, worker and beat agree."""

from __future__ import annotations

FORMATTERS = {
    "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(process)d",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
    },
}


def default_format(*, production: bool) -> str:
    return "json" if production else "plain"


def console_handler(log_format: str) -> dict[str, str]:
    return {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": log_format}
