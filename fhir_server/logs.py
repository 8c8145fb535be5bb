"""Logging set-up: text lines for development, one JSON object per line for production.

Used by the command line and handed to uvicorn, so every worker process logs the same way. Log
records carry no request bodies and no query strings: those are where patient data lives.
"""

from __future__ import annotations

import logging
import logging.config
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
FIELDS_ATTRIBUTE = "fields"  # extra={"fields": {...}}: structured values of a record


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of the record, not at configuration time.

    Processes that configure logging and later swap stderr (test runners, daemons) would otherwise
    write into a closed stream.
    """

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def log_config(log_format: str, level: str) -> dict[str, Any]:
    """A logging.config dictionary: the root logger and uvicorn's own loggers on one handler."""
    formatter: dict[str, Any] = {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": {"class": f"{__name__}.StderrHandler", "formatter": "default"}},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            # uvicorn's loggers would otherwise keep their own handlers and formats.
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        }
        # HTTP client libraries log whole URLs, query strings included.
        | {name: {"level": "WARNING"} for name in ("httpx", "httpx2", "httpcore")},
    }


def configure_logging(log_format: str, level: str) -> None:
    """Apply the configuration in this process."""
    logging.config.dictConfig(log_config(log_format, level))
