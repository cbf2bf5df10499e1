# Dishes and menus are the canteen's: their tables are renamed to the canteens app's names
# here, and the canteens app takes over their models (canteens 0005) without touching the data.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("meals", "0007_stamped_by_the_clock"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="dish", table="canteens_dish"),
                migrations.AlterModelTable(name="menu", table="canteens_menu"),
                migrations.AlterModelTable(name="menuitem", table="canteens_menuitem"),
            ],
            state_operations=[
                migrations.DeleteModel(name="MenuItem"),
                migrations.DeleteModel(name="Menu"),
                migrations.DeleteModel(name="Dish"),
            ],
        ),
    ]
