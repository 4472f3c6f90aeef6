"""Reception (3.1): arrival, the visit state machine, the "next up" rotation, linking and registering visitors,
refreshments and departure."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from dealerdesk.core.errors import Conflict, NotPermitted, TransitionRefused
from dealerdesk.core.models import AuditEntry, Notification
from dealerdesk.customers.models import Customer, FollowUp
from dealerdesk.showroom import selectors, services
from dealerdesk.showroom.choices import VISIT_MOVES, VisitKind, VisitStatus
from dealerdesk.showroom.models import ConsultantPresence, Visit
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def arrive(actor, store, **fields) -> Visit:
    return services.visit_arrive(actor=actor, store=store, **fields)


# ---------------------------------------------------------------- arrival


def test_arrival_takes_the_time_itself_and_may_stay_anonymous(store_a, receptionist):
    # given the reception desk
    before = timezone.now()
    # when a party of three first-time visitors walks in
    visit = arrive(receptionist, store_a, party_size=3, kind=VisitKind.FIRST, source="autohome")
    # then the visit is waiting, anonymous, timed now and audited
    assert visit.status == VisitStatus.ARRIVED
    assert visit.customer is None
    assert before <= visit.arrived_at <= timezone.now()
    assert visit.logged_by == receptionist
    assert AuditEntry.objects.filter(action="visit.arrived", target_id=str(visit.pk)).exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"party_size": 0}, "party_size"),
        ({"party_size": 51}, "party_size"),
        ({"kind": "walk"}, "kind"),
        ({"source": "tv"}, "source"),
        ({"notes": "x" * 201}, "notes"),
    ],
)
def test_bad_arrival_is_refused_by_field_and_writes_nothing(store_a, receptionist, fields, field):
    with pytest.raises(ValidationError) as caught:
        arrive(receptionist, store_a, **fields)
    assert field in caught.value.message_dict
    assert not Visit.objects.exists()


def test_a_consultant_or_another_store_cannot_log_arrivals(store_a, store_b, consultant, make_staff):
    with pytest.raises(NotPermitted):
        arrive(consultant, store_a)
    with pytest.raises(NotPermitted):
        arrive(make_staff("receptionist", store_b), store_a)
    assert not Visit.objects.exists()


# ---------------------------------------------------------------- state machine


def test_every_move_outside_the_allowed_dict_is_refused(store_a, receptionist, consultant):
    # given one visit in every status
    statuses = list(VisitStatus.values)
    for current in statuses:
        for target in statuses:
            visit = Visit(store=store_a, status=current)
            if target in VISIT_MOVES[current]:
                services.check_move(visit, target)  # allowed: no error
            else:
                with pytest.raises(TransitionRefused) as caught:
                    services.check_move(visit, target)
                assert caught.value.code == "visit_transition_refused"


def test_refused_moves_through_the_services(store_a, receptionist, consultants):
    # given a visit served by a consultant, and one that already left
    served = arrive(receptionist, store_a)
    services.visit_assign(actor=receptionist, visit=served, consultant=consultants[0])
    gone = arrive(receptionist, store_a)
    services.visit_leave(actor=receptionist, visit=gone)
    # then serving twice, serving after leaving and leaving twice are refused and change nothing
    with pytest.raises(TransitionRefused):
        services.visit_assign(actor=receptionist, visit=served, consultant=consultants[1])
    with pytest.raises(TransitionRefused):
        services.visit_assign(actor=receptionist, visit=gone, consultant=consultants[1])
    with pytest.raises(TransitionRefused):
        services.visit_leave(actor=receptionist, visit=gone)
    served.refresh_from_db()
    gone.refresh_from_db()
    assert served.consultant == consultants[0]
    assert gone.consultant is None and gone.status == VisitStatus.LEFT


def test_a_waiting_visitor_may_leave_before_anyone_served_them(store_a, receptionist):
    visit = arrive(receptionist, store_a)
    visit = services.visit_leave(actor=receptionist, visit=visit)
    assert visit.status == VisitStatus.LEFT
    assert visit.waiting_seconds is None
    assert visit.duration_seconds is not None


def test_departure_records_time_and_duration(shanghai_clock, store_a, receptionist, consultant):
    # given a visitor who arrived 50 minutes ago and was served after 5
    arrived = timezone.now() - datetime.timedelta(minutes=50)
    visit = arrive(receptionist, store_a, arrived_at=arrived)
    services.visit_assign(
        actor=receptionist, visit=visit, consultant=consultant, now=arrived + datetime.timedelta(minutes=5)
    )
    # when they leave 50 minutes after arriving
    visit = services.visit_leave(actor=consultant, visit=visit, left_at=arrived + datetime.timedelta(minutes=50))
    # then the waiting time and the duration come from the recorded times
    assert visit.waiting_seconds == 300
    assert visit.left_at == arrived + datetime.timedelta(minutes=50)
    assert visit.duration_seconds == 3000


# ---------------------------------------------------------------- rotation


def test_rotation_goes_round_the_consultants_fairly(shanghai_clock, store_a, receptionist, consultants):
    # given three free consultants and six visitors one after the other (each served and gone)
    served = []
    for _ in range(6):
        visit = services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a))
        served.append(visit.consultant)
        services.visit_leave(actor=receptionist, visit=visit)
    # then everybody took two, in the same order each round
    assert served == consultants + consultants
    counts = dict(ConsultantPresence.objects.values_list("consultant_id", "assignments"))
    assert counts == {c.pk: 2 for c in consultants}


def test_rotation_skips_busy_and_absent_consultants(shanghai_clock, store_a, receptionist, consultants):
    first, second, third = consultants
    # given the first consultant is with a visitor and the second is absent today
    services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a), consultant=first)
    services.presence_set(actor=receptionist, store=store_a, consultant=second, absent=True)
    # when the next visitor is handed to "next up"
    visit = services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a))
    # then the third gets them; now nobody is free
    assert visit.consultant == third
    states = {e.consultant: e.state for e in selectors.rotation_for(store_a)}
    assert states == {first: "busy", second: "absent", third: "busy"}
    with pytest.raises(Conflict) as caught:
        services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a))
    assert caught.value.code == "nobody_free"


def test_picking_a_busy_or_absent_consultant_is_refused(shanghai_clock, store_a, receptionist, consultants):
    first, second, _third = consultants
    services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a), consultant=first)
    services.presence_set(actor=receptionist, store=store_a, consultant=second, absent=True)
    waiting = arrive(receptionist, store_a)
    with pytest.raises(Conflict) as busy:
        services.visit_assign(actor=receptionist, visit=waiting, consultant=first)
    with pytest.raises(Conflict) as absent:
        services.visit_assign(actor=receptionist, visit=waiting, consultant=second)
    assert (busy.value.code, absent.value.code) == ("consultant_busy", "consultant_absent")
    waiting.refresh_from_db()
    assert waiting.status == VisitStatus.ARRIVED


def test_a_picked_consultant_moves_to_the_back_of_the_rotation(shanghai_clock, store_a, receptionist, consultants):
    first, second, third = consultants
    visit = services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a), consultant=first)
    services.visit_leave(actor=receptionist, visit=visit)
    order = [e.consultant for e in selectors.rotation_for(store_a)]
    assert order == [second, third, first]


def test_assignment_notifies_the_consultant_in_the_app(store_a, receptionist, consultant):
    visit = services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a, party_size=2))
    note = Notification.objects.get(recipient_user=consultant, kind="visit.assigned")
    assert note.channel == "in_app"
    assert str(visit.pk) in note.body


def test_a_consultant_may_take_a_waiting_visitor_but_not_hand_one_to_a_colleague(store_a, receptionist, consultants):
    first, second, _third = consultants
    waiting = arrive(receptionist, store_a)
    with pytest.raises(NotPermitted):
        services.visit_assign(actor=first, visit=waiting, consultant=second)
    visit = services.visit_assign(actor=first, visit=waiting, consultant=first)
    assert visit.consultant == first and visit.assign_method == "self"
    assert not Notification.objects.filter(kind="visit.assigned").exists()


def test_a_visit_left_open_since_yesterday_does_not_keep_a_consultant_busy(
    shanghai_clock, store_a, receptionist, consultants
):
    # given two visits nobody closed: one from 11:00 yesterday, one from a day and an hour ago
    first, second, _third = consultants
    yesterday_11 = shanghai_clock.at(11, 0, days=-1)
    for consultant, arrived in ((first, yesterday_11), (second, shanghai_clock.ago(days=1, hours=1))):
        old = arrive(receptionist, store_a, arrived_at=arrived)
        services.visit_assign(actor=receptionist, visit=old, consultant=consultant, now=arrived)
    # then both consultants are free now, in their usual order
    assert [e.state for e in selectors.rotation_for(store_a)] == ["free", "free", "free"]
    assert selectors.next_up(store_a) == first


def test_a_visitor_served_for_30_minutes_keeps_the_consultant_busy(shanghai_clock, store_a, receptionist, consultants):
    # given the first consultant took a visitor 30 minutes ago (at 00:05: yesterday) who is still there
    first, second, _third = consultants
    arrived = shanghai_clock.ago(minutes=30)
    visit = arrive(receptionist, store_a, arrived_at=arrived)
    services.visit_assign(actor=receptionist, visit=visit, consultant=first, now=arrived)
    # then the rotation skips them now
    states = {e.consultant: e.state for e in selectors.rotation_for(store_a)}
    assert states[first] == "busy"
    assert services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a)).consultant == second


# ---------------------------------------------------------------- linking and registering


def test_an_anonymous_visit_is_linked_to_a_customer_later(store_a, receptionist, consultant, customer):
    visit = arrive(receptionist, store_a)
    visit = services.visit_link_customer(actor=receptionist, visit=visit, customer=customer)
    assert visit.customer == customer
    assert AuditEntry.objects.filter(action="visit.customer_linked", target_id=str(visit.pk)).exists()


def test_a_customer_of_another_store_cannot_be_linked(store_a, store_b, receptionist):
    visit = arrive(receptionist, store_a)
    stranger = CustomerFactory(store=store_b)
    with pytest.raises(ValidationError) as caught:
        services.visit_link_customer(actor=receptionist, visit=visit, customer=stranger)
    assert "customer" in caught.value.message_dict
    visit.refresh_from_db()
    assert visit.customer is None


def test_quick_register_creates_the_customer_for_the_serving_consultant(store_a, receptionist, consultant):
    # given a visitor already with a consultant
    visit = arrive(receptionist, store_a, source="dongchedi")
    services.visit_assign(actor=receptionist, visit=visit, consultant=consultant)
    # when reception registers them (name + mobile + consent)
    visit, customer, created = services.visit_register_customer(
        actor=receptionist, visit=visit, name="林晓", mobile="139 0000 2222", consents=["marketing_call"]
    )
    # then a new customer of that consultant is linked, with the source of the visit
    assert created
    assert visit.customer == customer
    assert customer.owner == consultant
    assert customer.source == "dongchedi"
    assert customer.mobile == "+8613900002222"


def test_quick_register_with_a_known_mobile_links_the_existing_customer(store_a, receptionist, customer):
    # given a visitor whose mobile the store already knows
    visit = arrive(receptionist, store_a)
    # when reception registers them again
    visit, found, created = services.visit_register_customer(
        actor=receptionist, visit=visit, name="陈先生", mobile="13900001111"
    )
    # then no duplicate is created: the visit is linked to the existing customer
    assert not created
    assert found == customer
    assert visit.customer == customer
    assert Customer.objects.filter(store=store_a).count() == 1


def test_quick_register_with_bad_input_writes_nothing(store_a, receptionist):
    visit = arrive(receptionist, store_a)
    with pytest.raises(ValidationError) as caught:
        services.visit_register_customer(actor=receptionist, visit=visit, name="", mobile="12")
    assert {"name", "mobile"} <= set(caught.value.message_dict)
    visit.refresh_from_db()
    assert visit.customer is None
    assert not Customer.objects.exists()


def test_the_first_consultant_who_serves_an_unowned_walk_in_owns_them(store_a, receptionist, consultant):
    # given a walk-in registered before anyone served them
    visit = arrive(receptionist, store_a)
    _visit, customer, _created = services.visit_register_customer(
        actor=receptionist, visit=visit, name="黄蓉", mobile="13900003333"
    )
    assert customer.owner is None
    # when the rotation hands them to a consultant
    services.visit_assign(actor=receptionist, visit=visit)
    # then the consultant owns the customer and their first follow-up
    customer.refresh_from_db()
    assert customer.owner == consultant
    assert FollowUp.objects.get(customer=customer, status="open").assignee == consultant


# ---------------------------------------------------------------- refreshments


def test_refreshments_offered_and_accepted_are_recorded(store_a, receptionist):
    visit = arrive(receptionist, store_a)
    visit = services.visit_set_refreshments(
        actor=receptionist, visit=visit, offered=False, refreshment="tea", rest_area=True
    )
    assert (visit.refreshments_offered, visit.refreshment, visit.rest_area) == (True, "tea", True)
    with pytest.raises(ValidationError):
        services.visit_set_refreshments(actor=receptionist, visit=visit, offered=True, refreshment="beer")


def test_only_the_desk_or_the_serving_consultant_acts_on_a_visit(store_a, receptionist, consultants):
    first, second, _third = consultants
    visit = services.visit_assign(actor=receptionist, visit=arrive(receptionist, store_a), consultant=first)
    with pytest.raises(NotPermitted):
        services.visit_leave(actor=second, visit=visit)
    assert services.visit_leave(actor=first, visit=visit).status == VisitStatus.LEFT
