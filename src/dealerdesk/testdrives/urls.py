"""Pages of the testdrives app."""

urlpatterns: list = []
