"""Demo customers for `dealerdesk demo_data`: a few hundred per store over every stage and grade, with
follow-ups due today and overdue. Deterministic (seeded) and idempotent."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dealerdesk.accounts.models import Membership, Store
from dealerdesk.core.validators import vin_check_digit

from .models import Customer, FollowUp
from .services import customer_create, customer_set_grade, need_record, vehicle_add

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单解"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强浩宇子涵欣怡梓萱一诺宇轩浩然思远晓东晨曦佳琪俊杰雨桐"
)
BRANDS = [
    ("比亚迪", "汉"),
    ("大众", "帕萨特"),
    ("丰田", "凯美瑞"),
    ("本田", "雅阁"),
    ("特斯拉", "Model 3"),
    ("吉利", "星越L"),
]
SOURCES = ["walk_in"] * 5 + [
    "phone_in",
    "website",
    "auto_show",
    "referral",
    "oem_lead",
    "autohome",
    "dongchedi",
    "yiche",
    "wechat",
]
GRADES = ["N", "C", "B", "B", "A", "A", "H", "O"]
PER_STORE = 160


def _vin(rng: random.Random) -> str:
    body = "LSV" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(14))
    return body[:8] + vin_check_digit(body[:8] + "0" + body[9:]) + body[9:]


def load(stdout=None) -> int:
    """Create the demo customers of each demo store that has none yet; returns how many were created."""
    created = 0
    for index, store in enumerate(Store.objects.filter(code__in=["sz-futian", "gz-tianhe"]).order_by("code")):
        if Customer.objects.filter(store=store).exists():
            continue
        created += _load_store(store, seed=index)
    if stdout:
        stdout.write(f"demo customers: {created} new" if created else "demo customers: already loaded")
    return created


@transaction.atomic
def _load_store(store: Store, *, seed: int) -> int:
    rng = random.Random(2026 + seed)  # noqa: S311  demo data, not security
    consultants = [m.user for m in Membership.objects.filter(store=store, role="consultant").select_related("user")]
    manager = Membership.objects.filter(store=store, role="sales_manager").select_related("user").first().user
    now = timezone.now()
    prefix = "135" if seed == 0 else "136"
    for i in range(PER_STORE):
        owner = consultants[i % len(consultants)]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
        customer = customer_create(
            actor=manager,
            store=store,
            owner=owner,
            name=name,
            mobile=f"{prefix}{seed:01d}{i:07d}",
            source=rng.choice(SOURCES),
            gender=rng.choice(["male", "female"]),
            consents=["marketing_sms"] if rng.random() < 0.6 else [],
        )
        grade = rng.choice(GRADES)
        if grade != "N":
            customer_set_grade(actor=manager, customer=customer, grade=grade)
        if rng.random() < 0.5:
            need_record(
                actor=manager,
                customer=customer,
                budget_min=rng.choice([100000, 150000, 200000]),
                budget_max=rng.choice([250000, 300000, 400000]),
                body_type=rng.choice(["suv", "sedan", "mpv"]),
                energy_types=[rng.choice(["bev", "phev", "ice"])],
                seats=rng.choice([5, 5, 7]),
            )
        if rng.random() < 0.3:
            brand, series = rng.choice(BRANDS)
            plate = "粤B" + ("D" if rng.random() < 0.4 else "") + f"{rng.randrange(10000, 99999)}"
            vehicle_add(actor=manager, customer=customer, brand=brand, series=series, plate=plate, vin=_vin(rng))
        # Spread history over the last year and make some follow-ups overdue or due today.
        age = timedelta(days=rng.randrange(0, 365), hours=rng.randrange(0, 24))
        stage = rng.choices(["lead", "prospect", "ordered", "owner", "lost", "dormant"], [3, 6, 1, 1, 1, 1])[0]
        Customer.objects.filter(pk=customer.pk).update(created_at=now - age, stage=stage if grade != "O" else "ordered")
        roll = rng.random()
        due = (
            now - timedelta(days=rng.randrange(1, 10))
            if roll < 0.2
            else now + timedelta(hours=rng.randrange(1, 8))
            if roll < 0.4
            else None
        )
        if due:
            FollowUp.objects.filter(customer=customer, status="open").update(due_at=due)
            Customer.objects.filter(pk=customer.pk).update(next_follow_up_at=due)
    return PER_STORE
