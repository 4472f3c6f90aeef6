"""Zero untranslated or fuzzy messages (issue #10.12): every string the code marks for translation has a Chinese
translation in the committed catalogue. Runs Django's makemessages (GNU xgettext) over a copy of the source, so the
repository is never touched, and lists every missing message at once."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

import dealerdesk

PACKAGE = Path(dealerdesk.__file__).parent
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _key(entry: polib.POEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def test_every_marked_string_has_a_chinese_translation(tmp_path):
    # given the source as it is, extracted afresh
    copy = tmp_path / "dealerdesk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dealerdesk.config.settings.test", "PYTHONPATH": str(tmp_path)}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    extracted = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {_key(e): e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete}
    # then each message is in the committed catalogue, translated and not fuzzy
    missing = [
        (e.msgctxt, e.msgid)
        for e in extracted
        if e.msgid
        and (
            _key(e) not in committed
            or "fuzzy" in committed[_key(e)].flags
            or not (committed[_key(e)].msgstr or all(committed[_key(e)].msgstr_plural.values()))
        )
    ]
    assert missing == [], f"{len(missing)} messages without a Chinese translation: {missing}"
