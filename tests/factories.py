"""Factories for the shared kernel. Apps add their own in tests/<app>/factories.py."""

import factory
from django.conf import settings

from dealerdesk.accounts.models import DealerGroup, Membership, Store, User

PASSWORD = "Secret#2026"


class DealerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerGroup
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"测试集团{n}")
    code = factory.Sequence(lambda n: f"group{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    group = factory.SubFactory(DealerGroupFactory)
    name = factory.Sequence(lambda n: f"测试门店{n}")
    code = factory.Sequence(lambda n: f"store{n}")
    city = "深圳"
    brands = ["星耀"]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    language = settings.LANGUAGE_CODE

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    store = factory.SubFactory(StoreFactory)
    role = "consultant"


def staff(role: str, store: Store, **user_fields) -> User:
    """A user holding `role` in `store`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, store=store, role=role)
    return User.objects.get(pk=user.pk)  # fresh instance: no cached memberships
