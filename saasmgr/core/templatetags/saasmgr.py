from django import template

from saasmgr.core.access import role_may

register = template.Library()

_CHECKS = {"checkbox", "radio"}
_SELECTS = {"select", "selectmultiple", "nullbooleanselect"}


@register.filter
def bootstrap(field):
    """Render a bound field's widget with Bootstrap classes and error ARIA attributes."""
    widget_type = field.widget_type
    if widget_type in _CHECKS:
        css = "form-check-input"
    elif widget_type in _SELECTS:
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": f"{css} is-invalid" if field.errors else css}
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.id_for_label}_errors"
    elif field.help_text:
        attrs["aria-describedby"] = f"{field.id_for_label}_help"
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def can_write(context, view_name: str) -> bool:
    return role_may(context["request"].user, view_name, write=True)


@register.simple_tag(takes_context=True)
def can_read(context, view_name: str) -> bool:
    return role_may(context["request"].user, view_name, write=False)
