"""core.form_renderer writes the common widgets exactly as Django's templates do (same escaping, attributes and
whitespace), and leaves everything else to the templates."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict

from core.form_renderer import FastRenderer

SLOW, FAST = DjangoTemplates(), FastRenderer()
TRICKY = 'a<b>&"\'c 中文'
ATTRS = [{}, {"id": "id_f", "required": True, "disabled": False, "placeholder": TRICKY, "data-x": 0},
         {"class": "wide", "autocomplete": "off", "aria-describedby": "h1 h2"}]
CHOICES = [("", "全部"), ("a", "A&B"), (1, 2), ("x", TRICKY)]
GROUPED = [("", "不限"), ("组<一>", [("a", "甲"), ("b", "乙")]), ("c", "丙")]
WIDGETS = [
    (forms.TextInput(), ["", None, TRICKY, 0, "x"]),
    (forms.NumberInput(), [None, 3, 2.5, "12"]),
    (forms.EmailInput(), [None, "a@b.cn"]),
    (forms.PasswordInput(render_value=True), ["secret<"]),
    (forms.HiddenInput(), [None, 5, TRICKY]),
    (forms.DateInput(attrs={"type": "date"}), [None, datetime.date(2026, 12, 2), "2026-12-02"]),
    (forms.TextInput(attrs={"type": "search"}), ["王"]),
    (forms.CheckboxInput(), [True, False, None, "on"]),
    (forms.Textarea(), ["", None, TRICKY, "两行\n文字"]),
    (forms.Select(choices=CHOICES), ["", "a", 1, "1", None, TRICKY, "missing"]),
    (forms.Select(choices=GROUPED), ["b", ""]),
    (forms.SelectMultiple(choices=CHOICES), [["a", "x"], []]),
    (forms.NullBooleanSelect(), [None, True, False]),
]


@pytest.mark.parametrize("widget,values", WIDGETS, ids=lambda w: type(w).__name__ if isinstance(w, forms.Widget) else "")
def test_every_widget_kind_renders_byte_for_byte_as_djangos_templates(widget, values):
    for attrs in ATTRS:
        for value in values:
            slow = widget.render("f", value, attrs=attrs, renderer=SLOW)
            fast = widget.render("f", value, attrs=attrs, renderer=FAST)
            assert fast == slow, (attrs, value)


def test_widgets_it_does_not_write_still_render_through_the_templates():
    radio = forms.RadioSelect(choices=CHOICES)
    assert radio.render("f", "a", renderer=FAST) == radio.render("f", "a", renderer=SLOW)
    assert 'type="radio"' in radio.render("f", "a", renderer=FAST)


@pytest.mark.django_db
def test_the_projects_forms_render_the_same(county_user, secretary_a, settings):
    """The ledger's filter form (the reason for this renderer) and the registration form, bound and unbound."""
    from cases import selectors
    from cases.filters import DisputeFilter
    from cases.forms.disputes import DisputeCreateForm
    from org.models import Division
    from org.selectors import villages_within

    pages = []
    for data in ("", "status=open&risk=red&q=%3Cx%3E&division=370829001000&clock=overdue", "page=x&unit=zz"):
        form = DisputeFilter.for_user(QueryDict(data), county_user, selectors.case_list(county_user)).form
        pages.append(form)
    villages = villages_within(Division.objects.get(code="370829001209"))
    pages += [DisputeCreateForm(villages=villages), DisputeCreateForm({"title": TRICKY}, villages=villages)]
    for form in pages:
        form.renderer = SLOW
        slow = [str(form[name]) for name in form.fields]
        form.renderer = FAST
        fast = [str(form[name]) for name in form.fields]
        assert fast == slow


class LabelForm(forms.Form):
    plain = forms.CharField(label="关键词")
    tricky = forms.CharField(label=TRICKY, required=False)
    bare = forms.CharField(label="无标签")
    choice = forms.ChoiceField(label="方式", choices=CHOICES, widget=forms.RadioSelect)
    several = forms.MultipleChoiceField(label="多选", choices=CHOICES, widget=forms.CheckboxSelectMultiple)


@pytest.mark.parametrize("kwargs", [{}, {"label_suffix": "："}, {"attrs": {"class": "lab", "hidden": True}},
                                    {"contents": "别的<文字>"}, {"tag": "legend"}])
def test_labels_render_the_same(kwargs):
    form = LabelForm(auto_id="id_%s")
    unlabelled = LabelForm(auto_id=False)  # no id: the label is written without a tag
    for f in (form, unlabelled):
        for name in f.fields:
            f.renderer = SLOW
            slow = f[name].label_tag(**kwargs)
            f.renderer = FAST
            assert f[name].label_tag(**kwargs) == slow
