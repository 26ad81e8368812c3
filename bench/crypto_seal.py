"""Sealing a case: envelope encryption of a typical case payload against raw AES-GCM.

Per case, what creating and then opening a case does with its content, minus the database: a
new data key, wrapped under the keyring's primary key-encryption key and bound to the case's
key row; the payload's JSON bytes sealed under the data key and bound to the case row; then
the data key unwrapped, the payload unsealed and decoded from JSON.

The baseline is AES-256-GCM and nothing else over the same bytes, with one fixed key: a fresh
nonce, ``AESGCM(key).encrypt(nonce, data, None)`` and ``AESGCM(key).decrypt(...)``, the
constructor called per call as ``crypto.envelope`` calls it. A middle case does the envelope
work without the JSON decoding, which separates the cost of the envelope (two more AES-GCM
calls on 32 bytes, a new key, associated data, headers) from the cost of parsing the payload.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.core import Case, Measurement, Plan
from crypto.envelope import (
    NONCE_BYTES,
    Binding,
    key_id_of,
    new_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from crypto.keyring import Keyring

#: Cases sealed and opened per run of each case.
CASES_FULL, CASES_QUICK = 5_000, 1_000
#: Untimed cases per benchmark case before the first run.
WARMUP_CASES = 200
#: Record ids of the synthetic cases start here, so that each case has a binding of its own.
FIRST_CASE_ID = 50_000
#: A case has one data key; its blobs carry key id 1.
DATA_KEY_ID = 1
#: "About 4 KB": the setup refuses a payload outside this range, so the figure stays honest.
PAYLOAD_BYTES = range(3_584, 4_609)
PAYLOAD_FIELDS = 25

#: A made-up case (no real persons or organisations), with the codes of DOMAIN.md.
PAYLOAD: dict[str, Any] = {
    "case_ref": "SST-2026-0417",
    "opened_on": "2026-03-02",
    "incident_on": "2026-02-14",
    "incident_date_precision": "tag",
    "incident_district": "Dortmund-Innenstadt-Nord",
    "incident_account": (
        "Die Ratsuchende wohnt seit vier Jahren mit ihren zwei Kindern in einer Dreizimmerwohnung "
        "im dritten Stock. Seit dem Wechsel der Hausverwaltung im vergangenen Herbst werden ihr "
        "Reparaturen verweigert, die bei anderen Mietparteien im selben Haus zügig erledigt "
        "wurden: Der Schimmel im Kinderzimmer ist seit November gemeldet, ein Handwerker kam "
        "bisher nicht. Am 14. Februar sprach sie den Hausmeister im Treppenhaus darauf an. Nach "
        "ihrer Schilderung antwortete er, Leute wie sie sollten froh sein, überhaupt eine Wohnung "
        "zu haben, und wer ein Kopftuch trage, müsse sich nicht wundern. Eine Nachbarin aus dem "
        "Erdgeschoss hat das Gespräch mitgehört und ist bereit, das schriftlich zu bestätigen. "
        "Zwei Tage später fand die Ratsuchende ein Schreiben der Hausverwaltung im Briefkasten, "
        "das ihr wegen angeblicher Lärmbelästigung mit einer Abmahnung droht; andere Mietparteien "
        "haben nach ihrem Wissen kein solches Schreiben erhalten."
    ),
    "grounds": [
        "rassismus_antisemitismus_herkunft",
        "antimuslimischer_rassismus",
        "religion_weltanschauung",
        "islam",
        "geschlecht",
        "frau_sexismus",
    ],
    "life_areas": ["wohnen", "bestehendes_wohnverhaeltnis"],
    "forms": ["belaestigung", "ungleichbehandlung", "viktimisierung"],
    "level": "individuell",
    "legal_mode": "unmittelbar",
    "agg_relevance": "agg_relevant",
    "consequences": ["psychosozial", "materiell"],
    "respondents": [
        {"type": "vermieter_wohnungsunternehmen", "name": "Beispielhaus Wohnen GmbH & Co. KG"},
        {
            "type": "vermieter_wohnungsunternehmen",
            "name": "Hausmeister der Anlage (Name unbekannt)",
        },
    ],
    "client": {
        "pseudonym": "K-7Q4M",
        "requester_type": "betroffene_person",
        "age_band": "27_45",
        "gender_self": "weiblich",
        "contact": None,
    },
    "contact_channel": "persoenlich",
    "referral_source": "andere_beratungsstelle",
    "language_support": ["dolmetschung"],
    "client_goal": (
        "Die Ratsuchende möchte, dass der Schimmel beseitigt wird und die Abmahnung vom Tisch "
        "ist. Eine Entschuldigung des Hausmeisters wäre ihr wichtig, vor allem aber will sie "
        "in der Wohnung bleiben und nicht als schwierige Mieterin gelten. Eine Klage kommt für "
        "sie im Moment nicht in Frage; sie möchte wissen, welche Schritte möglich sind und was "
        "sie dabei riskiert."
    ),
    "consents": [
        {"purpose": "beratung", "version": 3, "given_on": "2026-03-02", "revoked_on": None},
        {
            "purpose": "kontakt_gegenseite",
            "version": 1,
            "given_on": "2026-03-09",
            "revoked_on": None,
        },
    ],
    "contacts": [
        {"on": "2026-03-02", "channel": "persoenlich", "minutes": 75},
        {"on": "2026-03-09", "channel": "telefon", "minutes": 20},
        {"on": "2026-03-16", "channel": "persoenlich", "minutes": 60},
        {"on": "2026-03-30", "channel": "email", "minutes": 15},
    ],
    "interventions": [
        "beratung_empowerment",
        "gedaechtnisprotokoll_beweissicherung",
        "beschwerdebrief",
        "geltendmachung_agg",
    ],
    "counselling_notes": (
        "Erstgespräch mit Dolmetscherin. Gedächtnisprotokoll zum 14. Februar gemeinsam erstellt, "
        "Fotos vom Schimmel und das Schreiben der Hausverwaltung liegen in Kopie vor. Die "
        "Nachbarin wurde mit Einverständnis der Ratsuchenden angerufen und hat ihre Aussage "
        "bestätigt. Beschwerdebrief an die Hausverwaltung am 16. März abgestimmt und versandt, "
        "mit Bitte um Stellungnahme binnen zwei Wochen und Hinweis auf das AGG. Die Frist nach "
        "§ 21 Abs. 5 AGG wird vorsorglich ab dem Vorfallsdatum berechnet; die schriftliche "
        "Geltendmachung ist vorbereitet, falls keine Antwort kommt. Am 30. März kam per E-Mail "
        'eine knappe Antwort der Hausverwaltung: Die Abmahnung werde "vorerst zurückgestellt", '
        "ein Termin für die Schimmelbeseitigung sei in Planung. Zum Hausmeister äußert sie sich "
        "nicht. Nächster Schritt mit der Ratsuchenden besprochen: den Termin abwarten, bei "
        "erneuten Äußerungen sofort ein Protokoll anlegen, Nachfassen vor Fristablauf."
    ),
    "deadlines": [
        {"kind": "agg_21_5", "trigger_on": "2026-02-14", "due_on": "2026-04-14", "uncertain": True},
    ],
    "outcome": None,
}

RAW = "raw AES-GCM encrypt + decrypt"
ENVELOPE = "envelope seal + open, bytes only"
SEAL_OPEN = "envelope seal + open of a case"


def payload_bytes() -> bytes:
    """The payload as a case would store it: compact UTF-8 JSON, checked to be "about 4 KB"."""
    encoded = json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode()
    if len(PAYLOAD) != PAYLOAD_FIELDS or len(encoded) not in PAYLOAD_BYTES:
        raise RuntimeError(
            f"the payload has {len(PAYLOAD)} fields and {len(encoded):,} bytes, "
            f"not {PAYLOAD_FIELDS} fields and {PAYLOAD_BYTES.start:,}–{PAYLOAD_BYTES.stop - 1:,}"
        )
    return encoded


def raw_aes_gcm(key: bytes, data: bytes, count: int) -> bytes:
    """Encrypt and decrypt ``data`` ``count`` times; returns the last plaintext."""
    opened = b""
    for _ in range(count):
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, data, None)
        opened = AESGCM(key).decrypt(nonce, sealed, None)
    return opened


def create_and_open(
    keyring: Keyring, data: bytes, count: int, decode: Callable[[bytes], object]
) -> object:
    """Seal ``data`` as ``count`` new cases and open each again; returns the last one decoded."""
    case: object = None
    for n in range(FIRST_CASE_ID, FIRST_CASE_ID + count):
        record_id = str(n)
        key_row = Binding("case_key", "wrapped_key", record_id)
        case_row = Binding("case", "payload", record_id)
        data_key = new_key()
        wrapped = wrap_key(keyring.key(keyring.primary), keyring.primary, data_key, key_row)
        blob = seal(data_key, DATA_KEY_ID, data, case_row)
        # Opening knows the case's rows, not which key-encryption key wrapped its data key.
        opened_key = unwrap_key(keyring.key(key_id_of(wrapped)), wrapped, key_row)
        case = decode(unseal(opened_key, blob, case_row))
    return case


def as_bytes(opened: bytes) -> bytes:
    return opened


@cache
def interleaved(plan: Plan) -> dict[str, Measurement]:
    """Seconds per case of each benchmark case, the three taking turns run by run."""
    data = payload_bytes()
    keyring = Keyring.generate()
    fixed_key = new_key()
    count = plan.runs(full=CASES_FULL, quick=CASES_QUICK)
    calls: dict[str, Callable[[int], object]] = {
        RAW: lambda k: raw_aes_gcm(fixed_key, data, k),
        ENVELOPE: lambda k: create_and_open(keyring, data, k, as_bytes),
        SEAL_OPEN: lambda k: create_and_open(keyring, data, k, json.loads),
    }
    expected: dict[str, object] = {RAW: data, ENVELOPE: data, SEAL_OPEN: PAYLOAD}

    def checked(name: str, result: object) -> None:
        # Timing a case that opened something else than it sealed would compare nothing.
        if result != expected[name]:
            raise RuntimeError(f"{name} did not give back the payload it sealed")

    for name, call in calls.items():
        checked(name, call(WARMUP_CASES))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(plan.runs(full=20, quick=5)):
        for name, call in calls.items():
            started = time.perf_counter()
            result = call(count)
            samples[name].append((time.perf_counter() - started) / count)
            checked(name, result)
    return {
        name: Measurement(
            runs,
            f"{1 / statistics.median(runs):,.0f} cases/s; {count:,} cases per run, "
            f"{len(data):,} B, {PAYLOAD_FIELDS} fields",
        )
        for name, runs in samples.items()
    }


def cases() -> list[Case]:
    return [
        Case(RAW, lambda plan: interleaved(plan)[RAW]),
        Case(ENVELOPE, lambda plan: interleaved(plan)[ENVELOPE], baseline=RAW),
        Case(SEAL_OPEN, lambda plan: interleaved(plan)[SEAL_OPEN], baseline=RAW),
    ]
