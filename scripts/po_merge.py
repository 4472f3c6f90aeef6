"""Developer tool: fill empty msgstr entries of the zh_Hans catalogue from JSON files {"English": "中文"}.

Usage: .venv/bin/python scripts/po_merge.py file1.json [file2.json …]   (run makemessages first)
Prints the msgids still untranslated. Existing translations are kept unless --overwrite is given.
A message with a context (pgettext) is keyed "context::msgid" in the JSON.
A "fuzzy" entry (makemessages' guess from a similar msgid) is never trusted: it is replaced from the JSON or
emptied, so a wrong guess cannot go live. --rebuild empties every entry first (the JSON files are the source).
"""

import json
import sys
from pathlib import Path

import polib

PO = Path(__file__).resolve().parent.parent / "src/dealerdesk/locale/zh_Hans/LC_MESSAGES/django.po"


def main(args: list[str]) -> int:
    overwrite = "--overwrite" in args or "--rebuild" in args
    rebuild = "--rebuild" in args
    table: dict[str, str] = {}
    for name in (a for a in args if not a.startswith("--")):
        for msgid, value in json.loads(Path(name).read_text(encoding="utf-8")).items():
            # Chinese has one plural form: a list of forms (for a plural msgid) gives its first
            table[msgid] = value[0] if isinstance(value, list) else value
    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if rebuild or "fuzzy" in entry.flags:
            entry.msgstr = ""
            entry.msgstr_plural = {0: ""} if entry.msgid_plural else {}
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        key = f"{entry.msgctxt}::{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            if key in table and (overwrite or not entry.msgstr_plural.get(0)):
                entry.msgstr_plural = {0: table[key]}
            if not entry.msgstr_plural.get(0):
                missing.append(key)
            continue
        if key in table and (overwrite or not entry.msgstr):
            entry.msgstr = table[key]
        if not entry.msgstr:
            missing.append(key)
    po.metadata.update({"Language": "zh_Hans", "Plural-Forms": "nplurals=1; plural=0;",
                        "Content-Type": "text/plain; charset=UTF-8"})
    po.save()
    for msgid in missing:
        print("untranslated:", msgid)
    print(f"{len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
