from django.db import migrations

from saasmgr.core.roles import grant_model_permissions, model_codenames

MODELS = ["vendor", "vendoralias", "category", "department", "person", "personalias", "application"]


def grant(apps, schema_editor):
    everything = model_codenames(MODELS, ["view", "add", "change", "delete"])
    grant_model_permissions(
        apps,
        "inventory",
        {
            "admin": everything,
            "it": everything,
            "procurement": model_codenames(MODELS, ["view"])
            + model_codenames(["vendor", "vendoralias", "application"], ["add", "change", "delete"]),
            "finance": model_codenames(MODELS, ["view"]),
            "viewer": model_codenames(MODELS, ["view"]),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("core", "0001_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
