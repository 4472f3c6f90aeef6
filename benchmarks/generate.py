"""Bulk data generator: realistic Chinese customers, vehicles, search tokens and open follow-ups.

Writes with raw bulk SQL (PostgreSQL: COPY; SQLite: executemany in big transactions, synchronous=OFF during the
load), with explicit customer ids so tokens need no round trip. The search tokens are the product's own
(`name_tokens`, `mobile_tokens`, `plate_tokens`, `vin_tokens`, which `tokens_for` is made of), checked against
`tokens_for` on a sample at the end. Secondary indexes (and on PostgreSQL the foreign keys) of the loaded tables
are dropped for the load and recreated from their own catalogue definitions afterwards, as a restore does.

    .venv/bin/python benchmarks/generate.py --customers 1000000          # into var/bench/ (SQLite)
    DATABASE_URL=postgres://…/dealerdesk_bench .venv/bin/python benchmarks/generate.py --customers 1000000
"""

import argparse
import bisect
import itertools
import os
import random
import string
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------- vocabularies

# Surname, share of the population in ‰ (roughly the 2020 census order). Polyphonic surnames are in on purpose:
# 曾 zeng/ceng, 单 shan/dan, 解 xie/jie, 区 ou/qu, 仇 qiu/chou, 朴 piao/pu, 查 zha/cha, 盖 ge/gai, 乐 yue/le,
# 尉 yu/wei, 翟 zhai/di, 覃 qin/tan, 缪 miao/mou; and a few two-character surnames.
SURNAMES: list[tuple[str, float]] = [
    ("王", 71), ("李", 70), ("张", 68), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 22), ("吴", 20),
    ("周", 19), ("徐", 16), ("孙", 15), ("马", 13), ("朱", 13), ("胡", 13), ("郭", 11), ("何", 11), ("高", 10),
    ("林", 10), ("罗", 9), ("郑", 9), ("梁", 8), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6),
    ("邓", 6), ("曹", 5), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 4), ("董", 4), ("袁", 4), ("潘", 4), ("于", 4),
    ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4), ("叶", 4), ("程", 3), ("苏", 3), ("魏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 2), ("汪", 2),
    ("范", 2), ("金", 2), ("石", 2), ("廖", 2), ("贾", 2), ("夏", 2), ("韦", 2), ("付", 2), ("方", 2), ("白", 2),
    ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 1.5), ("闫", 1.5),
    ("段", 1.5), ("雷", 1.5), ("侯", 1.5), ("龙", 1.5), ("史", 1.5), ("陶", 1.2), ("黎", 1.2), ("贺", 1.2),
    ("顾", 1.2), ("毛", 1.2), ("郝", 1.2), ("龚", 1.2), ("邵", 1.2), ("万", 1), ("钱", 1), ("严", 1), ("覃", 1),
    ("武", 1), ("戴", 1), ("莫", 1), ("孔", 1), ("向", 1), ("汤", 1), ("温", 1), ("康", 0.8), ("易", 0.8),
    ("洪", 0.8), ("柯", 0.5), ("翟", 0.5), ("单", 0.4), ("解", 0.3), ("区", 0.3), ("仇", 0.2), ("朴", 0.2),
    ("查", 0.2), ("盖", 0.1), ("乐", 0.2), ("尉", 0.05), ("缪", 0.2), ("欧阳", 0.3), ("司马", 0.05),
    ("诸葛", 0.03), ("上官", 0.03),
]  # fmt: skip

# Given-name characters, most common first (weights fall off with the rank). Male-leaning, female-leaning, either.
_MALE = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建亮成峰彬博志国东文斌海兵锋毅翔"
    "晨鸿坤瑞豪泽航炜钧庆浩然睿哲轩昊楠耀宏振嘉祥铭栋达荣卫忠武松庭宾奇聪诚"
)
_FEMALE = (
    "芳娜敏静丽艳娟霞秀玲桂英红燕萍婷雪琳晶颖慧佳倩欣悦怡璐瑶梦婧蕾薇丹妍雯嘉琪月莉兰凤洁琴云莹"
    "露蓉美惠珍环巧爱香彤菲莎媛茜梅岚曦诗晴涵冰菁淑蓓"
)
_EITHER = "文子晓小海春一天思雨家新振永金世德安立清宇晨睿子涵乐彦"
DISTRICTS = {
    "深圳": ["福田区", "南山区", "罗湖区", "宝安区", "龙岗区", "龙华区", "光明区", "坪山区", "盐田区"],
    "广州": ["天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区", "荔湾区", "花都区", "增城区"],
}
OCCUPATIONS = ["", "", "", "工程师", "教师", "医生", "公务员", "个体经营", "销售", "设计师", "会计", "程序员", "司机"]
SOURCES = [
    ("walk_in", 30), ("phone_in", 10), ("website", 6), ("auto_show", 4), ("referral", 8), ("oem_lead", 10),
    ("autohome", 12), ("dongchedi", 10), ("yiche", 5), ("wechat", 4), ("other", 1),
]  # fmt: skip
MOBILE_PREFIXES = (
    [f"13{d}" for d in range(10)]
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159", "147"]
    + [f"18{d}" for d in range(10)]
    + ["166", "173", "175", "176", "177", "178", "191", "193", "195", "198", "199"]
)
# brand, series, VIN world manufacturer identifier
VEHICLES = [
    ("大众", ["朗逸", "速腾", "迈腾", "帕萨特", "途观L", "ID.4"], "LSV"),
    ("丰田", ["卡罗拉", "凯美瑞", "RAV4荣放", "汉兰达", "雷凌"], "LTV"),
    ("本田", ["思域", "雅阁", "CR-V", "缤智", "飞度"], "LHG"),
    ("日产", ["轩逸", "天籁", "奇骏", "逍客"], "LGB"),
    ("比亚迪", ["秦PLUS", "汉", "宋PLUS", "元PLUS", "海豚", "唐"], "LGX"),
    ("特斯拉", ["Model 3", "Model Y"], "LRW"),
    ("宝马", ["3系", "5系", "X3", "X5"], "LBV"),
    ("奔驰", ["C级", "E级", "GLC"], "LE4"),
    ("奥迪", ["A4L", "A6L", "Q5L"], "LFV"),
    ("别克", ["英朗", "君威", "GL8"], "LSG"),
    ("吉利", ["星越L", "博越", "帝豪"], "L6T"),
    ("长城哈弗", ["H6", "大狗"], "LGW"),
]
VEHICLE_WEIGHTS = [14, 12, 10, 6, 16, 6, 5, 5, 5, 6, 8, 7]
STORE_BRANDS = ["比亚迪", "大众"]  # what each bench store sells (index = store position)
PROVINCE_SHARE = [("粤", 88), ("湘", 3), ("桂", 2), ("赣", 2), ("川", 2), ("鄂", 1), ("京", 1), ("沪", 1)]
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # no I, O (read as 1, 0) or Q
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
VIN_YEAR = dict(zip(range(2010, 2027), "ABCDEFGHJKLMNPRST", strict=True))

# (stage, weight) for customers older than a month; recent ones are mostly leads and prospects.
STAGES_OLD = [("lead", 14), ("prospect", 36), ("ordered", 3), ("owner", 18), ("lost", 19), ("dormant", 10)]
STAGES_NEW = [("lead", 45), ("prospect", 45), ("ordered", 5), ("owner", 1), ("lost", 4)]
GRADES_BY_STAGE = {
    "lead": [("N", 80), ("C", 10), ("B", 10)],
    "prospect": [("H", 6), ("A", 18), ("B", 32), ("C", 30), ("N", 14)],
    "ordered": [("O", 1)],
    "owner": [("O", 1)],
    "lost": [("B", 30), ("C", 50), ("N", 20)],
    "dormant": [("C", 70), ("N", 30)],
}
CHUNK = 20_000
BENCH_PASSWORD = "Bench#2026"


def _picker(pairs: Sequence[tuple[object, float]]) -> Callable[[random.Random, int], list]:
    """A fast weighted sampler of k values (cumulative weights computed once)."""
    values = [v for v, _ in pairs]
    cum = list(itertools.accumulate(w for _, w in pairs))

    def pick(rng: random.Random, k: int) -> list:
        return rng.choices(values, cum_weights=cum, k=k)

    return pick


def _zipf(chars: str) -> list[tuple[str, float]]:
    unique = list(dict.fromkeys(chars))
    return [(c, 1 / (rank + 8)) for rank, c in enumerate(unique)]


_pick_surname = _picker(SURNAMES)
_pick_male = _picker(_zipf(_MALE))
_pick_female = _picker(_zipf(_FEMALE))
_pick_male_first = _picker(_zipf(_MALE) + [(c, w * 0.8) for c, w in _zipf(_EITHER)])
_pick_female_first = _picker(_zipf(_FEMALE) + [(c, w * 0.8) for c, w in _zipf(_EITHER)])
_pick_source = _picker(SOURCES)
_pick_province = _picker(PROVINCE_SHARE)
_pick_vehicle = _picker(list(zip(VEHICLES, VEHICLE_WEIGHTS, strict=True)))
_pick_stage_old = _picker(STAGES_OLD)
_pick_stage_new = _picker(STAGES_NEW)
_pick_grade = {stage: _picker(pairs) for stage, pairs in GRADES_BY_STAGE.items()}


# ------------------------------------------------------------------------------------------- generators


def random_name(rng: random.Random, gender: str) -> str:
    """A surname (weighted, polyphonic and two-character ones included) and a 1–2 character given name."""
    surname = _pick_surname(rng, 1)[0]
    female = gender == "female"
    last = (_pick_female if female else _pick_male)(rng, 1)[0]
    if rng.random() < 0.3:
        return surname + last
    return surname + (_pick_female_first if female else _pick_male_first)(rng, 1)[0] + last


def random_plate(rng: random.Random, home: str, used: set[str]) -> str:
    """A valid plate: 7 characters, or 8 for a new-energy vehicle (D/F + 5, or 5 + D/F), mostly local."""
    while True:
        province = _pick_province(rng, 1)[0]
        if province == "粤":
            prefix = home if rng.random() < 0.85 else "粤" + rng.choice(PLATE_LETTERS[:-1])
        else:
            prefix = province + rng.choice(PLATE_LETTERS[:8])
        roll = rng.random()
        if roll < 0.25:  # small new-energy car: D/F, a letter or digit, 4 digits
            body = rng.choice("DF") + rng.choice(PLATE_LETTERS + string.digits) + f"{rng.randrange(10000):04d}"
        elif roll < 0.30:  # large new-energy vehicle: 5 digits then D/F
            body = f"{rng.randrange(100000):05d}" + rng.choice("DF")
        else:
            body = "".join(
                rng.choice(PLATE_LETTERS) if rng.random() < 0.2 else rng.choice(string.digits) for _ in "12345"
            )
        plate = prefix + body
        if plate not in used:
            used.add(plate)
            return plate


def random_vin(rng: random.Random, wmi: str, year: int, used: set[str]) -> str:
    """A valid 17-character VIN with its check digit computed (ISO 3779 / GB 16735)."""
    from dealerdesk.core.validators import vin_check_digit

    while True:
        vds = "".join(rng.choice(VIN_CHARS) for _ in range(5))
        tail = VIN_YEAR[year] + rng.choice(VIN_CHARS) + f"{rng.randrange(1_000_000):06d}"
        draft = wmi + vds + "0" + tail
        vin = wmi + vds + vin_check_digit(draft) + tail
        if vin not in used:
            used.add(vin)
            return vin


def random_mobiles(rng: random.Random, k: int, used: set[str]) -> list[str]:
    """k new E.164 CN mobiles (1[3-9]x + 8 digits), none of them in `used` (the store's existing ones)."""
    out = []
    while len(out) < k:
        mobile = f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(100_000_000):08d}"
        if mobile not in used:
            used.add(mobile)
            out.append(mobile)
    return out


# ------------------------------------------------------------------------------------------- writers


class _Writer:
    """Bulk rows into one table: COPY on PostgreSQL, executemany on SQLite (values already adapted)."""

    def __init__(self, connection):
        self.connection = connection
        self.pg = connection.vendor == "postgresql"

    def dt(self, ts: float) -> str:
        value = datetime.fromtimestamp(ts, UTC)
        if self.pg:
            return value.isoformat(" ", "microseconds")
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        cols = ", ".join(columns)
        count = 0
        with self.connection.cursor() as cur:
            if self.pg:
                with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                rows = list(rows)
                marks = ", ".join("?" * len(columns))
                cur.cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
                count = len(rows)
        return count


def _defaults(model, explicit: Sequence[str], connection) -> tuple[list[str], tuple]:
    """The columns a bulk row leaves to the model's defaults, and their adapted values (computed once)."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in explicit:
            continue
        if field.primary_key:
            continue
        default = field.get_default()
        if default is None and not field.null:
            raise RuntimeError(f"{model.__name__}.{field.name} has no default: teach benchmarks/generate.py it")
        value = field.get_db_prep_save(default, connection)
        columns.append(field.column)
        values.append(value)
    return columns, tuple(values)


class _IndexesOff:
    """Drop the secondary indexes (PostgreSQL: and the foreign keys) of tables, recreate them identically after."""

    def __init__(self, connection, tables: Sequence[str]):
        self.connection = connection
        self.tables = list(tables)
        self.indexes: list[tuple[str, str]] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def _catalogue(self) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        with self.connection.cursor() as cur:
            if self.connection.vendor == "postgresql":
                cur.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = "
                    "(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) ORDER BY 1",
                    [self.tables],
                )
                indexes = list(cur.fetchall())
                cur.execute(
                    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 2",
                    [self.tables],
                )
                return indexes, list(cur.fetchall())
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
                f"({', '.join(['%s'] * len(self.tables))}) ORDER BY 1",
                self.tables,
            )
            return list(cur.fetchall()), []

    def __enter__(self):
        self.indexes, self.foreign_keys = self._catalogue()
        with self.connection.cursor() as cur:
            for table, name, _definition in self.foreign_keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _sql in self.indexes:
                cur.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc) -> None:
        with self.connection.cursor() as cur:
            if self.connection.vendor == "postgresql":
                cur.execute("SET maintenance_work_mem = '512MB'")
            for _name, sql in self.indexes:
                cur.execute(sql)
            for table, name, definition in self.foreign_keys:
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            if self.connection.vendor == "postgresql":
                cur.execute("RESET maintenance_work_mem")
        if exc[0] is None and self._catalogue() != (self.indexes, self.foreign_keys):
            raise RuntimeError("the recreated indexes differ from the originals")


# ------------------------------------------------------------------------------------------- the generator


def generate_customers(
    n: int,
    stores: list,
    owners: dict[int, list],
    *,
    seed: int = 2026,
    log: Callable[[str], None] = print,
) -> dict:
    """Write n customers across the stores (with vehicles, search tokens and open follow-ups); returns counts/times."""
    from django.db import connection, transaction

    from dealerdesk.customers.models import Customer, FollowUp, OwnedVehicle, SearchToken
    from dealerdesk.customers.search import mobile_tokens, name_tokens, plate_tokens, vin_tokens
    from dealerdesk.customers.services import ensure_grade_policies

    started = time.perf_counter()
    rng = random.Random(seed)
    writer = _Writer(connection)
    pg = writer.pg
    for store in stores:
        ensure_grade_policies(store.pk)

    first_id = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    used_mobiles = {
        s.pk: set(Customer.objects.filter(store=s).exclude(mobile="").values_list("mobile", flat=True)) for s in stores
    }
    used_plates: set[str] = set()
    used_vins: set[str] = set()
    home_plate = {s.pk: ("粤A" if "广州" in (s.city or "") else "粤B") for s in stores}
    city_of = {s.pk: ("广州" if "广州" in (s.city or "") else "深圳") for s in stores}
    brand_of = {s.pk: STORE_BRANDS[i % len(STORE_BRANDS)] for i, s in enumerate(stores)}
    vehicle_of_brand = {v[0]: v for v in VEHICLES}
    owner_ids = {s.pk: [u.pk for u in owners[s.pk]] for s in stores}
    # Uneven workloads: some consultants carry twice as many customers as others.
    owner_cum = {
        sid: list(itertools.accumulate(rng.uniform(0.5, 1.5) for _ in ids)) for sid, ids in owner_ids.items() if ids
    }
    store_ids = [s.pk for s in stores]
    store_cum = list(itertools.accumulate([0.55, 0.45] if len(stores) == 2 else [1.0] * len(stores)))
    grade_hours = {"O": 168, "H": 48, "A": 168, "B": 336, "C": 720, "N": 24}

    now = time.time()
    day = 86400.0
    span = 730 * day
    start_ts = now - span
    today_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    cust_explicit = [
        "id", "store_id", "name", "gender", "birthday", "city", "occupation", "source", "mobile",
        "preferred_channel", "stage", "intent_grade", "owner_id", "next_follow_up_at", "last_contact_at",
        "created_by_id", "created_at", "updated_at",
    ]  # fmt: skip
    cust_default_cols, cust_defaults = _defaults(Customer, cust_explicit, connection)
    veh_explicit = [
        "store_id", "customer_id", "brand", "series", "model_year", "plate", "vin", "purchase_date",
        "bought_here", "created_at",
    ]  # fmt: skip
    veh_default_cols, veh_defaults = _defaults(OwnedVehicle, veh_explicit, connection)
    fu_explicit = [
        "store_id",
        "customer_id",
        "assignee_id",
        "purpose",
        "due_at",
        "status",
        "created_by_id",
        "created_at",
    ]
    fu_default_cols, fu_defaults = _defaults(FollowUp, fu_explicit, connection)
    tok_cols = ["store_id", "token", "customer_id"]
    tables = [m._meta.db_table for m in (Customer, OwnedVehicle, FollowUp, SearchToken)]

    name_cache: dict[str, tuple[str, ...]] = {}
    counts = {"customers": 0, "vehicles": 0, "tokens": 0, "follow_ups": 0}
    pinyin_seconds = 0.0

    def chunk_rows(lo: int, hi: int):
        nonlocal pinyin_seconds
        k = hi - lo
        customers, vehicles, tokens, follow_ups = [], [], [], []
        picks = rng.choices(store_ids, cum_weights=store_cum, k=k)
        sources = _pick_source(rng, k)
        for j in range(k):
            i = lo + j
            cid = first_id + i
            sid = picks[j]
            created = start_ts + span * (i + rng.random()) / n
            age_days = (now - created) / day
            gender = "female" if rng.random() < 0.38 else "male"
            if rng.random() < 0.03:
                gender = "unknown"
            name = random_name(rng, gender)
            mobile = random_mobiles(rng, 1, used_mobiles[sid])[0]
            stage = (_pick_stage_new if age_days < 30 else _pick_stage_old)(rng, 1)[0]
            grade = _pick_grade[stage](rng, 1)[0]
            ids = owner_ids[sid]
            owner = ids[bisect.bisect(owner_cum[sid], rng.random() * owner_cum[sid][-1])] if ids else None
            if stage == "lead" and rng.random() < 0.05:
                owner = None
            last_contact = created + rng.random() * (now - created) if stage != "lead" or rng.random() < 0.5 else None
            next_due = None
            if stage in ("lead", "prospect", "ordered") and owner and rng.random() < 0.10:
                # An open follow-up: due earlier today, later today, or overdue by up to two weeks.
                due = today_start + rng.random() * day if rng.random() < 0.45 else now - rng.random() * 14 * day
                next_due = max(due, created + 60)
                planned = created if stage == "lead" else max(created, next_due - grade_hours[grade] * 3600)
                purpose = "first_contact" if stage == "lead" else "regular"
                follow_ups.append(
                    (sid, cid, owner, purpose, writer.dt(next_due), "open", owner, writer.dt(planned), *fu_defaults)
                )
            birthday = None
            if rng.random() < 0.4:
                birthday = f"{rng.randrange(1960, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            created_s = writer.dt(created)
            city = city_of[sid] + rng.choice(DISTRICTS[city_of[sid]])
            channel = rng.choice(("", "", "phone", "wechat", "sms"))
            due_s = writer.dt(next_due) if next_due else None
            contact_s = writer.dt(last_contact) if last_contact else None
            updated_s = writer.dt(last_contact or created)
            row = (cid, sid, name, gender, birthday, city, rng.choice(OCCUPATIONS), sources[j], mobile, channel)
            customers.append((*row, stage, grade, owner, due_s, contact_s, owner, created_s, updated_s, *cust_defaults))
            toks = name_cache.get(name)
            if toks is None:
                t0 = time.perf_counter()
                toks = name_cache[name] = tuple(name_tokens(name))
                pinyin_seconds += time.perf_counter() - t0
            toks = set(toks) | mobile_tokens(mobile)
            if stage == "owner" or rng.random() < 0.17:
                for number in range(2 if rng.random() < 0.05 else 1):
                    bought_here = stage == "owner" and number == 0
                    brand, series_list, wmi = (
                        vehicle_of_brand[brand_of[sid]] if bought_here else _pick_vehicle(rng, 1)[0]
                    )
                    year = datetime.fromtimestamp(created, UTC).year - (0 if bought_here else rng.randrange(9))
                    year = max(2010, min(2026, year))
                    plate = random_plate(rng, home_plate[sid], used_plates) if rng.random() < 0.97 else ""
                    vin = random_vin(rng, wmi, year, used_vins)
                    purchased = created + (rng.random() * 30 * day if bought_here else -rng.randrange(60, 3000) * day)
                    bought = datetime.fromtimestamp(purchased, UTC).date().isoformat()
                    series = rng.choice(series_list)
                    vehicles.append(
                        (sid, cid, brand, series, year, plate, vin, bought, bought_here, created_s, *veh_defaults)
                    )
                    toks |= plate_tokens(plate) | vin_tokens(vin)
            tokens.extend((sid, t, cid) for t in sorted(toks))
        return customers, vehicles, tokens, follow_ups

    cust_cols = cust_explicit + cust_default_cols
    veh_cols = veh_explicit + veh_default_cols
    fu_cols = fu_explicit + fu_default_cols
    log(f"generating {n:,} customers (ids from {first_id}) on {connection.vendor} …")
    if not pg:
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA cache_size=-1000000")
            cur.execute("PRAGMA temp_store=MEMORY")
    write_seconds = 0.0
    try:
        with transaction.atomic() if pg else _nothing(), _IndexesOff(connection, tables):
            for lo in range(0, n, CHUNK):
                hi = min(n, lo + CHUNK)
                customers, vehicles, tokens, follow_ups = chunk_rows(lo, hi)
                t0 = time.perf_counter()
                with transaction.atomic():
                    counts["customers"] += writer.write(Customer._meta.db_table, cust_cols, customers)
                    counts["vehicles"] += writer.write(OwnedVehicle._meta.db_table, veh_cols, vehicles)
                    counts["follow_ups"] += writer.write(FollowUp._meta.db_table, fu_cols, follow_ups)
                    counts["tokens"] += writer.write(SearchToken._meta.db_table, tok_cols, tokens)
                write_seconds += time.perf_counter() - t0
                if (hi // CHUNK) % 10 == 0 or hi == n:
                    elapsed = time.perf_counter() - started
                    log(f"  {hi:>9,} customers, {counts['tokens']:>10,} tokens, {elapsed:6.1f} s")
            t0 = time.perf_counter()
        index_seconds = time.perf_counter() - t0
    finally:
        if not pg:
            with connection.cursor() as cur:
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA cache_size=-2000")
                cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if pg:
        with connection.cursor() as cur:
            last = first_id + n - 1
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{Customer._meta.db_table}', 'id'), "
                f"GREATEST(%s, (SELECT max(id) FROM {Customer._meta.db_table})))",
                [last],
            )
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        if pg:
            # A live database's autovacuum would have set the visibility map too (index-only scans).
            for table in tables:
                cur.execute(f"VACUUM (ANALYZE) {table}")
        cur.execute("ANALYZE")
    analyze_seconds = time.perf_counter() - t0
    total = time.perf_counter() - started
    rows = sum(counts.values())
    result = {
        **counts,
        "first_id": first_id,
        "last_id": first_id + n - 1,
        "distinct_names": len(name_cache),
        "seconds": total,
        "pinyin_seconds": pinyin_seconds,
        "write_seconds": write_seconds,
        "index_seconds": index_seconds,
        "analyze_seconds": analyze_seconds,
        "rows_per_s": rows / total,
        "customers_per_s": n / total,
    }
    log(
        f"generated {counts['customers']:,} customers, {counts['vehicles']:,} vehicles, {counts['tokens']:,} tokens, "
        f"{counts['follow_ups']:,} open follow-ups in {total:.1f} s ({rows / total:,.0f} rows/s; "
        f"pinyin {pinyin_seconds:.1f} s for {len(name_cache):,} distinct names, writes {write_seconds:.1f} s, "
        f"indexes {index_seconds:.1f} s, analyze {analyze_seconds:.1f} s)"
    )
    return result


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def verify_sample(first_id: int, last_id: int, *, k: int = 200, seed: int = 7) -> None:
    """The stored tokens of a sample equal the product's `tokens_for`; mobiles, plates and VINs validate."""
    from dealerdesk.core.validators import normalize_mobile, normalize_plate, normalize_vin
    from dealerdesk.customers.models import Customer, SearchToken
    from dealerdesk.customers.search import tokens_for

    rng = random.Random(seed)
    ids = rng.sample(range(first_id, last_id + 1), min(k, last_id - first_id + 1))
    for customer in Customer.objects.filter(pk__in=ids).prefetch_related("vehicles"):
        stored = set(SearchToken.objects.filter(customer=customer).values_list("token", flat=True))
        expected = tokens_for(customer, list(customer.vehicles.all()))
        if stored != expected:
            raise AssertionError(f"customer {customer.pk}: tokens differ: {sorted(stored ^ expected)}")
        assert normalize_mobile(customer.mobile) == customer.mobile, customer.mobile
        for vehicle in customer.vehicles.all():
            assert not vehicle.plate or normalize_plate(vehicle.plate) == vehicle.plate, vehicle.plate
            assert normalize_vin(vehicle.vin) == vehicle.vin, vehicle.vin


# ------------------------------------------------------------------------------------------- stores and staff


def ensure_bench_stores(consultants_per_store: int = 25) -> tuple[list, dict[int, list], dict[int, object]]:
    """Two bench stores with consultants and a sales manager each (password BENCH_PASSWORD for the managers)."""
    from dealerdesk.accounts.models import DealerGroup, Membership, Store, User

    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    specs = [
        ("bench-sz-futian", "基准深圳福田4S店", "深圳", "sz"),
        ("bench-gz-tianhe", "基准广州天河4S店", "广州", "gz"),
    ]
    stores, owners, managers = [], {}, {}
    for code, name, city, short in specs:
        store, _ = Store.objects.get_or_create(code=code, defaults={"group": group, "name": name, "city": city})
        stores.append(store)
        wanted = [f"bench-{short}-consultant-{i:02d}" for i in range(1, consultants_per_store + 1)]
        existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
        new_users = []
        for i, username in enumerate(wanted, 1):
            if username in existing:
                continue
            user = User(username=username, full_name=f"{city}顾问{i:02d}")
            user.set_unusable_password()
            new_users.append(user)
        User.objects.bulk_create(new_users)
        consultants = list(User.objects.filter(username__in=wanted).order_by("username"))
        Membership.objects.bulk_create(
            [Membership(user=u, store=store, role="consultant") for u in consultants], ignore_conflicts=True
        )
        owners[store.pk] = consultants
        manager = User.objects.filter(username=f"bench-{short}-manager").first()
        if manager is None:
            manager = User.objects.create_user(
                f"bench-{short}-manager", password=BENCH_PASSWORD, full_name=f"{city}销售经理"
            )
        Membership.objects.get_or_create(user=manager, store=store, role="sales_manager")
        managers[store.pk] = manager
    return stores, owners, managers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-verify", action="store_true", help="skip the token/validity check of a sample")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerdesk.config.settings.bench")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("DEALERDESK_VAR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", verbosity=0)
    stores, owners, _ = ensure_bench_stores()
    result = generate_customers(args.customers, stores, owners, seed=args.seed)
    if not args.no_verify:
        verify_sample(result["first_id"], result["last_id"])
        print("sample check: tokens equal tokens_for(); mobiles, plates and VINs valid")


if __name__ == "__main__":
    main()
