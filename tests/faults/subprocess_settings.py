"""Settings of the processes the faults suite starts (worker, web server, a writer to kill): the test settings on
the test run's own database (FAULTS_DB_NAME: the SQLite file or the PostgreSQL test database), with the real
database task backend so `db_worker` runs the queued tasks."""

import os
from pathlib import Path

from dealerdesk.config.settings.test import *  # noqa: F403
from dealerdesk.config.settings.test import DATABASES

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DATABASES["default"]["NAME"] = os.environ["FAULTS_DB_NAME"]
if os.environ.get("FAULTS_MEDIA_ROOT"):
    MEDIA_ROOT = Path(os.environ["FAULTS_MEDIA_ROOT"])
