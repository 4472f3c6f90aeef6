"""Customer import: a generated 100,000-row CSV (× scale) through the importer, beside a raw-SQL insert floor.

The importer's figures cover everything a real import does after the upload: reading and decoding the file,
validating every row, looking up duplicates, inserting customers, search tokens and first follow-ups, the
rejected rows, progress and audit entries. The floor is the bare insert of the same customers into
customers_customer with `executemany`, nothing else.
"""

import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import ric

from benchmarks.harness import Figure, analyze
from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.core.tabular import write_csv
from dealerdesk.customers.models import Customer
from dealerdesk.imports import services
from dealerdesk.imports.models import ImportJob

HEADERS = [
    "客户姓名",
    "手机号码",
    "性别",
    "出生日期",
    "来源",
    "城市",
    "身份证号",
    "意向级别",
    "销售顾问",
    "备注",
    "标签",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱"
    "妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉"
    "眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊"
    "亚宜可姬舒影荔枝思丽"
)
SOURCES = ["自然到店", "汽车之家", "懂车帝", "易车", "转介绍", "车展", "来电", "官网", "厂家线索", "微信"]
CITIES = ["深圳", "广州", "东莞", "佛山", "惠州", "珠海", "北京", "上海"]
REGIONS = ["440304", "440305", "440106", "110105", "310115", "330106"]
MOBILE_HEADS = ["138", "139", "137", "136", "135", "150", "151", "158", "186", "188", "177", "199"]


def _setup() -> tuple[Store, User]:
    group, _ = DealerGroup.objects.get_or_create(code="bench", defaults={"name": "基准集团"})
    store, _ = Store.objects.get_or_create(
        code="bench-import", defaults={"group": group, "name": "导入门店", "city": "深圳"}
    )
    user = User.objects.filter(username="bench-importer").first()
    if user is None:
        user = User.objects.create_user("bench-importer", password="Bench#2026", full_name="导入经理")
        Membership.objects.create(user=user, store=store, role="sales_manager")
    for i in range(5):
        consultant, created = User.objects.get_or_create(username=f"bench-gu{i}", defaults={"full_name": f"顾问{i}"})
        if created:
            Membership.objects.create(user=consultant, store=store, role="consultant")
    return store, user


def _resident_id(rng: random.Random, born: date) -> str:
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + ric.calc_check_digit(first17 + "0")


def generate(n: int, seed: int = 20260101) -> list[list[str]]:
    """`n` rows as a store would export them: unique mobiles, 10 % with an ID number, about 1 % with a bad mobile.

    Mobiles come from 5,000 number blocks (the first seven digits), as a store's customers mostly live nearby.
    """
    rng = random.Random(seed)
    blocks = [f"{rng.choice(MOBILE_HEADS)}{rng.randrange(10**4):04d}" for _ in range(5_000)]
    mobiles = {}
    while len(mobiles) < n:
        mobile = f"{rng.choice(blocks)}{rng.randrange(10**4):04d}"
        mobiles[mobile] = None
    mobiles = list(mobiles)
    rows = []
    for i in range(n):
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 45))
        mobile = mobiles[i]
        rows.append(
            [
                rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                mobile if rng.random() > 0.01 else mobile[:7],
                rng.choice(("男", "女", "")),
                born.isoformat() if rng.random() < 0.5 else "",
                rng.choice(SOURCES),
                rng.choice(CITIES),
                _resident_id(rng, born) if rng.random() < 0.1 else "",
                rng.choice(("H", "A", "B", "C", "N", "")),
                f"bench-gu{rng.randrange(5)}" if rng.random() < 0.7 else "",
                "",
                rng.choice(("", "", "VIP", "试驾,金融")),
            ]
        )
    return rows


def _import(store: Store, user: User, path: Path, *, dry_run: bool) -> ImportJob:
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    job = services.import_upload(actor=user, store=store, kind="customers", upload=upload)
    job = services.import_set_mapping(actor=user, job=job, mapping=job.mapping)
    # import_start queues the run for a worker; the benchmark runs it here instead, so the time is the run's alone.
    job = services.import_start(actor=user, job=job, dry_run=dry_run)
    services.import_run(job.pk, dry_run=dry_run, token=job.run_token)
    job.refresh_from_db()
    if job.status not in ("done", "dry_run_done"):
        raise SystemExit(f"benchmark import failed: {job.error_code} {job.error_summary}")
    return job


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _timed_cpu(fn) -> tuple[float, float, object]:
    """Wall seconds, and CPU seconds of this process (SQLite's own work included, a PostgreSQL server's not)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return time.perf_counter() - start, time.process_time() - cpu, value


def run(scale: float) -> list[Figure]:
    store, user = _setup()
    n = max(int(100_000 * scale), 1_000)
    rows = generate(n)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        path.write_bytes(write_csv(rows, HEADERS))
        size_mb = path.stat().st_size / 1024 / 1024

        seconds, dry = _timed(lambda: _import(store, user, path, dry_run=True))
        dry_rate = dry.total / seconds
        seconds, cpu_seconds, job = _timed_cpu(lambda: _import(store, user, path, dry_run=False))
        ours = job.total / seconds
        ours_cpu = job.total / cpu_seconds
        analyze()
        seconds, again = _timed(lambda: _import(store, user, path, dry_run=False))
        rerun = again.total / seconds

    floor = _floor(store, user, rows)
    note = f"{n:,} rows ({size_mb:.1f} MB CSV), {job.created:,} created, {job.rejected:,} rejected"
    return [
        Figure("customer import: dry run (validate, dedup, no writes)", "rows/s", dry_rate, floor_p50=floor, note=note),
        Figure("customer import: import (customers+tokens+follow-ups)", "rows/s", ours, floor_p50=floor, note=note),
        Figure(
            "customer import: import, per CPU second here",
            "rows/s",
            ours_cpu,
            note="this process's CPU time only: steady on a busy machine; a PostgreSQL server's work is not in it",
        ),
        Figure(
            "customer import: same file again (all matched)",
            "rows/s",
            rerun,
            floor_p50=floor,
            note=f"{again.unchanged:,} unchanged, {again.created} created",
        ),
    ]


def _floor(store: Store, user: User, rows: list[list[str]]) -> float:
    """Bare executemany of the same customers into a second store, in 500-row transactions."""
    floor_store, _ = Store.objects.get_or_create(
        code="bench-import-floor", defaults={"group": store.group, "name": "导入基线", "city": "深圳"}
    )
    table = Customer._meta.db_table
    now = timezone.now()
    values = [
        (
            floor_store.pk,
            row[0],
            "unknown",
            row[5],
            "",
            "",
            "",
            "[]",
            "walk_in",
            "",
            "+86" + row[1],
            "",
            "",
            "",
            "",
            "lead",
            "N",
            now,
            user.pk,
            now,
            now,
        )
        for row in rows
        if len(row[1]) == 11
    ]
    sql = (
        f"INSERT INTO {table} (store_id, name, gender, city, occupation, employer, notes, tags, source, campaign, "
        "mobile, preferred_channel, preferred_time, id_number, id_number_index, stage, intent_grade, "
        "next_follow_up_at, created_by_id, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    start = time.perf_counter()
    for i in range(0, len(values), 500):
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, values[i : i + 500])
    return len(values) / (time.perf_counter() - start)
