# Lead sources become each dealer group's list (issue #10.13): the LeadSource table, Customer.source without fixed
# choices (its codes stay valid), and the raw text an import gave for a source not in the list.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('customers', '0006_followup_care_call'),
    ]

    operations = [
        migrations.CreateModel(
            name='LeadSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=20, verbose_name='code')),
                ('name', models.CharField(max_length=40, verbose_name='name (Chinese)')),
                ('name_en', models.CharField(blank=True, max_length=60, verbose_name='name (English)')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='display order')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created')),
                ('group', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.dealergroup', verbose_name='dealer group')),
            ],
            options={
                'verbose_name': 'lead source',
                'verbose_name_plural': 'lead sources',
                'ordering': ['group_id', 'position', 'id'],
                'constraints': [models.UniqueConstraint(fields=('group', 'code'), name='leadsource_unique_code'), models.UniqueConstraint(fields=('group', 'name'), name='leadsource_unique_name')],
            },
        ),
        migrations.AlterField(
            model_name='customer',
            name='source',
            field=models.CharField(default='walk_in', max_length=20, verbose_name='source'),
        ),
        migrations.AddField(
            model_name='customer',
            name='source_detail',
            field=models.CharField(blank=True, max_length=100, verbose_name='source as given'),
        ),
    ]
