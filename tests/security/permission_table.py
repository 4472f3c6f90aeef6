"""The expected answer of every route × method × role × store: the one table the permission matrix checks.

`TABLE[(route name, method)]` is a `Row`. A row says which roles get through in their own store (`allow`) and what
they get there (`ok`: OK for reads, PASS for actions, whose answer may also be a refused body or state); the other
roles are refused (DENY). For an object of the other store (same group) every single-store role gets HIDDEN and the
group admin what it gets in its own store; for an object of a foreign group everybody gets HIDDEN. When an action
names an object in its path and another in its body, it is also sent with the own store's object in the path and the
other store's in the body ("mixed"): a single-store role allowed in its store gets HIDDEN, the group admin REFUSED (it
sees both, but they do not belong together), the others DENY. Without login the answer is LOGIN. `own=` / `other=`
override single cells; `public=True` marks a route whose answer does not depend on who asks (a bearer link, the login
page, the schema). `body=` / `query=` are what the request carries ("@kind" is the case store's object of that kind,
"@today"… a generated value: see the test module); without them an action is sent with an empty body. `askers=`
narrows who is asked (the OpenAPI document, the admin: see their comments). The admin's routes share `ADMIN_ROW` (one
wildcard row: they are all behind `AdminSite.admin_view`), except the rows named here.

A row marked `# DEFECT:` states the correct answer where the product answers otherwise (found by this suite, not fixed
here); the test fails on it until the product is fixed, unless its cells are listed in `KNOWN_DEFECTS` at the end.

The role sets below are the permissions of `dealerdesk.accounts.roles`, written out here on purpose: the table states
what each role may do, and a change of the product's role map shows up as a difference to explain, not silently. How
an answer is put into a class is described in the test module's docstring.
"""

from dataclasses import dataclass, field

ROLES = (
    "receptionist",
    "consultant",
    "sales_manager",
    "care_specialist",
    "admin_clerk",
    "store_admin",
    "group_admin",
)
REC, CON, MGR, CARE, CLERK, SADM, GADM = ROLES

OK = "ok"  # 2xx, or a redirect that is not to the login page
PASS = "pass"  # the role gate let it through: ok, or the body / state refused (400, 409, 415, 422)
DENY = "deny"  # 403 or 404, or the very answer a missing object gets (a body's id "not found")
HIDDEN = "hidden"  # 404, or the very answer a missing object gets; never 2xx for an object in the path
LOGIN = "login"  # 302 to the login page (pages), 401 (API)
METHOD = "method"  # 405
REFUSED = "refused"  # anything but ok: a 4xx that is not the login (the group admin naming a sister store's object
# in the body of an action on its own store's object: it may see both, but they do not go together)

ALL = frozenset(ROLES)
NOBODY: frozenset = frozenset()
SELLERS = frozenset({CON, MGR, SADM, GADM})  # sales.sell (a consultant: own customers)
EDITORS = frozenset({REC, CON, MGR, SADM, GADM})  # customers.edit, testdrives.book
MANAGERS = frozenset({MGR, SADM, GADM})  # customers.assign / approve_lost / import, stock and fleet, outbox…
ADMINS = frozenset({SADM, GADM})  # store.manage
CASHIERS = frozenset({MGR, CLERK, SADM, GADM})  # payments.record
CLERKS = frozenset({CLERK, GADM})  # paperwork.manage
REVEALERS = frozenset({CON, MGR, CARE, CLERK, SADM, GADM})  # customers.reveal; everyone but reception
STORE_WIDE = frozenset({MGR, CARE, CLERK, SADM, GADM})  # customers.view_store
REPORTERS = frozenset({MGR, CARE, SADM, GADM})  # reports.view_store
DELIVERERS = frozenset({CON, MGR, CLERK, SADM, GADM})  # sales.sell or paperwork.manage: orders, deliveries
GIFT_KEEPERS = frozenset({CLERK, SADM, GADM})  # store.manage or paperwork.manage
DESK = frozenset({REC, MGR, SADM, GADM})  # who runs the reception desk (visits.log, and managers)
NOT_CONSULTANT = frozenset({REC, MGR, CARE, CLERK, SADM, GADM})  # visits: a consultant sees only visits given to them
CARE_DESK = frozenset({CARE, GADM})  # care.manage
# the care desk reads the store's deliveries and test drives (its calls are about them), acts on none of them
DELIVERY_READERS = DELIVERERS | {CARE}
DRIVE_READERS = EDITORS | {CARE}
LICENCE_REVEALERS = SELLERS | {CARE}  # the customer page's reveal rule: customers.reveal and the customer visible
SCRIPT_EDITORS = frozenset({CARE, SADM, GADM})  # care.manage or store.manage: the call scripts
CALL_READERS = SELLERS | {CARE}  # a follow-up's call page: the care desk, or who may complete it (assignee, managers)


@dataclass(frozen=True)
class Row:
    allow: frozenset = NOBODY
    ok: str = OK
    anon: str = LOGIN
    own: dict = field(default_factory=dict)
    other: dict = field(default_factory=dict)
    public: bool = False
    body: dict | None = None
    query: dict | None = None
    askers: tuple | None = None  # only these roles (and no login) are asked; None: all seven

    def expect(self, who: str, case: str) -> str:
        """The expected class for `who` ("anon" or a role) asking about an object of `case` (own, other, foreign,
        or none when the request names no store's object)."""
        if who == "anon":
            return self.anon
        if self.public:
            return self.own.get(who, self.ok)
        if case in ("own", "none"):
            return self.own.get(who, self.ok if who in self.allow else DENY)
        if case == "other":
            return self.other.get(who, self.expect(who, "own") if who == GADM else HIDDEN)
        if case == "mixed":  # the path names the own store's object, the body the other store's
            return DENY if who not in self.allow else REFUSED if who == GADM else HIDDEN
        return HIDDEN


def read(allow: frozenset, **kw) -> Row:
    return Row(allow=allow, ok=OK, **kw)


def act(allow: frozenset, **body) -> Row:
    """An action (POST/PUT/PATCH/DELETE) sent with `body`: the allowed get through (PASS), the others are refused."""
    return Row(allow=allow, ok=PASS, body=body or None)


def public(ok: str = OK, **kw) -> Row:
    return Row(allow=ALL, ok=ok, anon=ok, public=True, **kw)


def everyone(expected: str) -> dict:
    return dict.fromkeys(ROLES, expected)


VIN = "LXYA1B2C5T1999999"
# The admin: `AdminSite.admin_view` sends whoever is not staff — all seven roles — to the admin's login page. Its
# index is asked by every role; each of its other 250-odd routes (the same wrapper) by no login, the least and the most
# privileged role, which keeps the walk short.
ADMIN_ROW = Row(own=everyone(LOGIN), askers=(REC, GADM))

TABLE: dict[tuple[str, str], Row] = {
    # ---------------------------------------------------------------- the work queues (customers.urls_work)
    ("my_day", "GET"): read(SELLERS | {CARE}),  # care: a redirect to the care day
    ("manager_desk", "GET"): read(MANAGERS),
    ("customers_reassign", "POST"): act(MANAGERS),
    ("loss_request_decide", "POST"): act(MANAGERS),
    ("feedback_status", "POST"): act(STORE_WIDE, status="in_progress"),
    ("customer_report", "GET"): read(REPORTERS),
    # ---------------------------------------------------------------- the care desk (care.urls)
    ("care_day", "GET"): read(CARE_DESK),
    ("care_call", "GET"): read(CALL_READERS),  # the case's follow-up is the consultant's own (a sales call)
    ("care_call_complete", "POST"): act(SELLERS),  # care: not its call (a sales call given to the consultant)
    ("care_script_list", "GET"): read(SCRIPT_EDITORS),
    ("care_script_edit", "GET"): read(SCRIPT_EDITORS),
    ("care_script_edit", "POST"): act(SCRIPT_EDITORS),
    ("customer_report_xlsx", "GET"): read(REPORTERS),
    # ---------------------------------------------------------------- customers (pages)
    ("customer_list", "GET"): read(ALL),  # each sees only the customers they may (scoped list)
    ("customer_search", "POST"): act(ALL),
    ("customer_create", "GET"): read(EDITORS),
    ("customer_detail", "GET"): read(ALL),  # reception: the reduced card
    ("customer_records", "GET"): read(REVEALERS),
    ("customer_edit", "GET"): read(SELLERS),  # a consultant: own customers; reception not after creation
    ("customer_reveal", "POST"): act(REVEALERS),
    ("customer_consent", "POST"): act(SELLERS, purpose="marketing_sms", action="grant"),
    ("customer_grade", "POST"): act(SELLERS, grade="A"),
    ("followup_complete", "POST"): act(SELLERS),
    ("customer_note", "POST"): act(ALL, body="矩阵测试"),  # everyone who sees the customer may add a note
    ("customer_request_lost", "POST"): act(SELLERS),
    ("customer_need", "POST"): act(SELLERS),
    ("customer_vehicle", "POST"): act(SELLERS),
    ("customer_contact", "POST"): act(SELLERS, kind="wechat", value="wx_matrix"),
    ("customer_export", "GET"): read(SELLERS),
    ("grade_settings", "GET"): read(ADMINS),
    ("lead_source_settings", "GET"): read(ADMINS),
    ("customer_more", "GET"): read(REVEALERS),
    ("customer_feedback_add", "POST"): act(REVEALERS),
    ("customer_subject_request", "POST"): act(STORE_WIDE),
    ("customer_subject_export", "GET"): read(STORE_WIDE),
    ("customer_erase", "POST"): act(MANAGERS, confirm="yes", reason="客户要求"),
    ("customer_merge", "POST"): act(MANAGERS, merged_id="@customer2"),
    # ---------------------------------------------------------------- imports (pages)
    ("import_list", "GET"): read(MANAGERS),
    ("import_upload", "GET"): read(MANAGERS),
    ("import_detail", "GET"): read(MANAGERS),
    ("import_mapping", "GET"): read(MANAGERS),
    ("import_progress", "GET"): read(MANAGERS),
    ("import_dry_run", "POST"): act(MANAGERS),
    ("import_commit", "POST"): act(MANAGERS),
    ("import_errors_xlsx", "GET"): read(MANAGERS),
    # ---------------------------------------------------------------- showroom (pages)
    ("reception_desk", "GET"): read(DESK),
    ("reception_live", "GET"): read(DESK),
    ("visit_arrive", "POST"): act(DESK, party_size="1", kind="first"),
    # DEFECT: another store's consultant id answers 200 + "Choose a sales consultant of this store" where a missing id
    # answers 404 (showroom/views.py presence_set looks the consultant up unscoped): expected HIDDEN, got 200.
    ("presence_set", "POST"): act(DESK, store="@store_code", consultant="@consultant", absent="1"),
    ("visit_check_in", "POST"): act(DESK, store="@store_code", customer="@expected_customer"),
    ("traffic_board", "GET"): read(ALL),
    ("traffic_report", "GET"): read(REPORTERS),
    ("visit_list", "GET"): read(ALL),
    ("visit_detail", "GET"): read(NOT_CONSULTANT),
    ("visit_assign", "POST"): act(DESK),
    ("visit_leave", "POST"): act(DESK),
    ("visit_refreshments", "POST"): act(DESK),
    ("visit_customer_search", "POST"): act(NOT_CONSULTANT),
    # DEFECT: the own store's visit with the other store's customer id answers 302 + "Choose a customer of this store"
    # where a missing id answers 404 (showroom/views.py visit_link_customer looks the customer up unscoped; the service
    # refuses, nothing is linked): expected HIDDEN ("mixed" case), got 302 with an error message.
    ("visit_link_customer", "POST"): act(DESK, customer="@customer"),
    ("visit_register_customer", "POST"): act(DESK),
    ("needs_list", "GET"): read(SELLERS),
    ("needs_create", "GET"): read(SELLERS, query={"customer": "@customer"}),
    # the page needs the selling permission for its recommendations (the API lets store-wide roles read it)
    ("needs_detail", "GET"): read(SELLERS),
    ("needs_confirm_grade", "POST"): act(SELLERS, grade="A"),
    ("needs_record_advice", "POST"): act(SELLERS),
    ("presentation_create", "GET"): read(SELLERS, query={"customer": "@customer"}),
    ("presentation_detail", "GET"): read(REVEALERS),
    ("trim_compare", "GET"): read(ALL),
    ("trim_compare_pdf", "GET"): read(ALL, query={"trims": ["@sale_trim", "@sale_trim2"]}),
    # ---------------------------------------------------------------- offers and promotions (pages)
    ("offer_list", "GET"): read(SELLERS),
    ("offer_create", "GET"): read(SELLERS, query={"customer": "@customer"}),
    ("offer_preview", "POST"): act(SELLERS, customer="@customer", trim="@sale_trim"),
    ("offer_detail", "GET"): read(REVEALERS),
    ("offer_revise", "GET"): read(SELLERS),
    ("offer_approve", "POST"): act(MANAGERS),
    ("offer_refuse", "POST"): act(MANAGERS),
    ("offer_accept", "POST"): act(SELLERS),
    ("offer_pdf", "GET"): read(REVEALERS),
    ("promotion_list", "GET"): read(ADMINS),
    ("promotion_create", "GET"): read(ADMINS),
    ("promotion_edit", "GET"): read(ADMINS),
    ("offer_settings", "GET"): read(ADMINS),
    # ---------------------------------------------------------------- catalogue and stock (pages)
    ("catalog_home", "GET"): read(ALL),
    ("catalog_trim_detail", "GET"): read(ALL),
    ("catalog_marked_price_set", "POST"): act(ADMINS, store="@store_code", price="190000.00"),
    ("catalog_stock_list", "GET"): read(ALL),
    ("catalog_stock_receive", "GET"): read(MANAGERS),
    ("catalog_stock_detail", "GET"): read(ALL),
    ("catalog_stock_status", "POST"): act(SELLERS, status="reserved"),  # sellers reserve stock (sales.sell)
    ("catalog_stock_update", "POST"): act(MANAGERS, location="B区-02", certificate_holder="store"),
    ("catalog_demo_car_flag", "POST"): act(
        MANAGERS, plate="粤BD88888", insurance_expires_on="@in30d", demo_status="available"
    ),
    ("catalog_demo_car_update", "POST"): act(MANAGERS, plate="粤BD77777", insurance_expires_on="@in30d"),
    ("catalog_demo_car_list", "GET"): read(ALL),
    ("catalog_brand_list", "GET"): read(ALL),
    ("catalog_brand_create", "GET"): read(ADMINS),
    ("catalog_brand_edit", "GET"): read(ADMINS),
    ("catalog_series_list", "GET"): read(ALL),
    ("catalog_series_create", "GET"): read(ADMINS),
    ("catalog_series_edit", "GET"): read(ADMINS),
    ("catalog_trim_create", "GET"): read(ADMINS),
    ("catalog_trim_edit", "GET"): read(ADMINS),
    ("catalog_colour_create", "POST"): act(ADMINS),
    ("catalog_colour_edit", "GET"): read(ADMINS),
    ("catalog_option_create", "POST"): act(ADMINS),
    ("catalog_option_edit", "GET"): read(ADMINS),
    # ---------------------------------------------------------------- test drives (pages)
    ("testdrive_day", "GET"): read(EDITORS),
    ("testdrive_new", "GET"): read(EDITORS, query={"customer": "@customer"}),
    ("testdrive_my_day", "GET"): read(ALL),
    ("testdrive_customer_search", "POST"): act(EDITORS),
    ("demo_car_list", "GET"): read(EDITORS),
    ("demo_car_status", "POST"): act(MANAGERS, demo_status="maintenance", reason="保养"),
    ("demo_car_odometer", "POST"): act(SELLERS, odometer_km="100"),  # whoever drives it records it (#12.2)
    ("testdrive_settings", "GET"): read(MANAGERS),
    ("testdrive_detail", "GET"): read(DRIVE_READERS),
    ("testdrive_licence_reveal", "POST"): act(LICENCE_REVEALERS),
    ("testdrive_agreement_pdf", "GET"): read(DRIVE_READERS),
    ("testdrive_step", "POST"): act(EDITORS),  # the "confirm" step
    ("testdrive_public_book", "GET"): public(),
    ("testdrive_public_slots", "GET"): public(),
    ("testdrive_public_feedback", "GET"): public(),
    ("testdrive_public_calendar", "GET"): public(),
    # ---------------------------------------------------------------- orders and contracts (pages)
    ("order_list", "GET"): read(DELIVERERS),
    ("order_create", "GET"): read(SELLERS, query={"offer": "@accepted_offer"}),
    ("order_detail", "GET"): read(REVEALERS),
    ("order_terms", "POST"): act(SELLERS),
    ("order_cancel", "POST"): act(SELLERS),
    ("order_loan", "POST"): act(CASHIERS),
    ("payment_create", "POST"): act(CASHIERS),
    ("contract_preview", "GET"): read(REVEALERS),
    ("contract_create", "POST"): act(SELLERS),
    ("contract_fill", "POST"): act(SELLERS),
    ("contract_submit", "POST"): act(SELLERS),
    ("contract_reopen", "POST"): act(SELLERS),
    ("contract_discard", "POST"): act(SELLERS),
    ("contract_sign", "POST"): act(MANAGERS, party="manager"),  # the store's signature: sales.sign_for_store
    ("contract_amend", "POST"): act(SELLERS),
    ("contract_pdf", "GET"): read(REVEALERS),
    ("contract_archive", "GET"): read(CASHIERS),
    ("contract_template_list", "GET"): read(ADMINS),
    ("contract_template_create", "POST"): act(ADMINS, store="@store", name="矩阵模板"),
    # ---------------------------------------------------------------- deliveries (pages)
    ("delivery_calendar", "GET"): read(DELIVERERS),
    ("delivery_book", "POST"): act(DELIVERERS),
    ("delivery_detail", "GET"): read(DELIVERY_READERS),
    ("delivery_reschedule", "POST"): act(DELIVERERS),
    ("delivery_pdi", "POST"): act(DELIVERERS),
    ("delivery_document", "POST"): act(DELIVERERS),
    ("delivery_origin", "POST"): act(DELIVERERS),
    ("delivery_prepare", "POST"): act(DELIVERERS),
    ("delivery_gift", "POST"): act(DELIVERERS),
    ("delivery_handover", "POST"): act(SELLERS),
    ("delivery_promised_gift", "POST"): act(SELLERS, action="handed_over"),
    ("delivery_confirm", "POST"): act(SELLERS),
    ("delivery_pdf", "GET"): read(DELIVERY_READERS),
    ("delivery_photos", "POST"): act(DELIVERERS),
    ("delivery_photo", "GET"): read(DELIVERY_READERS),
    ("delivery_photo_thumbnail", "GET"): read(DELIVERY_READERS),
    ("delivery_photo_delete", "POST"): act(SELLERS),  # the uploader (the consultant) or a manager
    ("delivery_settings", "GET"): read(ADMINS),
    ("gift_list", "GET"): read(DELIVERERS),
    ("gift_action", "POST"): act(GIFT_KEEPERS, action="restock", gift="@gift", change="1"),
    # ---------------------------------------------------------------- registrations (pages)
    ("registration_list", "GET"): read(DELIVERERS),
    ("registration_overdue", "GET"): read(DELIVERERS),
    ("registration_open", "GET"): read(DELIVERERS, query={"order": "@signed_order"}),
    ("registration_detail", "GET"): read(REVEALERS),
    ("registration_receive", "POST"): act(
        CLERKS,
        kind="compulsory_insurance",
        **{"compulsory_insurance-kind": "compulsory_insurance", "compulsory_insurance-holder": "store"},
    ),
    ("registration_submit", "POST"): act(CLERKS),
    ("registration_plate", "POST"): act(CLERKS, plate="粤B54321", licence_issued_on="@yesterday"),
    ("registration_complete", "POST"): act(CLERKS),
    ("registration_cancel", "POST"): act(DELIVERERS, reason="客户自办"),  # the clerk, the consultant, a manager
    ("registration_case", "POST"): act(CLERKS, owner_kind="individual", local="yes"),
    ("registration_assign", "POST"): act(CLERKS, clerk="@admin_clerk"),
    ("registration_settings", "GET"): read(ADMINS),
    ("registration_print", "GET"): read(REVEALERS),
    ("registration_checklist_pdf", "GET"): read(REVEALERS),
    # ---------------------------------------------------------------- accounts, inbox, outbox, audit (pages)
    ("home", "GET"): read(ALL),
    ("login", "GET"): public(),
    ("logout", "GET"): public(METHOD),  # logging out is a POST
    ("password_change", "GET"): read(ALL),
    ("set_language", "POST"): public(PASS),
    ("audit_list", "GET"): read(ALL),  # scoped: only the trail of stores whose audit the user may see
    ("outbox_list", "GET"): read(ALL),  # scoped likewise (store.view_outbox)
    ("outbox_retry", "POST"): act(MANAGERS),
    ("staff_list", "GET"): read(ALL),  # scoped: the stores the user administers
    ("inbox", "GET"): read(ALL),
    ("inbox_badge", "GET"): read(ALL),
    ("inbox_mark_all_read", "POST"): act(ALL),
    ("favicon.ico", "GET"): public(),
    ("schema", "GET"): public(askers=(REC, GADM)),  # the same document for everybody, ~1 s to build each time
    ("api_docs", "GET"): public(),
    ("admin:index", "GET"): Row(own=everyone(LOGIN)),
    ("admin:login", "GET"): public(),
    ("admin:logout", "GET"): public(),  # a redirect to the admin's index (which then asks for a staff login)
    # ---------------------------------------------------------------- API: accounts
    ("api_token", "POST"): public(PASS),
    ("api_me", "GET"): read(ALL),
    ("store-list", "GET"): read(ALL),
    ("store-detail", "GET"): read(ALL),
    # ---------------------------------------------------------------- API: customers
    ("api-lead-source-list", "GET"): read(ALL),
    ("api-customer-list", "GET"): read(ALL),
    ("api-customer-list", "POST"): act(EDITORS, name="测试客户", mobile="13800138999", store="@store"),
    ("api-customer-search", "POST"): act(ALL, q="客户"),
    ("api-customer-detail", "GET"): read(ALL),
    ("api-customer-detail", "PATCH"): act(SELLERS, city="广州"),
    ("api-customer-assign", "POST"): act(MANAGERS, owner="@consultant", reason="调岗"),
    ("api-customer-consents", "GET"): read(ALL),
    ("api-customer-consents", "POST"): act(SELLERS, purpose="marketing_sms", action="grant", channel="in_person"),
    ("api-customer-erase", "POST"): act(MANAGERS, reason="客户要求"),
    ("api-customer-grade", "POST"): act(SELLERS, intent_grade="A"),
    ("api-customer-merge", "POST"): act(MANAGERS, merged_id="@customer2"),
    ("api-customer-reveal", "POST"): act(REVEALERS, field="mobile", reason="回电"),
    ("api-customer-subject-export", "GET"): read(STORE_WIDE),
    ("api-customer-timeline", "GET"): read(REVEALERS),
    ("api-followup-list", "GET"): read(ALL),
    ("api-followup-complete", "POST"): act(SELLERS, channel="phone", outcome="reached"),
    # ---------------------------------------------------------------- API: catalogue and stock
    ("api-brand-list", "GET"): read(ALL),
    ("api-brand-detail", "GET"): read(ALL),
    ("api-series-list", "GET"): read(ALL),
    ("api-series-detail", "GET"): read(ALL),
    ("api-trim-list", "GET"): read(ALL),
    ("api-trim-detail", "GET"): read(ALL),
    ("api-trim-marked-price", "POST"): act(ADMINS, store="@store", price="190000.00"),
    ("api-stock-list", "GET"): read(ALL),
    ("api-stock-list", "POST"): act(MANAGERS, store="@store", vin=VIN, trim="@sale_trim"),
    ("api-stock-detail", "GET"): read(ALL),
    ("api-stock-demo", "POST"): act(MANAGERS, plate="粤BD99999", insurance_expires_on="@in30d"),
    ("api-stock-status", "POST"): act(SELLERS, status="in_stock"),
    # ---------------------------------------------------------------- API: imports
    ("import-list", "GET"): read(ALL),  # scoped: the jobs of stores where the user imports
    ("import-list", "POST"): act(MANAGERS, store="@store", file="@csv"),
    ("import-detail", "GET"): read(MANAGERS),
    ("import-commit", "POST"): act(MANAGERS),
    ("import-dry-run", "POST"): act(MANAGERS),
    ("import-errors", "GET"): read(MANAGERS),
    ("import-mapping", "POST"): act(MANAGERS, mapping={}),
    ("api_import_errors_xlsx", "GET"): read(MANAGERS),
    # ---------------------------------------------------------------- API: offers and promotions
    ("api-promotion-list", "GET"): read(ALL),
    ("api-promotion-list", "POST"): act(
        ADMINS,
        store="@store",
        name="矩阵优惠",
        kind="cash_discount",
        amount="100.00",
        starts_on="@today",
        ends_on="@in30d",
    ),
    ("api-promotion-detail", "GET"): read(SELLERS),
    ("api-promotion-detail", "PUT"): act(
        ADMINS, name="矩阵优惠", kind="cash_discount", amount="100.00", starts_on="@today", ends_on="@in30d"
    ),
    ("api-promotion-detail", "PATCH"): act(ADMINS, name="矩阵优惠"),
    ("api-offer-list", "GET"): read(ALL),
    ("api-offer-list", "POST"): act(SELLERS, trim="@sale_trim", customer="@customer"),
    # DEFECT: reception, customer care and the admin clerk get the full quote (200); the page (offer_preview) refuses
    # them (403, sales.sell) and the API's own create needs sales.sell too: expected DENY, got 200.
    ("api-offer-preview", "POST"): act(SELLERS, trim="@sale_trim", customer="@customer"),
    ("api-offer-detail", "GET"): read(REVEALERS),
    ("api-offer-accept", "POST"): act(SELLERS),
    ("api-offer-approve", "POST"): act(MANAGERS),
    ("api-offer-pdf", "GET"): read(REVEALERS),
    ("api-offer-refuse", "POST"): act(MANAGERS),
    ("api-offer-revise", "POST"): act(SELLERS, trim="@sale_trim"),
    # ---------------------------------------------------------------- API: showroom
    ("api-recommendations", "POST"): act(SELLERS, store="@store"),
    ("api-visit-list", "GET"): read(ALL),
    ("api-visit-list", "POST"): act(DESK, store="@store"),
    ("api-visit-board", "GET"): read(ALL, query={"store": "@store"}),
    ("api-visit-detail", "GET"): read(NOT_CONSULTANT),
    ("api-visit-assign", "POST"): act(DESK),
    ("api-visit-leave", "POST"): act(DESK),
    ("api-visit-link-customer", "POST"): act(DESK, customer="@customer"),
    ("api-needs-assessment-list", "GET"): read(ALL),
    ("api-needs-assessment-list", "POST"): act(SELLERS, customer="@customer"),
    ("api-needs-assessment-detail", "GET"): read(REVEALERS),  # store-wide roles read the store's assessments
    # ---------------------------------------------------------------- API: test drives and demo cars
    ("api-testdrive-public-book", "POST"): public(PASS),
    ("api-testdrive-public-slots", "GET"): public(PASS),
    ("api-testdrive-public-feedback", "POST"): public(PASS),
    ("api-testdrive-list", "GET"): read(ALL),
    ("api-testdrive-list", "POST"): act(
        EDITORS, customer="@customer", demo_car="@demo_car", start="@slot", channel="walk_in"
    ),
    ("api-testdrive-availability", "GET"): read(EDITORS, query={"store": "@store"}),
    ("api-testdrive-detail", "GET"): read(DRIVE_READERS),
    ("api-testdrive-agreement-pdf", "GET"): read(DRIVE_READERS),
    ("api-testdrive-calendar", "GET"): read(DRIVE_READERS),
    ("api-testdrive-accept-agreement", "POST"): act(SELLERS, typed_name="张三"),
    ("api-testdrive-agreement", "POST"): act(SELLERS),
    ("api-testdrive-cancel", "POST"): act(EDITORS, reason="客户改期"),
    ("api-testdrive-check", "POST"): act(SELLERS, damage=False, energy_percent=80, clean=True, equipment_returned=True),
    ("api-testdrive-checklist", "POST"): act(SELLERS, clean=True, no_warning_lights=True, equipment_present=True),
    ("api-testdrive-complete", "POST"): act(SELLERS, odometer_in=10),
    ("api-testdrive-confirm", "POST"): act(EDITORS),
    ("api-testdrive-debrief", "POST"): act(SELLERS, impression="满意", next_step="报价"),
    ("api-testdrive-feedback", "POST"): act(EDITORS, drive_rating=5, consultant_rating=5),
    ("api-testdrive-licence", "POST"): act(
        SELLERS, number="11010519491231002X", licence_class="C1", expires_on="@in900d"
    ),
    ("api-testdrive-licence-reveal", "POST"): act(LICENCE_REVEALERS),
    ("api-testdrive-no-show", "POST"): act(EDITORS, reason="未到店"),
    ("api-testdrive-prepare", "POST"): act(SELLERS),
    ("api-testdrive-reschedule", "POST"): act(EDITORS, start="@slot"),
    ("api-testdrive-start", "POST"): act(
        SELLERS, odometer_out=10, first_driver="customer", briefing=[], precautions_acknowledged=True
    ),
    ("api-democar-list", "GET"): read(ALL),  # scoped: the demo cars of the user's fleet stores
    ("api-democar-utilisation", "GET"): read(EDITORS, query={"store": "@store"}),
    ("api-democar-detail", "GET"): read(EDITORS),
    ("api-democar-insurance", "POST"): act(MANAGERS, insurance_expires_on="@in30d"),
    ("api-democar-odometer", "POST"): act(SELLERS, odometer_km=10),
    ("api-democar-set-status", "POST"): act(MANAGERS, demo_status="available"),
    # ---------------------------------------------------------------- API: orders, contracts, payments
    ("api-order-list", "GET"): read(ALL),  # scoped lists
    ("api-order-list", "POST"): act(SELLERS, offer="@accepted_offer"),
    ("api-order-detail", "GET"): read(REVEALERS),
    ("api-order-allocate", "POST"): act(SELLERS),
    ("api-order-cancel", "POST"): act(SELLERS, reason="客户放弃"),
    ("api-order-loan", "POST"): act(CASHIERS, loan_status="applied"),
    ("api-order-terms", "POST"): act(SELLERS),
    ("api-contract-list", "GET"): read(ALL),
    ("api-contract-list", "POST"): act(SELLERS, order="@order"),
    ("api-contract-detail", "GET"): read(REVEALERS),
    ("api-contract-pdf", "GET"): read(REVEALERS),
    ("api-contract-amend", "POST"): act(SELLERS, reason="改交车日期"),
    ("api-contract-discard", "POST"): act(SELLERS),
    ("api-contract-fill", "POST"): act(SELLERS),
    ("api-contract-reopen", "POST"): act(SELLERS),
    ("api-contract-sign", "POST"): act(MANAGERS, party="manager"),
    ("api-contract-submit", "POST"): act(SELLERS),
    ("api-payment-list", "GET"): read(ALL),
    ("api-payment-list", "POST"): act(
        CASHIERS, order="@order", kind="deposit", method="cash", receipt_number="R-MATRIX", amount="1.00"
    ),
    ("api-payment-detail", "GET"): read(REVEALERS),
    # ---------------------------------------------------------------- API: deliveries and gifts
    ("api-delivery-list", "GET"): read(ALL),
    ("api-delivery-list", "POST"): act(DELIVERERS, order="@signed_order", scheduled_at="@slot", bay="1号交车区"),
    ("api-delivery-detail", "GET"): read(DELIVERY_READERS),
    ("api-delivery-confirmation-pdf", "GET"): read(DELIVERY_READERS),
    ("api-delivery-confirm", "POST"): act(SELLERS, customer_name="张三"),
    ("api-delivery-documents", "POST"): act(DELIVERERS, kind="keys"),
    ("api-delivery-gifts", "POST"): act(DELIVERERS, gift="@gift", quantity=1),
    ("api-delivery-handover", "POST"): act(SELLERS, explained=[], odometer_km=5),
    ("api-delivery-origin", "POST"): act(DELIVERERS, origin="transfer", note="调车"),
    ("api-delivery-pdi", "POST"): act(DELIVERERS, item="exterior", passed=True),
    ("api-delivery-photos", "GET"): read(DELIVERY_READERS),
    ("api-delivery-photos", "POST"): act(DELIVERERS),
    ("api-delivery-photo", "GET"): read(DELIVERY_READERS),
    ("api-delivery-photo", "DELETE"): act(SELLERS),  # the uploader (the consultant) or a manager
    ("api-delivery-photo-thumbnail", "GET"): read(DELIVERY_READERS),
    ("api-delivery-prepare", "POST"): act(DELIVERERS),
    ("api-delivery-promised-gift-hand-over", "POST"): act(SELLERS),
    ("api-delivery-promised-gift-substitute", "POST"): act(SELLERS, substitute="香薰", reason="缺货"),
    ("api-delivery-promised-gift-reset", "POST"): act(SELLERS),
    ("api-delivery-schedule", "POST"): act(DELIVERERS, scheduled_at="@slot", bay="1号交车区"),
    ("api-gift-list", "GET"): read(ALL),
    # (found here: a 500 for the group admin naming its second store or a foreign one — fixed in GiftViewSet.create)
    ("api-gift-list", "POST"): act(GIFT_KEEPERS, store="@store", name="车载香薰"),
    ("api-gift-detail", "GET"): read(DELIVERERS),
    ("api-gift-restock", "POST"): act(GIFT_KEEPERS, change=1),
    ("api-gift-rules", "POST"): act(ADMINS),
    # ---------------------------------------------------------------- API: registrations
    ("api-registration-list", "GET"): read(ALL),
    ("api-registration-list", "POST"): act(DELIVERERS, order="@signed_order"),
    ("api-registration-detail", "GET"): read(REVEALERS),
    ("api-registration-checklist-pdf", "GET"): read(REVEALERS),
    ("api-registration-assign", "POST"): act(CLERKS, clerk="@admin_clerk"),
    ("api-registration-cancel", "POST"): act(DELIVERERS, reason="客户自办"),
    ("api-registration-case", "POST"): act(CLERKS),
    ("api-registration-complete", "POST"): act(CLERKS),
    ("api-registration-documents", "POST"): act(CLERKS, kind="compulsory_insurance", holder="store"),
    ("api-registration-plate", "POST"): act(CLERKS, plate="粤B12345", licence_issued_on="@yesterday"),
    ("api-registration-submit", "POST"): act(CLERKS),
}

# Defects this suite found, reported to the product owner and not fixed here: (route, method, role, store case).
# The test prints them and passes over them; one that no longer shows fails the test, so it is taken out here.
KNOWN_DEFECTS: set[tuple[str, str, str, str]] = set()
