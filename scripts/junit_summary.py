"""Print one summary line per test run and a total, from the JUnit XML files pytest wrote."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    return total


def main(paths: list[str]) -> int:
    grand = {"passed": 0, "failed": 0, "skipped": 0}
    for name in paths:
        path = Path(name)
        if not path.exists():
            continue
        c = counts(path)
        failed = c["failures"] + c["errors"]
        passed = c["tests"] - failed - c["skipped"]
        print(f"{path.stem}: {passed} passed, {failed} failed, {c['skipped']} skipped")
        grand["passed"] += passed
        grand["failed"] += failed
        grand["skipped"] += c["skipped"]
    print(f"total: {grand['passed']} passed, {grand['failed']} failed, {grand['skipped']} skipped")
    return 1 if grand["failed"] or not grand["passed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
