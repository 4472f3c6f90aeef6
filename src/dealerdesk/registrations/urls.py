"""Pages of the registrations app."""

urlpatterns: list = []
