import factory

from core.tests.factories import UserFactory
from events.tests.factories import EventFactory
from permissions.models import EventRole
from permissions.names import MODERATOR
from permissions.services import grant_role


class EventRoleFactory(factory.django.DjangoModelFactory):
    """A role granted through the service, as the team page grants it."""

    class Meta:
        model = EventRole

    user = factory.SubFactory(UserFactory)
    event = factory.SubFactory(EventFactory)
    role = MODERATOR

    @classmethod
    def _create(cls, model_class, *args, user, event, role, tracks=(), **kwargs):
        return grant_role(user=user, event=event, role_name=role, granted_by=None, tracks=list(tracks))
