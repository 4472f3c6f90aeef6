"""Pages of the sales app."""

urlpatterns: list = []
