"""Lists behind the demo data: Kenyan names by region, loan products and past-interaction scenarios.

Every code used here (dispositions, follow-up fields, note lists, call reasons, templates,
campaigns) exists in config/defaults/*.yaml; tests/store/test_demo.py checks that against the
loaded lists, so renaming a code there fails a test instead of producing bad demo rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FEMALE_NAMES = (
    "Amina", "Wanjiru", "Achieng", "Akinyi", "Atieno", "Njeri", "Wambui", "Nyambura", "Chebet",
    "Jepkosgei", "Mwanajuma", "Zawadi", "Neema", "Faith", "Grace", "Mercy", "Esther", "Joyce",
    "Purity", "Caroline", "Winnie", "Halima", "Fatuma", "Mumbua", "Mwikali", "Kerubo", "Moraa",
    "Nafula", "Nekesa", "Wairimu", "Makena", "Nasimiyu", "Rehema", "Saida", "Beatrice", "Lucy",
)
MALE_NAMES = (
    "Peter", "John", "Joseph", "James", "Brian", "Kevin", "Dennis", "Collins", "Samuel", "David",
    "Daniel", "Kiprono", "Kipchoge", "Juma", "Hassan", "Bakari", "Musa", "Kibet", "Cheruiyot",
    "Wafula", "Otieno", "Omondi", "Ochieng", "Mutua", "Kamau", "Eliud", "Stephen", "Moses",
    "Salim", "Abdi", "Victor", "Geoffrey", "Francis", "Patrick", "Erick", "Felix",
)


@dataclass(frozen=True)
class Region:
    name: str
    weight: int
    surnames: tuple[str, ...]


_CENTRAL = ("Kamau", "Mwangi", "Njoroge", "Wanjiku", "Kariuki", "Gitau", "Mugo", "Ndungu", "Waweru",
            "Macharia", "Githinji", "Maina", "Karanja", "Wambugu")
_LUO = ("Otieno", "Ochieng", "Odhiambo", "Onyango", "Owino", "Ouma", "Okoth", "Achieng", "Adhiambo",
        "Awino", "Omondi", "Oduor")
_COAST = ("Mohamed", "Hassan", "Omar", "Said", "Bakari", "Juma", "Mwinyi", "Ali", "Salim", "Kahindi",
          "Karisa", "Baya", "Chengo")
_KALENJIN = ("Kiprono", "Kipchumba", "Cheruiyot", "Kiptoo", "Rotich", "Koech", "Langat", "Chebet",
             "Jepkemboi", "Kirui", "Bett", "Ruto")
_LUHYA = ("Wafula", "Barasa", "Wekesa", "Nyongesa", "Simiyu", "Makokha", "Wanyama", "Nafula", "Shikuku")
_KAMBA = ("Mutua", "Musyoka", "Mwikali", "Kioko", "Muthoka", "Nzioka", "Mbithi", "Ndunda")
_KISII = ("Nyakundi", "Ondieki", "Moraa", "Kerubo", "Nyaboke", "Omwenga", "Momanyi")

REGIONS = (
    Region("Nairobi", 30, _CENTRAL + _LUO + _KAMBA + _LUHYA),
    Region("Kisumu", 12, _LUO),
    Region("Mombasa", 12, _COAST),
    Region("Nakuru", 10, _CENTRAL + _KALENJIN),
    Region("Eldoret", 9, _KALENJIN),
    Region("Thika", 6, _CENTRAL),
    Region("Machakos", 6, _KAMBA),
    Region("Kakamega", 6, _LUHYA),
    Region("Kisii", 5, _KISII),
    Region("Nyeri", 4, _CENTRAL),
    Region("Malindi", 3, _COAST),
    Region("Kitale", 3, _LUHYA + _KALENJIN),
)

# Kenyan mobile ranges that phonenumbers accepts: 07xx (Safaricom, Airtel, Telkom) and 010x/011x.
MOBILE_PREFIXES = ("0701", "0705", "0708", "0710", "0711", "0713", "0715", "0717", "0719", "0720",
                   "0721", "0723", "0725", "0727", "0729", "0740", "0743", "0745", "0746", "0748",
                   "0757", "0758", "0759", "0768", "0769", "0790", "0791", "0792", "0795", "0797",
                   "0733", "0735", "0738", "0750", "0780", "0785", "0100", "0101", "0102", "0110",
                   "0111", "0112", "0113", "0114", "0115")

RELATIONSHIPS = ("brother", "sister", "spouse", "mother", "father", "cousin", "neighbour", "employer",
                 "chama member", "friend")

# (name, phone) of the relationship officers; each customer gets one of them as a contact.
RELATIONSHIP_OFFICERS = (
    ("Josephine Wairimu (RO)", "0711222301"), ("Kelvin Otieno (RO)", "0711222302"),
    ("Mariam Abdalla (RO)", "0711222303"), ("Nelson Kiprop (RO)", "0711222304"),
    ("Ruth Nafula (RO)", "0711222305"), ("George Mutiso (RO)", "0711222306"),
)


@dataclass(frozen=True)
class Product:
    """A loan product: PAYG solar kits are paid weekly, cash loans monthly."""

    code: str
    serial_prefix: str | None  # product serial for hardware (seed 001), None for cash loans
    low: int  # principal range, KES
    high: int
    rate: Decimal  # flat interest over the whole term
    installments: int
    period_days: int
    fee_rate: Decimal  # processing fee, charged at disbursement


PRODUCTS = (
    Product("payg_solar_home_system", "SHS", 18_000, 36_000, Decimal("0.20"), 26, 7, Decimal("0.00")),
    Product("payg_solar_tv_bundle", "STV", 40_000, 65_000, Decimal("0.24"), 52, 7, Decimal("0.00")),
    Product("payg_power_bank", "PWB", 3_000, 6_000, Decimal("0.10"), 8, 7, Decimal("0.00")),
    Product("biashara_micro_loan", None, 5_000, 50_000, Decimal("0.15"), 6, 30, Decimal("0.03")),
    Product("school_fees_loan", None, 10_000, 40_000, Decimal("0.12"), 4, 30, Decimal("0.025")),
    Product("smart_phone_loan", "PHN", 8_000, 16_000, Decimal("0.18"), 12, 14, Decimal("0.00")),
)


@dataclass(frozen=True)
class Scenario:
    """A past interaction: where it sits on the disposition tree and the follow-up note fields.

    ``effect`` adds linked work: ``promise`` (a promise to pay), ``callback`` (a callback task),
    ``follow_up`` (an open follow-up task for the operator).
    """

    key: str
    status: str
    reason: str
    resolution: str | None
    channel: str = "call"
    direction: str = "outbound"
    action: str = "customer"
    activity_type: str | None = None  # seed 002 label
    call_result: str | None = None
    call_status: str | None = None
    status_action: str | None = None
    party_response: str | None = None
    client_status: str | None = None
    purpose: str = "credit_control"
    call_outcome: str | None = None
    customer_mood: str | None = None
    reason_code: str | None = None  # seed 001 reason for calling
    subject: str = ""
    comments: tuple[str, ...] = ()
    message_template: str | None = None
    effect: str | None = None


SCENARIOS = (
    Scenario("promise", "contacted", "promise_to_pay", "payment_scheduled",
             activity_type="Spoke to Customer", status_action="spoke_to_customer",
             party_response="promised_to_pay", client_status="promise_pending", call_outcome="successful",
             customer_mood="cooperative", reason_code="overdue_loan", subject="Overdue instalment",
             comments=("Customer was paid late by employer, will clear on the promised date.",
                       "Harvest money expected this week; promised to pay via M-Pesa.",
                       "Business slow this month, agreed to pay the arrears on the date given."),
             message_template="promise_confirmation", effect="promise", call_result="answered",
             call_status="connected"),
    Scenario("callback", "contacted", "call_back", "callback_scheduled",
             activity_type="Spoke to Customer", status_action="spoke_to_customer",
             party_response="requested_callback", client_status="overdue", call_outcome="follow_up_needed",
             customer_mood="neutral", reason_code="late", subject="Asked to be called back",
             comments=("Customer in a matatu, asked to be called in the evening.",
                       "In a chama meeting; call back after 4 pm."),
             effect="callback", call_result="answered", call_status="connected"),
    Scenario("no_answer", "not_contacted", "no_answer", "retry_later", activity_type="No Answer",
             call_result="no_answer", status_action="rang_no_answer", client_status="overdue",
             call_outcome="unsuccessful", reason_code="overdue_loan", subject="No answer",
             comments=("Phone rang out.",), call_status="not_connected"),
    Scenario("left_message", "not_contacted", "left_message", "retry_later", activity_type="Left Message",
             call_result="voicemail", status_action="message_left", client_status="overdue",
             call_outcome="unsuccessful", reason_code="late", subject="Left a voicemail",
             comments=("Left a voicemail asking the customer to call back.",),
             call_status="not_connected"),
    Scenario("switched_off", "not_contacted", "switched_off", "retry_later", call_result="switched_off",
             status_action="phone_off", client_status="overdue", call_outcome="unsuccessful",
             reason_code="payg_default", subject="Phone off", comments=("Phone switched off.",),
             call_status="not_connected"),
    Scenario("dispute", "contacted", "dispute", "escalated", activity_type="Spoke to Customer",
             status_action="spoke_to_customer", party_response="disputes_debt", client_status="in_dispute",
             call_outcome="unsuccessful", customer_mood="frustrated", reason_code="touchpoint_payment_issues",
             subject="Disputes the balance",
             comments=("Says an M-Pesa payment is missing from the statement; escalated to finance.",
                       "Disputes the late fee; asked for a statement by email."),
             effect="follow_up", call_result="answered", call_status="connected"),
    Scenario("wrong_number", "not_contacted", "wrong_number", "number_invalidated",
             activity_type="Wrong Number", call_result="wrong_number",
             status_action="number_not_in_service", client_status="skip_trace", call_outcome="unsuccessful",
             reason_code="overdue_loan", subject="Wrong number",
             comments=("The person who answered does not know the customer.",),
             call_status="not_connected"),
    Scenario("guarantor", "contacted", "wrong_party", "message_with_third_party", action="guarantor",
             status_action="spoke_to_guarantor", party_response="will_inform_customer",
             client_status="overdue", call_outcome="partially_successful", customer_mood="cooperative",
             reason_code="overdue_loan", subject="Called the guarantor",
             comments=("Guarantor will remind the customer to pay by Friday.",), call_result="answered",
             call_status="connected"),
    Scenario("paid_already", "contacted", "paid_already", "payment_completed",
             activity_type="Spoke to Customer", status_action="spoke_to_customer",
             party_response="already_paid", client_status="current", call_outcome="successful",
             customer_mood="happy", reason_code="late", subject="Payment confirmed",
             comments=("Customer read out the M-Pesa receipt; payment found on the statement.",),
             message_template="payment_received", call_result="answered", call_status="connected"),
    Scenario("technical", "contacted", "service_request", "ticket_raised", direction="inbound",
             status_action="spoke_to_customer", party_response="requested_callback", client_status="current",
             purpose="customer_service", call_outcome="follow_up_needed", customer_mood="frustrated",
             reason_code="technical_issues", subject="Control unit not charging",
             comments=("Battery not charging since the rains; ticket raised for a technician visit.",
                       "Screen shows error E4; asked the customer to restart, ticket raised."),
             effect="follow_up", call_result="answered", call_status="connected"),
    Scenario("upgrade", "contacted", "account_discussed", "closed", status_action="spoke_to_customer",
             party_response="will_pay", client_status="current", purpose="sales", call_outcome="successful",
             customer_mood="happy", reason_code="upgrade_offer", subject="TV upgrade offer",
             comments=("Interested in the 24-inch TV bundle once the current kit is paid off.",),
             call_result="answered", call_status="connected"),
    Scenario("sms_reminder", "pending", "payment_verification", "verification_pending", channel="sms",
             client_status="overdue", reason_code="late", subject="Payment reminder by SMS",
             comments=("Reminded the customer of the instalment by SMS.",), message_template="payment_reminder"),
    Scenario("field_visit", "pending", "field_visit", "visit_scheduled", channel="visit",
             action="relationship_officer", client_status="overdue", reason_code="payg_default",
             subject="Field visit planned", comments=("RO to visit the homestead about the arrears.",)),
)
SCENARIOS_BY_KEY = {s.key: s for s in SCENARIOS}
OVERDUE_SCENARIOS = ("promise", "promise", "callback", "no_answer", "left_message", "switched_off",
                     "dispute", "wrong_number", "guarantor", "field_visit", "sms_reminder")
CURRENT_SCENARIOS = ("paid_already", "technical", "upgrade", "no_answer", "technical")

DEMO_USERS = (
    # username, password, role, display name, extension
    ("agent1", "agent1-pass", "agent", "Grace Achieng", "PJSIP/1001"),
    ("agent2", "agent2-pass", "agent", "Brian Kiprono", "PJSIP/1002"),
    ("agent3", "agent3-pass", "agent", "Halima Said", "PJSIP/1003"),
    ("supervisor", "supervisor-pass", "supervisor", "Joseph Mwangi", None),
    ("admin", "admin-pass", "admin", "Switchboard Admin", None),
)
AGENT_QUEUES = ("collections", "customer_service")
CAMPAIGNS = (("collections", "Collections", "collections"),
             ("customer_service", "Customer service", "customer_service"),
             ("sales", "Sales", "sales"))

# The well-known customer (the test PBX's demo call comes from 0712345678) and her guarantor.
WELL_KNOWN_NAME = "Amina Wanjiru"
WELL_KNOWN_PHONE = "0712345678"
WELL_KNOWN_GUARANTOR = ("Peter Kamau", "0722000111")
