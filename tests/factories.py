import factory
from django.contrib.auth import get_user_model

from regions.models import Agency, AgencyKind, County, Region


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"Test Agency {n}")
    kind = AgencyKind.VICTIM_SERVICES
    region = factory.LazyFunction(lambda: Region.objects.get(number=2))

    @classmethod
    def in_county(cls, county_name: str, **kwargs):
        county = County.objects.get(name=county_name)
        return cls(county=county, region=county.region, **kwargs)
