"""Lead sources (线索来源): each dealer group's list of the ways customers find its stores, extended by the store
administrators (issue #10.13, docs/decisions/0018-lead-sources.md).

A customer keeps the source's code. The list is read through a small cache (one entry per group, dropped when a
source is added or changed) so that pages showing a customer's source run no extra query. A group's list is seeded
with the defaults the first time it is read, like the intent grades.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

from dealerdesk.accounts.models import Store, User
from dealerdesk.accounts.permissions import user_can
from dealerdesk.core.audit import audit_record, diff_fields
from dealerdesk.core.errors import NotPermitted

from .choices import Source
from .models import Customer, LeadSource

OTHER = Source.OTHER
# Never switched off: new customers start at walk-in, and an import puts every source it does not know under other.
ALWAYS_ACTIVE = frozenset({Source.WALK_IN, Source.OTHER})

# (code, Chinese name, English name): the list every group starts with. The codes of the first version's fixed
# choices are kept, so existing customers and API callers stay valid.
DEFAULT_LEAD_SOURCES: list[tuple[str, str, str]] = [
    ("walk_in", "自然进店", "Walk-in"),
    ("phone_in", "电话", "Phone-in"),
    ("website", "官网", "Store website"),
    ("douyin", "抖音", "Douyin"),
    ("xiaohongshu", "小红书", "Xiaohongshu"),
    ("dongchedi", "懂车帝", "Dongchedi"),
    ("yiche", "易车", "Yiche"),
    ("autohome", "汽车之家", "Autohome"),
    ("referral", "老客户转介绍", "Referral by a customer"),
    ("auto_show", "车展", "Auto show"),
    ("oem_lead", "厂家线索", "Carmaker-assigned lead"),
    ("wechat", "微信", "WeChat"),
    ("other", "其他", "Other"),
]

# Other spellings an import recognises for the default codes (besides the code and both names).
IMPORT_WORDS: dict[str, str] = {
    "自然到店": "walk_in",
    "到店": "walk_in",
    "进店": "walk_in",
    "展厅": "walk_in",
    "展厅到店": "walk_in",
    "来电": "phone_in",
    "电话": "phone_in",
    "网站": "website",
    "门店官网": "website",
    "抖音": "douyin",
    "小红书": "xiaohongshu",
    "易车网": "yiche",
    "转介绍": "referral",
    "老客户介绍": "referral",
    "老客户推荐": "referral",
    "老带新": "referral",
    "厂家": "oem_lead",
    "主机厂": "oem_lead",
    "厂家下发线索": "oem_lead",
    "其它": "other",
}

CACHE_SECONDS = 300  # bounds how long another process may show an old name when the cache is per process
_CODE_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class SourceInfo:
    code: str
    name: str
    name_en: str
    is_active: bool

    @property
    def label(self) -> str:
        """The name in the active language; the Chinese name when no English one was given."""
        language = translation.get_language() or ""
        return self.name_en if language.startswith("en") and self.name_en else self.name


def _cache_key(group_id: int) -> str:
    return f"customers:lead_sources:{group_id}"


def ensure_lead_sources(group_id: int) -> None:
    """Seed the group's list with the defaults the first time (two first readers at once: the second keeps the
    first's rows)."""
    if LeadSource.objects.filter(group_id=group_id).exists():
        return
    LeadSource.objects.bulk_create(
        (
            LeadSource(group_id=group_id, code=code, name=name, name_en=name_en, position=(i + 1) * 10)
            for i, (code, name, name_en) in enumerate(DEFAULT_LEAD_SOURCES)
        ),
        ignore_conflicts=True,
    )


def lead_sources_of(group_id: int) -> list[SourceInfo]:
    """The group's sources in display order, active or not (cached)."""
    found = cache.get(_cache_key(group_id))
    if found is None:
        ensure_lead_sources(group_id)
        found = [
            SourceInfo(*row)
            for row in LeadSource.objects.filter(group_id=group_id)
            .order_by("position", "id")
            .values_list("code", "name", "name_en", "is_active")
        ]
        cache.set(_cache_key(group_id), found, CACHE_SECONDS)
    return found


def _forget(group_id: int) -> None:
    transaction.on_commit(lambda: cache.delete(_cache_key(group_id)))
    cache.delete(_cache_key(group_id))


def active_codes(group_id: int) -> set[str]:
    return {s.code for s in lead_sources_of(group_id) if s.is_active}


def group_of_store(store_or_id) -> int:
    if isinstance(store_or_id, Store):
        return store_or_id.group_id
    return Store.objects.values_list("group_id", flat=True).get(pk=store_or_id)


def lead_source_choices(group_ids, *, current: str = "") -> list[tuple[str, str]]:
    """(code, label) of the active sources of these groups (a person working for several groups sees each code
    once), plus `current` when it was switched off since (a customer keeps their source on edit)."""
    if isinstance(group_ids, int):
        group_ids = [group_ids]
    seen: dict[str, str] = {}
    for group_id in dict.fromkeys(group_ids):
        for source in lead_sources_of(group_id):
            if source.is_active or source.code == current:
                seen.setdefault(source.code, source.label)
    if current and current not in seen:
        seen[current] = current
    return list(seen.items())


def lead_source_label(group_id: int | None, code: str) -> str:
    """A source's name in the active language; a code no longer in the list shows as itself."""
    if not code:
        return ""
    if group_id is not None:
        for source in lead_sources_of(group_id):
            if source.code == code:
                return source.label
    if code in Source.values:
        return str(Source(code).label)
    return code


def lead_source_labels(group_ids) -> dict[str, str]:
    """{code: label} of every source (active or not) of these groups."""
    labels: dict[str, str] = {}
    for group_id in dict.fromkeys(group_ids):
        for source in lead_sources_of(group_id):
            labels.setdefault(source.code, source.label)
    return labels


def validate_source(group_id: int, code: str, *, current: str | None = None) -> None:
    """Raise ValidationError (keyed `source`) unless `code` is an active source of the group; a customer's own
    source, switched off since, may stay."""
    if code == current or code in active_codes(group_id):
        return
    raise ValidationError(
        {"source": [_("Choose one of the store's lead sources; an administrator can add a new one.")]},
        code="invalid_choice",
    )


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def import_words(group_id: int) -> dict[str, str]:
    """Normalised word → code of the group's active sources: codes, names in both languages, the usual spellings
    of the default sources, and the first version's labels in every language."""
    from django.conf import settings

    active = active_codes(group_id)
    words: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            words.update({_key(str(label)): value for value, label in Source.choices if value in active})
    words.update({_key(word): code for word, code in IMPORT_WORDS.items() if code in active})
    for source in lead_sources_of(group_id):
        if source.is_active:
            for word in (source.code, source.name, source.name_en):
                if word:
                    words[_key(word)] = source.code
    return words


# ---------------------------------------------------------------- the administrators' page and writes


def lead_sources_for_admin(actor: User, store: Store) -> list[tuple[LeadSource, int]]:
    """The store's group list with how many live customers of the group use each source, for its administrator."""
    _require_manage(actor, store)
    ensure_lead_sources(store.group_id)
    used = dict(
        Customer.objects.filter(store__group_id=store.group_id, merged_into__isnull=True)
        .order_by()
        .values_list("source")
        .annotate(n=Count("id"))
    )
    sources = LeadSource.objects.filter(group_id=store.group_id).order_by("position", "id")
    return [(source, used.get(source.code, 0)) for source in sources]


def _require_manage(actor: User, store: Store) -> None:
    if not user_can(actor, "store.manage", store):
        raise NotPermitted()


def _clean_names(group_id: int, name: str, name_en: str, *, exclude: int | None = None) -> tuple[str, str]:
    errors: dict[str, list] = {}
    name, name_en = (name or "").strip(), (name_en or "").strip()
    if not name:
        errors["name"] = [_("Give the source a name.")]
    elif len(name) > 40:
        errors["name"] = [_("A source's name can have at most 40 characters.")]
    else:
        clash = LeadSource.objects.filter(group_id=group_id, name__iexact=name)
        if exclude:
            clash = clash.exclude(pk=exclude)
        if clash.exists():
            errors["name"] = [_("The list already has a source with this name.")]
    if len(name_en) > 60:
        errors["name_en"] = [_("The English name can have at most 60 characters.")]
    if errors:
        raise ValidationError(errors)
    return name, name_en


def _new_code(group_id: int, name: str, name_en: str) -> str:
    """A readable code from the English name or the pinyin of the Chinese one, unique in the group."""
    base = _CODE_CHARS.sub("_", (name_en or "".join(lazy_pinyin(name))).casefold()).strip("_")[:16] or "source"
    taken = set(LeadSource.objects.filter(group_id=group_id).values_list("code", flat=True))
    code, n = base, 2
    while code in taken:
        code, n = f"{base}_{n}", n + 1
    return code


@transaction.atomic
def lead_source_create(*, actor: User, store: Store, name: str, name_en: str = "") -> LeadSource:
    """Add a source to the store's group list, at its end."""
    _require_manage(actor, store)
    group_id = store.group_id
    ensure_lead_sources(group_id)
    name, name_en = _clean_names(group_id, name, name_en)
    last = LeadSource.objects.filter(group_id=group_id).aggregate(m=Max("position"))["m"] or 0
    try:
        with transaction.atomic():
            source = LeadSource.objects.create(
                group_id=group_id,
                code=_new_code(group_id, name, name_en),
                name=name,
                name_en=name_en,
                position=last + 10,
            )
    except IntegrityError:  # the same name added at the same moment by someone else
        raise ValidationError({"name": [_("The list already has a source with this name.")]}) from None
    audit_record(
        actor=actor,
        action="lead_source.created",
        target=source,
        store_id=store.pk,
        diff={"code": [None, source.code], "name": [None, name], "name_en": [None, name_en]},
    )
    _forget(group_id)
    return source


@transaction.atomic
def lead_source_update(
    *, actor: User, store: Store, source: LeadSource, name: str, name_en: str, is_active: bool, position: int
) -> LeadSource:
    """Rename, reorder, switch off or on a source of the store's group. Its code never changes; a source is never
    deleted (customers keep it), and walk-in and other always stay on."""
    _require_manage(actor, store)
    source = LeadSource.objects.select_for_update().get(pk=source.pk, group_id=store.group_id)
    name, name_en = _clean_names(source.group_id, name, name_en, exclude=source.pk)
    errors = {}
    if not is_active and source.code in ALWAYS_ACTIVE:
        errors["is_active"] = [_("Walk-in and other are always offered: they cannot be switched off.")]
    if not isinstance(position, int) or not 0 <= position <= 32000:
        errors["position"] = [_("The display order is a number from 0 to 32000.")]
    if errors:
        raise ValidationError(errors)
    before = {
        "name": source.name,
        "name_en": source.name_en,
        "is_active": source.is_active,
        "position": source.position,
    }
    after = {"name": name, "name_en": name_en, "is_active": is_active, "position": position}
    changes = diff_fields(before, after)
    if not changes:
        return source
    source.name, source.name_en, source.is_active, source.position = name, name_en, is_active, position
    source.save()
    audit_record(actor=actor, action="lead_source.updated", target=source, store_id=store.pk, diff=changes)
    _forget(source.group_id)
    return source
