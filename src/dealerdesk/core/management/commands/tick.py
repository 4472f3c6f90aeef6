from django.core.management.base import BaseCommand

from dealerdesk.core.periodic import DUTIES, run_due_duties


class Command(BaseCommand):
    help = "Run the periodic duties that are due (reminders, escalations, retries, purges), every minute."

    def add_arguments(self, parser):
        parser.add_argument("--only", choices=sorted(DUTIES), help="run just this duty, if it is due")
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="keep running every N seconds")

    def handle(self, *args, only=None, loop=0, **options):
        import time

        while True:
            ran = run_due_duties(only=only)
            for name, result in ran.items():
                self.stdout.write(f"{name}: {result}")
            if not loop:
                break
            time.sleep(loop)
