"""API of the deliveries app under /api/v1/."""

urlpatterns: list = []
