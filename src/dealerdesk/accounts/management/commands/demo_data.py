"""Load the demo dealer group: two stores and one user per role in each. Idempotent."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dealerdesk.accounts.models import DealerGroup, Membership, Store, User
from dealerdesk.accounts.roles import Role
from dealerdesk.core.audit import audit_record

STORES = [
    {
        "code": "sz-futian",
        "name": "深圳福田星耀4S店",
        "city": "深圳",
        "brands": ["xingyao", "yuanhang", "qingfeng"],
        "address": "深圳市福田区深南大道 6008 号",
        "phone": "0755-8888 6008",
    },
    {
        "code": "gz-tianhe",
        "name": "广州天河星耀4S店",
        "city": "广州",
        "brands": ["xingyao", "yuanhang"],
        "address": "广州市天河区黄埔大道西 88 号",
        "phone": "020-3888 0088",
    },
]

# username prefix → (role, full name in store 1, full name in store 2)
PEOPLE = {
    "reception": (Role.RECEPTIONIST, "李静", "陈晓"),
    "consultant": (Role.CONSULTANT, "王磊", "赵敏"),
    "manager": (Role.SALES_MANAGER, "张伟", "刘洋"),
    "care": (Role.CARE_SPECIALIST, "孙丽", "周婷"),
    "clerk": (Role.ADMIN_CLERK, "吴芳", "郑凯"),
    "storeadmin": (Role.STORE_ADMIN, "何军", "马超"),
}


def demo_username(prefix: str, store_index: int) -> str:
    """The first store's staff get the plain names (`consultant`), the second's a suffix (`consultant2`)."""
    return prefix if store_index == 0 else f"{prefix}{store_index + 1}"


class Command(BaseCommand):
    help = "Create the demo dealer group, its two stores and a user per role (never in production)."

    def handle(self, *args, **options):
        if not settings.DEALERDESK_DEMO_DATA_ALLOWED:
            raise CommandError("Demo data is disabled in these settings (production).")
        password = settings.DEALERDESK_DEMO_PASSWORD
        created = 0
        with transaction.atomic():
            group, _ = DealerGroup.objects.get_or_create(code="xingyao", defaults={"name": "星耀汽车集团"})
            stores = []
            for spec in STORES:
                store, new = Store.objects.get_or_create(code=spec["code"], defaults={**spec, "group": group})
                created += new
                stores.append(store)
            for index, store in enumerate(stores):
                for prefix, (role, *names) in PEOPLE.items():
                    user, new = self._user(demo_username(prefix, index), names[index], password)
                    created += new
                    _membership, new = Membership.objects.get_or_create(user=user, store=store, role=role)
                    if new:
                        audit_record(
                            actor=None,
                            action="membership.granted",
                            target=_membership,
                            diff={"role": [None, role]},
                        )
                    created += new
            admin, new = self._user("groupadmin", "集团管理员", password)
            created += new
            _m, new = Membership.objects.get_or_create(user=admin, store=stores[0], role=Role.GROUP_ADMIN)
            created += new
        self.stdout.write(f"demo data: {created} new rows" if created else "demo data: already loaded, nothing changed")
        self._load_app_demos()

    def _load_app_demos(self) -> None:
        """Each domain app may ship a `demo` module with an idempotent `load(stdout)`; run them in app order."""
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        for config in apps.get_app_configs():
            if config.name.startswith("dealerdesk.") and find_spec(f"{config.name}.demo"):
                import_module(f"{config.name}.demo").load(self.stdout)

    def _user(self, username: str, full_name: str, password: str) -> tuple[User, bool]:
        user = User.objects.filter(username=username).first()
        if user:
            return user, False
        user = User(username=username, full_name=full_name, email=f"{username}@demo.dealerdesk.local")
        user.set_password(password)
        user.save()
        return user, True
