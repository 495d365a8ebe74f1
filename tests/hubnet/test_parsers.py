"""A JSON body nested deeper than Python's parser goes is a 400, like any malformed body."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["referral-list", "training-list"])
def test_a_deeply_nested_body_is_a_400_not_a_500(client_for, personas, url_name):
    client = client_for(personas["hub2.specialist"])
    body = "[" * 100_000 + "]" * 100_000

    response = client.post(reverse(url_name), body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_an_ordinary_body_still_parses(client_for, personas):
    client = client_for(personas["hub2.specialist"])

    response = client.post(reverse("referral-list"), {}, content_type="application/json")

    assert response.status_code == 400
    assert "narrative" in response.json()  # the fields were checked: the body was read
