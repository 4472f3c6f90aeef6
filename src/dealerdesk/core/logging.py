import logging

from . import context


class RequestIdFilter(logging.Filter):
    """Adds the request id to every log record so a line can be traced to its request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True
