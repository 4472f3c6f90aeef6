import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealerdesk.config.settings.production")
application = get_asgi_application()
