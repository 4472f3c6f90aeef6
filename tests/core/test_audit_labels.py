"""Every key the code writes into an audit diff is shown to people with a label, in their language (issue #10.12):
the audited record's field, a label registered in `core.audit_display`, or a field of that name on another model of
the record's app; choice values are shown by their labels, never as codes."""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import translation

import dealerdesk
from dealerdesk.core.audit import audit_changes
from dealerdesk.core.audit_display import registered_keys

PACKAGE = Path(dealerdesk.__file__).parent


def _diff_keys() -> dict[str, set[tuple[str, str]]]:
    """{key: {(app label, "file:line")}} of every literal key in a `diff=` of an `audit_record(...)` call."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        app = path.relative_to(PACKAGE).parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name != "audit_record":
                continue
            for keyword in node.keywords:
                if keyword.arg != "diff":
                    continue
                for inner in ast.walk(keyword.value):
                    if isinstance(inner, ast.Dict):
                        for key in inner.keys:
                            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                                found.setdefault(key.value, set()).add((app, where))
    return found


def _app_fields(app: str) -> set[str]:
    try:
        config = apps.get_app_config(app)
    except LookupError:
        return set()
    return {f.name for m in config.get_models() for f in m._meta.get_fields() if getattr(f, "concrete", False)}


def test_every_key_written_into_an_audit_diff_has_a_label():
    keys = _diff_keys()
    assert len(keys) > 50  # the walk found the services' diffs
    labelled = registered_keys()
    missing = sorted(
        f"{key} ({where})"
        for key, places in keys.items()
        for app, where in places
        if key not in labelled and key not in _app_fields(app)
    )
    assert missing == [], f"audit diff keys without a label: {missing}"


@pytest.mark.parametrize(
    ("language", "document", "holder"),
    [("zh-hans", "抵押", "贷款"), ("en", "mortgage", "lender")],
)
def test_a_registration_documents_change_shows_labels_not_codes(language, document, holder):
    diff = {"document": [None, "mortgage_documents"], "holder": [None, "lender"]}
    with translation.override(language):
        rows = audit_changes("registrations.registration", diff)
    (doc_label, _b1, doc_value), (holder_label, _b2, holder_value) = rows
    assert "mortgage_documents" not in doc_value and document in doc_value.lower()
    assert holder_value != "lender" and holder in holder_value.lower()
    assert doc_label not in ("document", "holder") or language == "en"
    if language == "zh-hans":
        assert not any(c.isascii() and c.isalpha() for c in doc_label + holder_label)


def test_a_delivery_prepared_entry_lists_its_documents_by_name():
    with translation.override("zh-hans"):
        ((label, _before, after),) = audit_changes("deliveries.delivery", {"documents_received": [None, ["coc"]]})
    assert after != "coc" and not any(c.isascii() and c.isalpha() for c in label + after)


def _has_latin(text: str) -> bool:
    return any(c.isascii() and c.isalpha() for c in text)


def test_a_nested_change_labels_its_keys_and_values_like_fields():
    # given the case recorded when a registration opens (a dict of the registration's fields)
    case = {"owner_kind": "individual", "local": True, "financed": False, "imported": False, "new_energy": True}
    with translation.override("zh-hans"):
        ((label, _before, after),) = audit_changes("registrations.registration", {"case": [None, case]})
    # then every key and choice reads in Chinese, none as its code
    assert not _has_latin(label + after), after
    assert "individual" not in after and "owner_kind" not in after


def test_a_foreign_key_without_a_verbose_name_yields_to_the_registered_label():
    # a PDI check's entry names its delivery: Django would call that field "delivery"
    with translation.override("zh-hans"):
        ((label, _before, after),) = audit_changes("deliveries.pdicheck", {"delivery": [None, "SO00000001"]})
    assert label == "交车" and after == "SO00000001"
