"""API of the testdrives app under /api/v1/."""

urlpatterns: list = []
