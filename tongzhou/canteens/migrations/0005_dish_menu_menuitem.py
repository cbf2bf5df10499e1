# The canteen's dishes and menus, moved here from the meals app (meals 0008 renamed their
# tables): only the models' state is created; the rows are where they were.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("canteens", "0004_canteen_settlement_cycle"),
        ("meals", "0008_menus_move_to_canteens"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Dish",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=40, verbose_name="name")),
                        ("price_fen", models.PositiveIntegerField(verbose_name="price (fen)")),
                        ("diet_tags", models.CharField(blank=True, help_text="低盐, 软食 …", max_length=60, verbose_name="diet")),
                        ("is_active", models.BooleanField(default=True, verbose_name="on offer")),
                        ("canteen", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="dishes", to="canteens.canteen", verbose_name="canteen")),
                    ],
                    options={
                        "verbose_name": "dish",
                        "verbose_name_plural": "dishes",
                        "ordering": ["canteen", "name"],
                        "constraints": [models.UniqueConstraint(fields=("canteen", "name"), name="dish_name_per_canteen")],
                    },
                ),
                migrations.CreateModel(
                    name="Menu",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(verbose_name="date")),
                        ("session", models.CharField(choices=[("breakfast", "breakfast"), ("lunch", "lunch"), ("dinner", "dinner")], max_length=10, verbose_name="meal session")),
                        ("canteen", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="menus", to="canteens.canteen", verbose_name="canteen")),
                    ],
                    options={
                        "verbose_name": "daily menu",
                        "verbose_name_plural": "daily menus",
                        "ordering": ["-date", "canteen", "session"],
                        "constraints": [models.UniqueConstraint(fields=("canteen", "date", "session"), name="menu_per_session")],
                    },
                ),
                migrations.CreateModel(
                    name="MenuItem",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("price_fen", models.PositiveIntegerField(verbose_name="price (fen)")),
                        ("dish", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="canteens.dish", verbose_name="dish")),
                        ("menu", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="items", to="canteens.menu")),
                    ],
                    options={
                        "verbose_name": "menu item",
                        "verbose_name_plural": "menu items",
                        "constraints": [models.UniqueConstraint(fields=("menu", "dish"), name="menu_dish_once")],
                    },
                ),
            ],
        ),
    ]
