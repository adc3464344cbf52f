"""A ready "Vidu simulator" connection, so a fresh `make run` can generate at once.

Blank base URL (settings.SIMULATOR_URL decides) and no stored key (the simulator
accepts its built-in key). Callbacks are enabled: the simulator runs beside the studio.
"""

from django.db import migrations

NAME = "Vidu simulator"


def create_simulator_connection(apps, schema_editor):
    ProviderConnection = apps.get_model("providers", "ProviderConnection")
    ProviderConnection.objects.get_or_create(
        name=NAME,
        defaults={
            "kind": "simulator",
            "base_url": "",
            "concurrency_limit": 5,
            "callbacks_enabled": True,
            "is_active": True,
        },
    )


def remove_simulator_connection(apps, schema_editor):
    ProviderConnection = apps.get_model("providers", "ProviderConnection")
    ProviderConnection.objects.filter(name=NAME, kind="simulator").delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]

    operations = [
        migrations.RunPython(create_simulator_connection, remove_simulator_connection),
    ]
