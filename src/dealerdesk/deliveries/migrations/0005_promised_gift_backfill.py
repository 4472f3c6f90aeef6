"""Open deliveries booked before promised gifts existed get their checklist: one promised gift per item of the order's
gift lines ("购车礼: 行车记录仪 + 全车脚垫" → 行车记录仪, 全车脚垫), as booking a delivery now makes them. Handed-over
and cancelled deliveries are history and stay as they are. The split rule is copied here (a migration never follows
later changes of the code). Reversing removes the rows added here while nobody has recorded anything on them.
"""

import re

from django.db import migrations

OPEN = ("scheduled", "prepared")
SEPARATORS = re.compile(r"\s*(?:\+|＋|、|，|,|/|／|;|；|和)\s*")


def _items(label: str) -> list[str]:
    text = (label or "").replace("：", ":")
    if ":" in text:
        text = text.split(":", 1)[1]
    return [item for item in (part.strip() for part in SEPARATORS.split(text)) if item]


def add_promised_gifts(apps, schema_editor):
    Delivery = apps.get_model("deliveries", "Delivery")
    PromisedGift = apps.get_model("deliveries", "PromisedGift")
    rows = []
    for delivery in Delivery.objects.filter(status__in=OPEN).select_related("order").order_by("pk"):
        if PromisedGift.objects.filter(delivery=delivery).exists():
            continue
        position = 0
        for line in delivery.order.price_lines or []:
            if not isinstance(line, dict) or line.get("kind") != "gift":
                continue
            label = str(line.get("label", ""))
            for item in _items(label):
                rows.append(PromisedGift(delivery=delivery, position=position, item=item[:100], source=label[:200]))
                position += 1
    PromisedGift.objects.bulk_create(rows)


def remove_promised_gifts(apps, schema_editor):
    PromisedGift = apps.get_model("deliveries", "PromisedGift")
    PromisedGift.objects.filter(delivery__status__in=OPEN, status="pending", recorded_at__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("deliveries", "0004_promised_gift")]

    operations = [migrations.RunPython(add_promised_gifts, remove_promised_gifts)]
