"""Default intent grades (DESIGN §6); a store may edit labels and intervals."""

from django.utils.translation import gettext_noop

# code, label (translated when shown), purchase window, follow-up interval in hours
DEFAULT_GRADES = [
    ("O", gettext_noop("Deposit paid"), gettext_noop("ordered"), 7 * 24),
    ("H", gettext_noop("Buys within 7 days"), gettext_noop("7 days"), 2 * 24),
    ("A", gettext_noop("Buys within a month"), gettext_noop("1 month"), 7 * 24),
    ("B", gettext_noop("Buys in 1–3 months"), gettext_noop("1–3 months"), 14 * 24),
    ("C", gettext_noop("Buys in over 3 months"), gettext_noop("3+ months"), 30 * 24),
    ("N", gettext_noop("New, not graded"), "", 24),
]
