"""`make run` (development settings) shows the app's error pages; Django's debug pages only behind an explicit
developer switch (issue #11.6)."""

import os
import subprocess
import sys

PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dealerdesk.config.settings.dev'; django.setup(); "
    "from django.conf import settings; print(settings.DEBUG)"
)


def _debug_with(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DEALERDESK_DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(env_extra)
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_make_run_settings_show_no_debug_pages_unless_a_developer_asks():
    assert _debug_with({}) == "False"
    assert _debug_with({"DEALERDESK_DEBUG": "0"}) == "False"
    assert _debug_with({"DEALERDESK_DEBUG": "1"}) == "True"
