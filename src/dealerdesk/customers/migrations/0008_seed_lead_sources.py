# Every existing dealer group starts with the default lead sources (the first version's fixed choices, same codes,
# plus Douyin and Xiaohongshu). Groups created later are seeded the first time their list is read.

from django.db import migrations

DEFAULTS = [
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


def seed(apps, schema_editor):
    DealerGroup = apps.get_model("accounts", "DealerGroup")
    LeadSource = apps.get_model("customers", "LeadSource")
    for group_id in DealerGroup.objects.values_list("id", flat=True):
        LeadSource.objects.bulk_create(
            [
                LeadSource(group_id=group_id, code=code, name=name, name_en=name_en, position=(i + 1) * 10)
                for i, (code, name, name_en) in enumerate(DEFAULTS)
            ],
            ignore_conflicts=True,
        )


def unseed(apps, schema_editor):
    apps.get_model("customers", "LeadSource").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_lead_sources'),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
