"""Periodic duties of imports (run by `dealerdesk tick`)."""

from datetime import datetime, timedelta

from dealerdesk.core.periodic import duty

from .services import imports_resume_stalled


@duty("imports.resume_stalled", every=timedelta(minutes=1))
def resume_stalled_imports(now: datetime) -> int:
    """A worker stopped mid-run (restart, crash): queue the run again; it continues after the last batch."""
    return imports_resume_stalled(now=now)
