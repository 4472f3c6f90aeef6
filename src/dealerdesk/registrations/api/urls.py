"""API of the registrations app under /api/v1/."""

urlpatterns: list = []
