"""Accounts are found by owner: each owner's unique (owner, kind) index leads with the owner,
so it also serves the foreign key and the single-column owner indexes go. On PostgreSQL the
table leaves a fifth of each page free, so that a purse's balance update stays on its page
(a heap-only update, writing no index at all). Pages already full gain the room as their
rows move."""

import django.db.models.deletion
from django.db import migrations, models


ROOMY = "ALTER TABLE ledger_account SET (fillfactor = 80)"
FULL = "ALTER TABLE ledger_account RESET (fillfactor)"


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ROOMY)


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FULL)


class Migration(migrations.Migration):

    dependencies = [
        ('canteens', '0004_canteen_settlement_cycle'),
        ('charity', '0001_initial'),
        ('elders', '0002_seed_categories'),
        ('geo', '0001_initial'),
        ('ledger', '0003_donation_funds'),
    ]

    operations = [
        migrations.RunPython(leave_room, fill_pages),
        migrations.RemoveConstraint(
            model_name='account',
            name='account_elder',
        ),
        migrations.RemoveConstraint(
            model_name='account',
            name='account_canteen',
        ),
        migrations.RemoveConstraint(
            model_name='account',
            name='account_region',
        ),
        migrations.RemoveConstraint(
            model_name='account',
            name='account_fund',
        ),
        migrations.AlterField(
            model_name='account',
            name='canteen',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='canteens.canteen'),
        ),
        migrations.AlterField(
            model_name='account',
            name='elder',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='accounts', to='elders.elder'),
        ),
        migrations.AlterField(
            model_name='account',
            name='fund',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='charity.charityfund'),
        ),
        migrations.AlterField(
            model_name='account',
            name='region',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geo.region'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(condition=models.Q(('elder__isnull', False)), fields=('elder', 'kind'), name='account_elder'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(condition=models.Q(('canteen__isnull', False)), fields=('canteen', 'kind'), name='account_canteen'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(condition=models.Q(('region__isnull', False)), fields=('region', 'kind'), name='account_region'),
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.UniqueConstraint(condition=models.Q(('fund__isnull', False)), fields=('fund', 'kind'), name='account_fund'),
        ),
    ]
