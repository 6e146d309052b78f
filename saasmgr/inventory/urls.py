from django.urls import path

from saasmgr.inventory import views

app_name = "inventory"


def crud(prefix: str, model: str, view_stem: str) -> list:
    """List, add, detail, edit and delete URLs for one model's ``<Stem>ListView`` etc."""

    def view(kind: str):
        return getattr(views, f"{view_stem}{kind}View").as_view()

    return [
        path(f"{prefix}/", view("List"), name=f"{model}_list"),
        path(f"{prefix}/add/", view("Edit"), name=f"{model}_add"),
        path(f"{prefix}/<int:pk>/", view("Detail"), name=f"{model}_detail"),
        path(f"{prefix}/<int:pk>/edit/", view("Edit"), name=f"{model}_edit"),
        path(f"{prefix}/<int:pk>/delete/", view("Delete"), name=f"{model}_delete"),
    ]


urlpatterns = [
    *crud("vendors", "vendor", "Vendor"),
    *crud("applications", "application", "Application"),
    *crud("categories", "category", "Category"),
    *crud("departments", "department", "Department"),
    *crud("people", "person", "Person"),
]
