"""Factories for customers. Shared by every customers test module (views, services, imports, work queues)."""

import factory

from dealerdesk.customers.models import Customer
from dealerdesk.customers.search import reindex_customer
from tests.factories import StoreFactory


class CustomerFactory(factory.django.DjangoModelFactory):
    """A live customer built directly on the model (no permission check), with search tokens written.

    `CustomerFactory(store=..., owner=..., name=..., mobile=...)`; mobiles are unique valid CN numbers.
    """

    class Meta:
        model = Customer
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"客户{n}")
    mobile = factory.Sequence(lambda n: f"+86139{n:08d}")
    owner = None

    @factory.post_generation
    def search_tokens(self, create, extracted, **kwargs):
        if create:
            reindex_customer(self)
