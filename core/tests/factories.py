import factory
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from core.accounts import mark_verified

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.LazyAttribute(lambda user: user.email)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """``UserFactory(verified=True)``: the user has followed the verification link of their address."""
        if create and extracted:
            mark_verified(user=user, email=user.email)


def token_client(key, keyword="Token"):
    """An API client that sends ``Authorization: <keyword> <key>`` with every request."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return api
