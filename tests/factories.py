"""factory_boy factories for the domain's objects."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from accounts import services
from accounts.models import Organization, Position, User

TEST_PASSWORD = "test-pass-2026!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试人员{n}")
    email = factory.LazyAttribute(lambda person: f"{person.username}@example.org")
    password = factory.django.Password(TEST_PASSWORD)
    # People who have signed in before and chose their own password (must_change_password stays off).
    last_login = factory.LazyFunction(timezone.now)


class OrganizationFactory(factory.Factory):
    """Builds through the service so the tree's paths stay right."""

    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试党组织{n}")
    code = factory.Sequence(lambda n: f"ORG{n:05d}")
    kind = Organization.Kind.BRANCH
    sector = Organization.Sector.RURAL
    parent = None

    @classmethod
    def _create(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        return services.organization_create(**kwargs)

    @classmethod
    def _build(cls, model_class: type[Organization], *args: Any, **kwargs: Any) -> Organization:
        kwargs.pop("parent", None)
        return model_class(**kwargs)


class PositionFactory(factory.Factory):
    class Meta:
        model = Position

    person = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Position.Role.MEMBER
    portfolio = ""

    @classmethod
    def _create(cls, model_class: type[Position], *args: Any, **kwargs: Any) -> Position:
        return services.position_assign(**kwargs)
