from django.utils.translation import gettext_lazy as _

from dealerdesk.core.audit import register_action_labels

register_action_labels(
    {
        "import.uploaded": _("File uploaded for import"),
        "import.mapped": _("Import columns mapped"),
        "import.batch_committed": _("Import batch written"),
        "import.completed": _("Import finished"),
        "import.failed": _("Import failed"),
    }
)
