"""The promised gifts of a delivery: each gift item the signed contract promised, on the handover checklist."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deliveries", "0003_handover_photo"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PromisedGift",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("position", models.PositiveSmallIntegerField(default=0)),
                ("item", models.CharField(max_length=100, verbose_name="promised gift")),
                ("source", models.CharField(blank=True, max_length=200, verbose_name="promised as")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Not handed over yet"),
                            ("handed_over", "Gift handed over"),
                            ("substituted", "Substituted"),
                        ],
                        default="pending",
                        max_length=12,
                        verbose_name="status",
                    ),
                ),
                ("substitute", models.CharField(blank=True, max_length=100, verbose_name="given instead")),
                ("reason", models.CharField(blank=True, max_length=200, verbose_name="reason for the substitution")),
                ("recorded_at", models.DateTimeField(blank=True, null=True, verbose_name="recorded")),
                (
                    "delivery",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="promised_gifts",
                        to="deliveries.delivery",
                    ),
                ),
                (
                    "gift",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="deliveries.giftitem",
                        verbose_name="gift item from stock",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "promised gift",
                "verbose_name_plural": "promised gifts",
                "ordering": ["delivery_id", "position", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("delivery", "position"), name="promisedgift_unique_position"),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "substituted"), _negated=True),
                            models.Q(
                                models.Q(("substitute", ""), _negated=True), models.Q(("reason", ""), _negated=True)
                            ),
                            _connector="OR",
                        ),
                        name="promisedgift_substitution_explained",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("status", "pending"), ("recorded_at__isnull", False), _connector="OR"),
                        name="promisedgift_recorded_when",
                    ),
                ],
            },
        ),
    ]
