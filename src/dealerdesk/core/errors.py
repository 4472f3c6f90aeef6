"""Domain errors: raised by services, shown to users as a translated message with a machine code."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A business rule refused the request. `code` is stable for API clients; `message` is translated."""

    status = 400
    default_code = "invalid"
    default_message = _("The request could not be carried out.")

    def __init__(self, message=None, *, code: str | None = None, field: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.field = field
        self.extra = extra or {}
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        body = {"code": self.code, "detail": str(self.message)}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, overlapping booking, stale version)."""

    status = 409
    default_code = "conflict"
    default_message = _("This clashes with existing data.")


class TransitionRefused(Conflict):
    """A workflow move that the state machine does not allow from the current status."""

    default_code = "transition_refused"
    default_message = _("This step is not allowed in the current status.")


class NotPermitted(DomainError):
    """The actor may see the object but may not do this to it."""

    status = 403
    default_code = "not_permitted"
    default_message = _("You do not have permission to do this.")
