"""API of the sales app under /api/v1/."""

urlpatterns: list = []
