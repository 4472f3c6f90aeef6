"""Pages of the deliveries app."""

urlpatterns: list = []
