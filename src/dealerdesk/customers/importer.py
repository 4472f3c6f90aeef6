"""Customers from a spreadsheet (standard ch. 2): the importer behind the imports app (upload → map → dry run → import).

Each row is validated by `services.clean_customer_fields`, like a customer entered by hand, and deduplicated the
same way: the same normalised mobile (the customer's own, or another mobile of theirs such as one a merge kept as a
contact point) or the same ID number (blind index) in the store is the same customer.

- A new person becomes a customer (a lead, or a prospect when an intent grade other than N is given) with search
  tokens and a first-contact follow-up due within 24 hours, assigned to the row's consultant. No consent is
  recorded: marketing contact needs the customer's explicit consent, given later.
- A person already in the store is never duplicated and nothing they have is overwritten: the row only fills in
  their blank fields (gender, birthday, city, occupation, employer, ID number, mobile, notes, campaign) and adds
  new tags. Their name, source, grade, stage and consultant stay as they are.
- Counts: `created`; `merged` (matched a customer already in the store and filled in something); `updated` (the
  same person again later in the file, adding something to the customer an earlier row brought in);
  `unchanged` (matched, nothing new); `rejected` rows, with one reason per wrong field.
- The dedup answer is a lookup of personal data (docs/decisions/0013): each batch that matched rows to customers
  already in the store writes one access-log entry (`lookup`, how many rows, by which fields). ID numbers are only
  matched for an importer whose role may reveal them; for any other role a row with an ID number is rejected, so the
  counts never confirm a number the role sees only masked.

Written for speed (thousands of rows a second): rows are validated in Python (each repeating cell value once per
run), each batch of 2,000 looks up its mobiles, ID numbers and contact points in one query each, and the new
customers' ids are reserved up front (`bulk.allocate_ids`), so customers, search tokens and follow-ups are inserted
without reading anything back (COPY on PostgreSQL, multi-row INSERTs on SQLite).
"""

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dealerdesk.accounts.models import Membership
from dealerdesk.accounts.permissions import user_can
from dealerdesk.accounts.roles import ROLE_PERMISSIONS
from dealerdesk.core import validators as v
from dealerdesk.core.audit import access_record
from dealerdesk.core.crypto import blind_index
from dealerdesk.imports.bulk import allocate_ids, insert_rows
from dealerdesk.imports.registry import BatchResult, Importer, ImportField, Row, RowError, register

from .choices import ContactKind, FollowUpPurpose, Gender, Source, Stage
from .grades import DEFAULT_GRADES
from .lead_sources import OTHER, group_of_store, import_words, lead_source_label
from .models import ContactPoint, Customer, FollowUp, SearchToken
from .search import new_customer_tokens, reindex_customer
from .selectors import grade_policies_for
from .services import ID_PURPOSE, clean_customer_fields, ensure_grade_policies


def _label(field: str):
    return Customer._meta.get_field(field).verbose_name


FIELDS = (
    ImportField("name", _label("name"), ("姓名", "客户姓名", "客户名称", "客户名", "name", "customer name"), True),
    ImportField(
        "mobile",
        _label("mobile"),
        ("手机", "手机号", "手机号码", "移动电话", "联系电话", "联系方式", "电话", "mobile", "mobile number", "phone"),
        True,
    ),
    ImportField("gender", _label("gender"), ("性别", "gender", "sex")),
    ImportField("birthday", _label("birthday"), ("生日", "出生日期", "出生年月日", "birthday", "date of birth")),
    ImportField("source", _label("source"), ("来源", "客户来源", "线索来源", "来源渠道", "source", "channel")),
    ImportField("city", _label("city"), ("城市", "所在城市", "地区", "city", "region")),
    ImportField("occupation", _label("occupation"), ("职业", "occupation", "job")),
    ImportField("employer", _label("employer"), ("单位", "工作单位", "公司", "employer", "company")),
    ImportField(
        "id_number", _label("id_number"), ("身份证", "身份证号", "身份证号码", "证件号码", "id_number", "id number")
    ),
    ImportField("intent_grade", _label("intent_grade"), ("意向级别", "意向等级", "客户级别", "intent_grade", "grade")),
    ImportField("owner", _label("owner"), ("销售顾问", "顾问", "所属顾问", "负责顾问", "owner", "consultant")),
    ImportField("notes", _label("notes"), ("备注", "notes", "remarks")),
    ImportField("tags", _label("tags"), ("标签", "tags")),
    ImportField("campaign", _label("campaign"), ("活动", "市场活动", "campaign")),
)

# Blank fields of an existing customer that a row may fill in (tags are added to, not filled).
FILLABLE = ("gender", "birthday", "city", "occupation", "employer", "notes", "campaign", "mobile", "id_number")
_TEXT_LIMITS = {f: Customer._meta.get_field(f).max_length for f in ("city", "occupation", "employer", "campaign")}
NAME_MAX = 60  # the longest name clean_customer_fields accepts; a longer one goes through it for its message
MEMO_SIZE = 100_000  # distinct (field, value) pairs remembered per run

_GENDER_WORDS = {
    "男": Gender.MALE,
    "男性": Gender.MALE,
    "先生": Gender.MALE,
    "m": Gender.MALE,
    "女": Gender.FEMALE,
    "女性": Gender.FEMALE,
    "女士": Gender.FEMALE,
    "f": Gender.FEMALE,
    "未知": Gender.UNKNOWN,
    "不详": Gender.UNKNOWN,
}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CN_MOBILE = re.compile(r"^(?:\+86)?(1[3-9]\d{9})$")
_MOBILE_SEPARATORS = re.compile(r"[\s\-]")


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _choice_words(choices, extra: dict[str, str]) -> dict[str, str]:
    """Codes, labels in every language and the extra words, normalised, → code."""
    words = {_key(code): code for code in choices.values}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.update({_key(str(label)): value for value, label in choices.choices})
    words.update({_key(word): value for word, value in extra.items()})
    return words


class _Stub:
    """What a dry run remembers of a customer between batches: which fillable fields are set, and the tags."""

    __slots__ = ("created_here", "filled", "tags")

    def __init__(self, filled: frozenset[str], tags: list[str], created_here: bool):
        self.filled = filled
        self.tags = tags
        self.created_here = created_here


@register
class CustomerImporter(Importer):
    kind = "customers"
    label = _("Customers")
    permission = "customers.import"
    fields = FIELDS
    batch_size = 2000
    notice = _(
        "Imported customers get no consent: marketing calls and messages need the customer's explicit consent, "
        "recorded later. A customer already in the store (same mobile or ID number) is not duplicated: the row only "
        "fills in fields that are blank and adds new tags; name, source, grade and consultant are kept."
    )

    def start(self) -> None:
        """Load the store's grades and consultants, once per run."""
        job = self.job
        self.store_id = job.store_id
        self.actor_id = job.created_by_id
        if self.dry_run:
            self.grades = set(grade_policies_for(self.store_id)) or {code for code, *_rest in DEFAULT_GRADES}
        else:
            self.grades = set(ensure_grade_policies(self.store_id))
        self.consultants = self._consultants()
        self.may_match_ids = user_can(job.created_by, "customers.reveal", self.store_id)
        self.memo: dict[tuple[str, str], tuple[Any, str | None, bool]] = {}  # (field, cell) → _field(field, cell)
        self.today = timezone.localdate()
        # the group's active lead sources by code, name and usual spellings; any other word becomes "other"
        self.group_id = group_of_store(self.store_id)
        self.sources = import_words(self.group_id)
        self.genders = _choice_words(Gender, _GENDER_WORDS)
        self.mobile_prefixes: dict[str, list[str] | None] = {}  # 7-digit prefix → None (valid) or error messages
        self.created_ids: set[int] = set()  # import: customers this run created (for "updated" vs "merged")
        self.stubs: dict[str, _Stub] = {}  # dry run: "m:<mobile>" / "i:<index>" → what it knows of that customer
        self.stub_ids: dict[int, _Stub] = {}
        self._batch_created: list[int] = []
        self._batch_stubs: dict[str, _Stub] = {}
        self._batch_stub_ids: dict[int, _Stub] = {}

    def _consultants(self) -> dict[str, Any]:
        """Username and full name (casefolded) → user id of the store's staff who may own customers."""
        selling = [role for role, perms in ROLE_PERMISSIONS.items() if "sales.sell" in perms]
        found: dict[str, Any] = {}
        rows = Membership.objects.filter(
            store_id=self.store_id, role__in=selling, is_active=True, user__is_active=True
        ).values_list("user_id", "user__username", "user__full_name")
        for user_id, username, full_name in rows:
            found[_key(username)] = user_id
            if full_name:
                key = _key(full_name)
                found[key] = user_id if found.get(key, user_id) == user_id else "ambiguous"
        return found

    # ------------------------------------------------------------ one row

    def _mobile(self, value: str) -> tuple[str | None, list[str] | None]:
        """(E.164 mobile, None) or (None, error messages); plain CN mobiles are judged once per 7-digit prefix.

        Whether a Chinese mobile is valid depends only on its first digits (phonenumbers' metadata), so the
        verdict of the full validator for one number holds for every number sharing its first seven digits.
        """
        compact = _MOBILE_SEPARATORS.sub("", value if value.isascii() else v.to_halfwidth(value))
        match = _CN_MOBILE.match(compact)
        if match is None:
            try:
                return clean_customer_fields({"mobile": value})["mobile"], None
            except ValidationError as exc:
                return None, exc.message_dict["mobile"]
        national = match.group(1)
        prefix = national[:7]
        if prefix not in self.mobile_prefixes:
            try:
                clean_customer_fields({"mobile": national})
                self.mobile_prefixes[prefix] = None
            except ValidationError as exc:
                self.mobile_prefixes[prefix] = exc.message_dict["mobile"]
        errors = self.mobile_prefixes[prefix]
        return (None, errors) if errors else ("+86" + national, None)

    def _parse(self, number: int, values: dict[str, str]) -> tuple[dict[str, Any] | None, set[str], list[RowError]]:
        """(clean record, fields the row gives, errors) for one row.

        The same checks and messages as `clean_customer_fields` on the whole row (and in the same order: first the
        mobile, grade, consultant and length checks, then the customer fields'), but each field is cleaned on its
        own and the fields whose values repeat (gender, source, city, tags, grade, consultant…) are cleaned once
        per distinct value.
        """
        errors: list[RowError] = []
        field_errors: list[RowError] = []
        record: dict[str, Any] = {}
        memo = self.memo
        for field, value in {"name": "", "mobile": "", **values}.items():
            if field == "mobile":
                mobile, messages = self._mobile(value) if value else (None, None)
                if messages:
                    errors.append(RowError(number, field, messages[0]))
                elif mobile:
                    record["mobile"] = mobile
                else:  # the customer validation says it is required
                    field_errors.append(RowError(number, field, self._cleaned("mobile", "")[1]))
                continue
            if field == "name":
                name = v.to_halfwidth(value)
                cleaned, message = (name, None) if name and len(name) <= NAME_MAX else self._cleaned(field, name)
            elif field == "birthday":
                birthday = _iso_date(value) if value else None
                if birthday is None or (type(birthday) is date and birthday.year >= 1900 and birthday <= self.today):
                    cleaned, message = birthday, None
                else:
                    cleaned, message = self._cleaned(field, birthday)
            elif field == "source":
                cleaned, message = self._source(value), None
                if cleaned == OTHER and value.strip() and self.sources.get(_key(value)) != OTHER:
                    record["source_detail"] = value.strip()[:100]
            elif field == "id_number":
                # blank (str.strip also takes the ideographic space): "" as clean_customer_fields would say
                cleaned, message = self._cleaned(field, value) if value.strip() else ("", None)
                if value.strip() and not self.may_match_ids:
                    cleaned, message = (
                        None,
                        gettext(
                            "Your role may not import resident ID numbers: leave the column unmapped, or ask a manager."
                        ),
                    )
            else:
                hit = memo.get((field, value))
                if hit is None:
                    hit = self._field(field, value)
                    if len(memo) < MEMO_SIZE:
                        memo[(field, value)] = hit
                cleaned, message, direct = hit
                if direct:  # grade, consultant, length: reported before the customer fields' errors
                    if message:
                        errors.append(RowError(number, field, message))
                    if cleaned is not None:
                        record[field if field != "owner" else "owner_id"] = cleaned
                    continue
                if field == "tags" and cleaned is not None:
                    cleaned = list(cleaned)
            if message:
                field_errors.append(RowError(number, field, message))
            else:
                record[field] = cleaned
        errors.extend(field_errors)
        if errors:
            return None, set(), errors
        id_number = record.get("id_number", "")
        if id_number:
            if not record.get("birthday"):
                record["birthday"] = v.resident_id_birth_date(id_number)
            record["id_number_index"] = blind_index(id_number, purpose=ID_PURPOSE)
            if record.get("gender", Gender.UNKNOWN) == Gender.UNKNOWN:
                record["gender"] = Gender.MALE if int(id_number[16]) % 2 else Gender.FEMALE
        given = {f for f in FILLABLE if record.get(f) not in (None, "", Gender.UNKNOWN)}
        return record, given, []

    def _field(self, field: str, value: str) -> tuple[Any, str | None, bool]:
        """(clean value, error message, whether it is checked before the customer fields) of a repeating value."""
        if field == "intent_grade":
            grade = _key(value).upper().removesuffix("级")
            if grade and grade not in self.grades:
                message = gettext("Unknown intent grade “%(grade)s”; use one of %(codes)s.") % {
                    "grade": value,
                    "codes": " ".join(sorted(self.grades)),
                }
                return grade, message, True
            return grade, None, True
        if field == "owner":
            owner = self.consultants.get(_key(value)) if value else None
            if value and owner is None:
                message = gettext(
                    "“%(name)s” is not a sales consultant of this store; use their username or full name."
                ) % {"name": value}
                return None, message, True
            if owner == "ambiguous":
                message = gettext("Several consultants are called “%(name)s”; use the username instead.") % {
                    "name": value
                }
                return None, message, True
            return owner, None, True
        if field in _TEXT_LIMITS and len(value) > _TEXT_LIMITS[field]:
            try:
                MaxLengthValidator(_TEXT_LIMITS[field])(value)
            except ValidationError as exc:
                return None, exc.messages[0], True
        if field == "gender":
            value = self.genders.get(_key(value), value) if value else ""
        cleaned, message = self._cleaned(field, value)
        return (tuple(cleaned) if field == "tags" and cleaned is not None else cleaned), message, False

    def _unknown_source(self, value: str) -> str:
        return gettext(
            "“%(value)s” is not one of the lead sources: a new customer is recorded as “%(other)s” with this text "
            "kept. A store administrator can add the source to the list."
        ) % {"value": value, "other": lead_source_label(self.group_id, OTHER)}

    def _source(self, value: str) -> str:
        """The lead source a cell names: blank is walk-in; a word the group's list does not know is "other" (the
        row is imported and reported with a warning, never rejected for it: issue #10.13)."""
        if not value.strip():
            return Source.WALK_IN
        return self.sources.get(_key(value), OTHER)

    @staticmethod
    def _cleaned(field: str, value: Any) -> tuple[Any, str | None]:
        """`clean_customer_fields` of one field: (clean value, None) or (None, its first error message)."""
        try:
            return clean_customer_fields({field: value})[field], None
        except ValidationError as exc:
            return None, exc.message_dict[field][0]

    # ------------------------------------------------------------ one batch

    def process_batch(self, rows: list[Row]) -> BatchResult:
        """Validate the rows, match them to customers by mobile and ID, then create, fill in or reject each."""
        result = BatchResult()
        self.today = timezone.localdate()
        self._batch_created, self._batch_stubs, self._batch_stub_ids = [], {}, {}
        parsed: list[tuple[int, dict[str, Any], set[str]]] = []
        for number, values in rows:
            record, given, errors = self._parse(number, values)
            if errors:
                result.errors.extend(errors)
            else:
                parsed.append((number, record, given))
                if record.get("source_detail"):
                    result.warnings.append(RowError(number, "source", self._unknown_source(record["source_detail"])))
        targets = self._existing(parsed)
        looked_up: set[str] = set()  # by which fields rows matched customers the store had before this run
        matched_rows = 0
        new: list[_New] = []
        changed: dict[int, tuple[Customer, set[str]]] = {}
        for number, record, given in parsed:
            keys = [f"m:{record['mobile']}"] + (
                [f"i:{record['id_number_index']}"] if "id_number_index" in record else []
            )
            found = [targets[key] for key in keys if key in targets]
            earlier = [key for key in keys if key in targets and not self._created_here(targets[key])]
            if earlier:
                matched_rows += 1
                looked_up.update("mobile" if key.startswith("m:") else "id_number" for key in earlier)
            if len(found) == 2 and found[0] is not found[1]:
                result.errors.append(
                    RowError(
                        number,
                        "",
                        gettext(
                            "The mobile belongs to one customer and the ID number to another; "
                            "merge the two customers first, then import this row again."
                        ),
                    )
                )
                continue
            if not found:
                target = self._new(record, given)
                if isinstance(target, _New):
                    new.append(target)
                for key in keys:
                    targets[key] = target
                result.created += 1
                continue
            target = found[0]
            filled = self._fill(target, record, given)
            for key in self._keys_of(target, filled, record):
                targets[key] = target
            if isinstance(target, Customer) and target.pk and filled:
                changed.setdefault(target.pk, (target, set()))[1].update(filled)
            if not filled:
                result.unchanged += 1
            elif self._created_here(target):
                result.updated += 1
            else:
                result.merged += 1
        if not self.dry_run:
            self._write(new, list(changed.values()))
        if matched_rows:
            access_record(
                actor=self.job.created_by,
                kind="lookup",
                target_type="customers.customer",
                target_id="",
                store_id=self.store_id,
                fields=sorted(looked_up),
                row_count=matched_rows,
                reason=f"import {self.job.pk} duplicate check" + (" (dry run)" if self.dry_run else ""),
            )
        return result

    def batch_done(self) -> None:
        self.created_ids.update(self._batch_created)
        self.stubs.update(self._batch_stubs)
        self.stub_ids.update(self._batch_stub_ids)

    def batch_failed(self) -> None:
        self._batch_created, self._batch_stubs, self._batch_stub_ids = [], {}, {}

    def _existing(self, parsed: list[tuple[int, dict[str, Any], set[str]]]) -> dict[str, Any]:
        """Keys ("m:<mobile>", "i:<index>") → the live customer of the store (a stub in a dry run), in one query."""
        mobiles = {record["mobile"] for _n, record, _g in parsed}
        indexes = {record["id_number_index"] for _n, record, _g in parsed if "id_number_index" in record}
        targets: dict[str, Any] = {}
        if self.dry_run:
            for key in [f"m:{m}" for m in mobiles] + [f"i:{i}" for i in indexes]:
                if key in self.stubs:
                    targets[key] = self.stubs[key]
            mobiles = {m for m in mobiles if f"m:{m}" not in targets}
            indexes = {i for i in indexes if f"i:{i}" not in targets}
        if not mobiles and not indexes:
            return targets
        # One query per key, each spelling out its unique index's condition so the partial index is used: an OR of
        # the two would scan every customer of the store.
        live = Customer.objects.filter(store_id=self.store_id, merged_into__isnull=True)
        if not self.dry_run:
            live = live.select_for_update()
        customers = list(live.filter(mobile__in=mobiles).exclude(mobile="")) if mobiles else []
        if indexes:
            seen = {customer.pk for customer in customers}
            by_index = live.filter(id_number_index__in=indexes).exclude(id_number_index="")
            customers += [customer for customer in by_index if customer.pk not in seen]
        # A mobile that is no customer's own may be another mobile of one (a contact point, e.g. kept by a merge).
        found = {customer.mobile for customer in customers}
        spare = mobiles - found
        points = (
            dict(
                ContactPoint.objects.filter(
                    store_id=self.store_id,
                    kind=ContactKind.MOBILE,
                    value__in=spare,
                    customer__merged_into__isnull=True,
                )
                # newest first, so the dict keeps the oldest customer of a mobile two of them share
                .order_by("value", "-customer_id")
                .values_list("value", "customer_id")
            )
            if spare
            else {}
        )
        if points:
            seen = {customer.pk for customer in customers}
            missing = set(points.values()) - seen
            if missing:
                customers += list(live.filter(pk__in=missing))
        by_pk = {customer.pk: customer for customer in customers}
        for customer in customers:
            target = self._stub_of(customer) if self.dry_run else customer
            for key in self._keys_of(customer, set(), {}):
                targets.setdefault(key, target)
        for mobile, customer_id in points.items():
            customer = by_pk.get(customer_id)
            if customer is not None:
                targets.setdefault(f"m:{mobile}", self._stub_of(customer) if self.dry_run else customer)
        return targets

    def _stub_of(self, customer: Customer) -> _Stub:
        stub = self.stub_ids.get(customer.pk) or self._batch_stub_ids.get(customer.pk)
        if stub is None:
            filled = frozenset(f for f in FILLABLE if getattr(customer, f) not in (None, "", Gender.UNKNOWN))
            stub = self._batch_stub_ids[customer.pk] = _Stub(filled, list(customer.tags or []), False)
        return stub

    @staticmethod
    def _keys_of(target: Any, filled: set[str], record: dict[str, Any]) -> list[str]:
        if isinstance(target, _Stub):  # a stub knows only the keys it was found by, and those it just gained
            keys = [f"m:{record['mobile']}"] if "mobile" in filled else []
            return keys + ([f"i:{record['id_number_index']}"] if "id_number" in filled else [])
        keys = [f"m:{target.mobile}"] if target.mobile else []
        return keys + ([f"i:{target.id_number_index}"] if target.id_number_index else [])

    def _created_here(self, target: Any) -> bool:
        if isinstance(target, _Stub):
            return target.created_here
        return isinstance(target, _New) or target.pk in self.created_ids

    def _new(self, record: dict[str, Any], given: set[str]) -> "_New | _Stub":
        grade = record.pop("intent_grade", "") or "N"
        if self.dry_run:
            stub = _Stub(frozenset(given), list(record.get("tags", [])), True)
            for key in [f"m:{record['mobile']}"] + (
                [f"i:{record['id_number_index']}"] if "id_number_index" in record else []
            ):
                self._batch_stubs[key] = stub
            return stub
        return _New(stage=Stage.LEAD if grade == "N" else Stage.PROSPECT, intent_grade=grade, **record)

    def _fill(self, target: Any, record: dict[str, Any], given: set[str]) -> set[str]:
        """Fill the target's blank fields from the row and add its new tags; the names of the fields changed."""
        tags = [tag for tag in record.get("tags", []) if tag not in target.tags]
        if isinstance(target, _Stub):
            filled = set(given - target.filled)
            if filled:
                target.filled = target.filled | filled
            if tags:
                target.tags = (target.tags + tags)[:20]
                filled.add("tags")
            for key in self._keys_of(target, filled, record):
                self._batch_stubs[key] = target
            return filled
        filled = set()
        for field in given:
            current = getattr(target, field)
            if current in (None, "") or (field == "gender" and current == Gender.UNKNOWN):
                setattr(target, field, record[field])
                filled.add(field)
        if "id_number" in filled:
            target.id_number_index = record["id_number_index"]
        if tags and len(target.tags) < 20:
            target.tags = (list(target.tags) + tags)[:20]
            filled.add("tags")
        return filled

    # ------------------------------------------------------------ writing

    def _write(self, new: list["_New"], changed: list[tuple[Customer, set[str]]]) -> None:
        """Insert the batch's new customers with their search tokens and first follow-ups; save the filled-in ones."""
        if new:
            due = timezone.now() + timedelta(hours=24)
            # Ids reserved first: the tokens and follow-ups are built without reading the customers back.
            ids = allocate_ids(Customer, len(new))
            insert_rows(
                Customer,
                ["id", *_NEW_COLUMNS],
                [
                    (pk, *[getattr(customer, name) for name in _NEW_COLUMNS])
                    for pk, customer in zip(ids, new, strict=True)
                ],
                constants={"store_id": self.store_id, "created_by_id": self.actor_id, "next_follow_up_at": due},
            )
            self._batch_created = ids
            insert_rows(
                SearchToken,
                ["token", "customer_id"],
                # in index order: the B-tree takes sorted keys with far fewer page splits and cache misses
                sorted(
                    (token, pk)
                    for pk, c in zip(ids, new, strict=True)
                    for token in new_customer_tokens(c.name, c.mobile)
                ),
                constants={"store_id": self.store_id},
            )
            insert_rows(
                FollowUp,
                ["customer_id", "assignee_id", "grade_before"],
                [(pk, c.owner_id, c.intent_grade) for pk, c in zip(ids, new, strict=True)],
                constants={
                    "store_id": self.store_id,
                    "purpose": FollowUpPurpose.FIRST_CONTACT,
                    "due_at": due,
                    "created_by_id": self.actor_id,
                },
            )
        if changed:
            now = timezone.now()
            fields = set().union(*(filled for _c, filled in changed)) | {"updated_at"}
            if "id_number" in fields:
                fields.add("id_number_index")
            customers = [customer for customer, _filled in changed]
            for customer in customers:
                customer.updated_at = now
            Customer.objects.bulk_update(customers, sorted(fields))
            for customer, filled in changed:
                if "mobile" in filled:
                    reindex_customer(customer)


class _New:
    """A customer the current batch will insert: its values, lighter than a model instance."""

    pk = None
    owner_id = None
    birthday = None
    gender = Gender.UNKNOWN
    source = Source.WALK_IN
    source_detail = ""
    name = city = occupation = employer = notes = campaign = mobile = id_number = id_number_index = ""

    def __init__(self, **values: Any):
        self.__dict__.update(values)
        self.tags = list(values.get("tags", []))


_NEW_COLUMNS = [
    "name",
    "mobile",
    "gender",
    "birthday",
    "source",
    "source_detail",
    "city",
    "occupation",
    "employer",
    "notes",
    "tags",
    "campaign",
    "id_number",
    "id_number_index",
    "stage",
    "intent_grade",
    "owner_id",
]


def _iso_date(value: str) -> str | date:
    """Common spreadsheet date spellings (2026-01-31, 2026/1/31, 2026年1月31日, 20260131) as a date; else as given."""
    text = v.to_halfwidth(value)
    match = _DATE.match(text) or _DATE_COMPACT.match(text)
    if match is None:
        return text
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return text
