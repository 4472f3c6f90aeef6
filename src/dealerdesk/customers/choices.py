"""Customer vocabularies and the allowed stage moves (DESIGN §6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Source(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    PHONE_IN = "phone_in", _("Phone-in")
    WEBSITE = "website", _("Store website")
    AUTO_SHOW = "auto_show", _("Auto show")
    REFERRAL = "referral", _("Referral by a customer")
    OEM_LEAD = "oem_lead", _("Carmaker-assigned lead")
    AUTOHOME = "autohome", _("Autohome")
    DONGCHEDI = "dongchedi", _("Dongchedi")
    YICHE = "yiche", _("Yiche")
    WECHAT = "wechat", _("WeChat")
    OTHER = "other", _("Other")


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    PROSPECT = "prospect", _("Prospect")
    ORDERED = "ordered", _("Ordered")
    OWNER = "owner", _("Owner")
    LOST = "lost", _("Lost")
    DORMANT = "dormant", _("Dormant")


OPEN_STAGES = {Stage.LEAD, Stage.PROSPECT, Stage.ORDERED}

# from → allowed next stages. `lost` is reached only through an approved loss request.
STAGE_MOVES: dict[str, set[str]] = {
    Stage.LEAD: {Stage.PROSPECT, Stage.LOST, Stage.DORMANT},
    Stage.PROSPECT: {Stage.ORDERED, Stage.LOST, Stage.DORMANT},
    Stage.ORDERED: {Stage.OWNER, Stage.PROSPECT, Stage.LOST, Stage.DORMANT},
    Stage.OWNER: set(),
    Stage.LOST: {Stage.PROSPECT},
    Stage.DORMANT: {Stage.PROSPECT},
}


class ContactKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    LANDLINE = "landline", _("Landline")
    WECHAT = "wechat", _("WeChat ID")
    EMAIL = "email", _("Email")
    ADDRESS = "address", _("Address")


class PreferredChannel(models.TextChoices):
    ANY = "", _("No preference")
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")


class ConsentPurpose(models.TextChoices):
    MARKETING_CALL = "marketing_call", _("Marketing calls")
    MARKETING_SMS = "marketing_sms", _("Marketing SMS / WeChat")
    SHARE_OEM = "share_oem", _("Sharing with the carmaker")
    SHARE_LENDER = "share_lender", _("Sharing with the lender")
    SHARE_INSURER = "share_insurer", _("Sharing with the insurer")
    LICENCE_CAPTURE = "licence_capture", _("Capturing the driver's licence")


MARKETING_PURPOSES = {ConsentPurpose.MARKETING_CALL, ConsentPurpose.MARKETING_SMS}


class ConsentChannel(models.TextChoices):
    PAPER = "paper", _("Signed paper form")
    IN_PERSON = "in_person", _("In person at the store")
    PHONE = "phone", _("Phone (recorded)")
    ONLINE = "online", _("Online form")
    IMPORT = "import", _("Imported record")


class BodyType(models.TextChoices):
    ANY = "", _("Any")
    SEDAN = "sedan", _("Sedan")
    SUV = "suv", _("SUV")
    MPV = "mpv", _("MPV")
    HATCHBACK = "hatchback", _("Hatchback")
    WAGON = "wagon", _("Wagon")
    COUPE = "coupe", _("Coupe")
    PICKUP = "pickup", _("Pickup")


class EnergyType(models.TextChoices):
    ANY = "", _("Any")
    ICE = "ice", _("Petrol/diesel (ICE)")
    HEV = "hev", _("Hybrid (HEV)")
    PHEV = "phev", _("Plug-in hybrid (PHEV)")
    BEV = "bev", _("Battery electric (BEV)")
    EREV = "erev", _("Range-extended (EREV)")


class PaymentMethod(models.TextChoices):
    UNDECIDED = "", _("Undecided")
    FULL = "full", _("Full payment")
    LOAN = "loan", _("Loan")
    LEASE = "lease", _("Lease")


class Timeframe(models.TextChoices):
    UNKNOWN = "", _("Unknown")
    WEEK = "week", _("Within 7 days")
    MONTH = "month", _("Within a month")
    QUARTER = "quarter", _("1–3 months")
    LATER = "later", _("Over 3 months")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpPurpose(models.TextChoices):
    FIRST_CONTACT = "first_contact", _("First contact")
    REGULAR = "regular", _("Regular follow-up")
    MARKETING = "marketing", _("Marketing call")
    AFTER_TEST_DRIVE = "after_test_drive", _("After the test drive")
    POST_DELIVERY = "post_delivery", _("After the delivery")
    CARE = "care", _("Customer care")


class FollowUpChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Store visit")
    EMAIL = "email", _("Email")


class FollowUpOutcome(models.TextChoices):
    REACHED = "reached", _("Reached, talked")
    NO_ANSWER = "no_answer", _("No answer")
    APPOINTMENT = "appointment", _("Made an appointment")
    NOT_INTERESTED = "not_interested", _("Not interested now")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    COMPLAINT = "complaint", _("Complaint raised")


class FollowUpNextStep(models.TextChoices):
    """What happens after a call (the care desk's "next step")."""

    NONE = "none", _("Nothing further")
    CALL_AGAIN = "call_again", _("Call again")
    CONSULTANT = "consultant", _("Hand to the sales consultant")
    SERVICE = "service", _("Book a service visit")
    MANAGER = "manager", _("Sales manager calls back")


# A follow-up planned for a role rather than for one person: anyone holding that role's work in the store may take it
# (the care desk's post-delivery calls). Empty: the assignee's own call.
CARE_ROLE = "care_specialist"
SATISFACTION_SCORES = range(1, 6)  # 1 very dissatisfied … 5 very satisfied
DISSATISFIED_AT_OR_BELOW = 2  # a score this low alerts the sales managers at once, like the "complaint" outcome


class LossReason(models.TextChoices):
    BOUGHT_COMPETITOR = "bought_competitor", _("Bought a competitor's car")
    BOUGHT_OTHER_DEALER = "bought_other_dealer", _("Bought the same brand elsewhere")
    PRICE = "price", _("Price / discount")
    POSTPONED = "postponed", _("Purchase postponed or cancelled")
    FINANCE = "finance", _("Loan not possible")
    UNREACHABLE = "unreachable", _("Cannot be reached")
    OTHER = "other", _("Other")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class FeedbackKind(models.TextChoices):
    REMARK = "remark", _("Remark")
    REQUEST = "request", _("Request")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class SubjectRequestKind(models.TextChoices):
    ACCESS = "access", _("Access / copy of data")
    CORRECTION = "correction", _("Correction")
    DELETION = "deletion", _("Deletion")


class SubjectRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class TokenKind(models.TextChoices):
    """Kinds of search token; the one-letter prefix keeps every kind in one index."""

    NAME = "n", _("Name")
    PINYIN = "p", _("Pinyin")
    INITIALS = "i", _("Initials")
    MOBILE = "m", _("Mobile")
    MOBILE_TAIL = "t", _("Mobile last 4")
    PLATE = "l", _("Plate")
    VIN_TAIL = "v", _("VIN tail")
