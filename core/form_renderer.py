"""A form renderer that writes the common widgets in Python, byte for byte as Django's own templates do.

Django renders every widget through the template engine: an <input> costs a template render plus an include for
its attributes; a <select> one render per <option>. The ledger's filter form (15 fields, about 100 options) spent
more time there than the rest of the page (docs/performance.md). This renderer writes <input>, <select>/<option>,
<textarea> and <label> directly, with the same escaping, the same attribute rules (False: left out, True: the bare name)
and the same whitespace as django/forms/templates/django/forms/widgets/*.html (the renderer strips the outer
template's result, not an included one's); anything else (labels, errors, help
text, field and form templates, other widgets) goes to the template engine as before.
tests/core/test_form_renderer.py renders every widget kind, and the project's forms, both ways and compares.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.safestring import mark_safe

from core.html import esc

WIDGETS = "django/forms/widgets/"
INPUTS = frozenset(f"{WIDGETS}{kind}.html" for kind in (
    "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel",
    "color", "checkbox",
))
SELECT, OPTION, TEXTAREA = f"{WIDGETS}select.html", f"{WIDGETS}select_option.html", f"{WIDGETS}textarea.html"
LABEL = "django/forms/label.html"


def _s(value) -> str:
    """`{{ value|stringformat:'s' }}`: "%s" % value, then autoescaped."""
    return esc("%s" % (value,))  # noqa: UP031 -- as the filter: a SafeString comes out plain


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {esc(name)}" if value is True else f' {esc(name)}="{_s(value)}"')
    return "".join(out)


def _text(value) -> str:
    """`{{ value }}`: localized, then autoescaped."""
    return esc(localize(value))


def render_input(w: dict) -> str:
    value = f' value="{_s(w["value"])}"' if w["value"] is not None else ""
    return f'<input type="{_text(w["type"])}" name="{_text(w["name"])}"{value}{_attrs(w["attrs"])}>'


def render_option(o: dict) -> str:
    return f'<option value="{_s(o["value"])}"{_attrs(o["attrs"])}>{_text(o["label"])}</option>'


def render_select(w: dict) -> str | None:
    parts = [f'<select name="{_text(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, group_choices, _index in w["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != OPTION:
                return None  # an option of another kind: leave the whole widget to the template engine
            parts.append("\n  " + render_option(option) + "\n")  # an included template keeps its last newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def render_textarea(w: dict) -> str:
    body = _text(w["value"]) if w["value"] else ""
    return f'<textarea name="{_text(w["name"])}"{_attrs(w["attrs"])}>\n{body}</textarea>'


def render_label(c: dict) -> str:
    """django/forms/label.html (BoundField.label_tag): the label, in its tag when `use_tag`."""
    if not c.get("use_tag"):
        return _text(c["label"])
    tag = _text(c["tag"])
    return f"<{tag}{_attrs(c['attrs'] or {})}>{_text(c['label'])}</{tag}>"


class FastRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == LABEL and isinstance(context, dict) and {"use_tag", "label", "tag", "attrs"} <= context.keys():
            return mark_safe(render_label(context))
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            html = None
            if template_name in INPUTS:
                html = render_input(widget)
            elif template_name == SELECT:
                html = render_select(widget)
            elif template_name == TEXTAREA:
                html = render_textarea(widget)
            if html is not None:
                return mark_safe(html)
        return super().render(template_name, context, request)
