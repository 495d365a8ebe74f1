"""`QuickSelect` writes the same <select> as Django's template-rendered one, faster."""

import re

import pytest
from django import forms

from cases.forms import CountySelect
from hubnet.forms import QuickSelect
from regions.models import County

CHOICES = [
    ("", "Any county"),
    ("Your region", [("55087", "Outagamie"), ("55009", "Brown & <Co>")]),
    ("Other counties", [("55025", "Dane")]),
]


def same_markup(html: str) -> str:
    """Django's templates put each option on its own line; the browser ignores it."""
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["", "55009", None, "not a choice"])
def test_the_markup_is_djangos(value):
    attrs = {"id": "id_county", "required": True, "aria-describedby": "hint"}
    quick = QuickSelect(choices=CHOICES).render("county", value, attrs)
    django = forms.Select(choices=CHOICES).render("county", value, attrs)

    assert same_markup(quick) == same_markup(django)
    assert "Brown &amp; &lt;Co&gt;" in quick  # labels escaped


def test_the_chosen_option_is_selected():
    html = QuickSelect(choices=CHOICES).render("county", "55025", {})
    assert '<option value="55025" selected>Dane</option>' in html
    assert html.count(" selected") == 1


@pytest.mark.django_db
def test_the_county_select_keeps_each_countys_region():
    counties = County.objects.order_by("name")
    quick = str(forms.ModelChoiceField(counties, widget=CountySelect).widget.render("c", None))
    django = forms.ModelChoiceField(counties).widget.render("c", None)
    outagamie = County.objects.get(name="Outagamie")

    assert f'<option value="{outagamie.pk}" data-region="2">{outagamie}</option>' in quick
    assert same_markup(re.sub(r' data-region="\d"', "", quick)) == same_markup(django)
