"""Password policy and argon2id hashing (reference/security.md §2, ASVS 6.2)."""

from __future__ import annotations

import re
import threading

import pytest
from argon2 import PasswordHasher

from servicestelle.auth import passwords
from servicestelle.auth.passwords import (
    HasherBusy,
    PasswordRejected,
    PasswordService,
    blocklist,
    check_policy,
)
from servicestelle.config import OWASP_FLOOR, RFC_9106_LOW_MEMORY, TEST_ONLY_CHEAP


@pytest.fixture
def policy_app(tmp_path):
    # check_policy translates its messages, which needs an app context.
    from servicestelle import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    with app.app_context():
        yield app


@pytest.mark.usefixtures("policy_app")
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("kurz", "mindestens 12"),
        ("elf zeichen", "mindestens 12"),
        ("x" * 129, "höchstens 128"),
        ("password", "mindestens 12"),
        ("123456789012", "verbreitet"),
        ("qwerty123456", "verbreitet"),
        ("aaaaaaaaaaaaaaa", "verbreitet"),
        ("abababababab", "verbreitet"),
        ("098765432109", "verbreitet"),
        ("Passwort2026!!", "verbreitet"),  # stem "passwort" is on the list
        ("servicestelle", "verbreitet"),
        ("maria.schmidt", "Benutzername"),
        ("MARIA.SCHMIDT", "Benutzername"),
        ("zwölf zeichen\x07", "Steuerzeichen"),
    ],
)
def test_policy_rejects_with_a_reason(password, reason):
    with pytest.raises(PasswordRejected) as caught:
        check_policy(password, "maria.schmidt")
    assert reason in caught.value.reason


@pytest.mark.usefixtures("policy_app")
@pytest.mark.parametrize(
    "password",
    [
        "twelve chars",  # exactly 12, no digits, no capitals: no composition rules
        "abc" * 4 + "d",
        "xyz" * 40,
        "ein langer satz ohne sonderzeichen ist gut genug" + "xyzxyz" * 2 + "xyz",  # 63
        "Straßenbahn-Fahrkarte über Düsseldorf",
        "пароль-кириллица-длинный",
    ],
)
def test_policy_accepts_long_passwords_without_composition_rules(password):
    assert check_policy(password, "maria.schmidt") == passwords.normalise(password)


@pytest.mark.usefixtures("policy_app")
def test_policy_counts_unicode_characters_after_nfkc():
    # "ﬁ" (one ligature code point) becomes "fi" under NFKC: 11 typed characters, 12 stored.
    assert check_policy("ﬁ" + "x" * 10, "someone") == "fi" + "x" * 10
    with pytest.raises(PasswordRejected):
        check_policy("é" * 11, "someone")  # 11 characters, whatever the encoding


def test_blocklist_is_bundled_and_large():
    words = blocklist()
    assert len(words) >= 10_000
    assert {"123456", "password", "qwertzuiop", "servicestelle"} <= words


@pytest.mark.usefixtures("policy_app")
def test_every_long_blocklist_entry_is_rejected():
    long_entries = [word for word in blocklist() if len(word) >= 12]
    assert long_entries, "the list should contain entries long enough to pass the length rule"
    for word in long_entries:
        with pytest.raises(PasswordRejected):
            check_policy(word, "someone")


def test_production_parameters_are_at_least_the_owasp_floor():
    assert RFC_9106_LOW_MEMORY.at_least(OWASP_FLOOR)
    assert type(OWASP_FLOOR)(time_cost=2, memory_cost_kib=19_456, parallelism=1) == OWASP_FLOOR
    assert not TEST_ONLY_CHEAP.at_least(OWASP_FLOOR)


def test_hash_is_argon2id_with_the_configured_parameters():
    service = PasswordService(OWASP_FLOOR, max_concurrent=2)
    stored = service.hash("korrekt pferd batterie")
    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert match is not None
    assert tuple(map(int, match.groups())) == (19_456, 2, 1)


def test_verify_accepts_exactly_the_password():
    service = PasswordService(TEST_ONLY_CHEAP, max_concurrent=2)
    stored = service.hash(passwords.normalise("korrekt pferd batterie"))
    assert service.verify(stored, "korrekt pferd batterie").ok
    assert not service.verify(stored, "korrekt pferd batterie!").ok  # password + 1 char
    assert not service.verify(stored, "korrekt pferd batteri").ok  # no truncation
    assert not service.verify(stored, "Korrekt pferd batterie").ok


def test_verify_normalises_like_hashing():
    service = PasswordService(TEST_ONLY_CHEAP, max_concurrent=1)
    stored = service.hash(passwords.normalise("ﬁnanzamt-düsseldorf"))
    assert service.verify(stored, "finanzamt-düsseldorf").ok


def test_unknown_user_costs_one_real_argon2_verification(monkeypatch):
    """No stored hash → the dummy hash is verified, so it takes as long as a wrong password."""
    service = PasswordService(TEST_ONLY_CHEAP, max_concurrent=1)
    stored = service.hash("korrekt pferd batterie")
    calls: list[str] = []
    original = PasswordHasher.verify

    def counting_verify(self, hash_, password):  # type: ignore[no-untyped-def]
        calls.append(hash_)
        return original(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    assert not service.verify(None, "korrekt pferd batterie").ok
    assert not service.verify(stored, "falsches passwort 123").ok
    assert len(calls) == 2
    assert calls[0].startswith("$argon2id$") and calls[0] != stored
    assert calls[0].split("$")[3] == calls[1].split("$")[3]  # same cost parameters


def test_over_long_password_is_refused_before_hashing(monkeypatch):
    service = PasswordService(TEST_ONLY_CHEAP, max_concurrent=1)
    stored = service.hash("x" * 128)
    monkeypatch.setattr(PasswordHasher, "verify", lambda *a: pytest.fail("hashed"))
    assert not service.verify(stored, "x" * 10_000).ok


def test_weaker_hash_is_flagged_for_rehash():
    weak = PasswordService(TEST_ONLY_CHEAP, max_concurrent=1)
    strong = PasswordService(OWASP_FLOOR, max_concurrent=1)
    stored = weak.hash("korrekt pferd batterie")
    result = strong.verify(stored, "korrekt pferd batterie")
    assert result.ok
    assert result.new_hash is not None and "m=19456,t=2,p=1" in result.new_hash
    assert strong.verify(result.new_hash, "korrekt pferd batterie").new_hash is None


def test_semaphore_caps_concurrent_hashes(monkeypatch):
    service = PasswordService(TEST_ONLY_CHEAP, max_concurrent=1)
    monkeypatch.setattr(passwords, "SLOT_TIMEOUT_SECONDS", 0.05)
    held = threading.Event()
    release = threading.Event()

    def hold_slot() -> None:
        with service._slot():
            held.set()
            release.wait(5)

    worker = threading.Thread(target=hold_slot)
    worker.start()
    try:
        assert held.wait(5)
        with pytest.raises(HasherBusy):
            service.hash("korrekt pferd batterie")
    finally:
        release.set()
        worker.join()
    assert service.hash("korrekt pferd batterie").startswith("$argon2id$")
