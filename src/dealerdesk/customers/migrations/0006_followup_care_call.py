# The care desk's calls (issue #10): a follow-up planned for a role, the satisfaction score (1–5, checked by the
# database) and the next step; the "complaint" outcome.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_grade_policy_display_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="next_step",
            field=models.CharField(
                blank=True,
                choices=[
                    ("none", "Nothing further"),
                    ("call_again", "Call again"),
                    ("consultant", "Hand to the sales consultant"),
                    ("service", "Book a service visit"),
                    ("manager", "Sales manager calls back"),
                ],
                max_length=20,
                verbose_name="next step",
            ),
        ),
        migrations.AddField(
            model_name="followup",
            name="role",
            field=models.CharField(blank=True, default="", max_length=20, verbose_name="responsible role"),
        ),
        migrations.AddField(
            model_name="followup",
            name="satisfaction_score",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="satisfaction (1–5)"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("reached", "Reached, talked"),
                    ("no_answer", "No answer"),
                    ("appointment", "Made an appointment"),
                    ("not_interested", "Not interested now"),
                    ("wrong_number", "Wrong number"),
                    ("complaint", "Complaint raised"),
                ],
                max_length=20,
                verbose_name="outcome",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(fields=["store", "role", "status", "due_at"], name="followup_role_queue"),
        ),
        migrations.AddConstraint(
            model_name="followup",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("satisfaction_score__isnull", True),
                    models.Q(("satisfaction_score__gte", 1), ("satisfaction_score__lte", 5)),
                    _connector="OR",
                ),
                name="followup_score_1_to_5",
            ),
        ),
    ]
