"""TOTP codes (RFC 6238): current and previous step only, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from servicestelle.auth import totp

RFC_SEED = b"12345678901234567890"  # RFC 6238 appendix B, SHA-1


def test_rfc_6238_test_vectors_six_digits():
    # The RFC lists 8-digit values; the 6-digit code is the last six digits.
    vectors = {59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"}
    for seconds, code in vectors.items():
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        assert totp.current_code(RFC_SEED, moment) == code


def test_seed_is_160_random_bits():
    seeds = {totp.new_seed() for _ in range(50)}
    assert len(seeds) == 50
    assert all(len(seed) == 20 for seed in seeds)
    seed = totp.new_seed()
    assert totp.seed_from_base32(totp.seed_to_base32(seed)) == seed


def _at_step(step: int) -> datetime:
    return datetime.fromtimestamp(step * totp.STEP_SECONDS + 7, tz=UTC)


def test_current_and_previous_step_accepted_others_refused():
    seed = totp.new_seed()
    now = _at_step(1000)
    for offset, expected in [(0, True), (-1, True), (-2, False), (1, False), (2, False)]:
        code = totp.code_for_step(seed, 1000 + offset)
        check = totp.check_code(seed, code, now, last_step=0)
        assert check.ok is expected, offset
        if expected:
            assert check.step == 1000 + offset


def test_code_of_an_already_used_step_is_refused():
    seed = totp.new_seed()
    now = _at_step(500)
    code = totp.code_for_step(seed, 500)
    first = totp.check_code(seed, code, now, last_step=0)
    assert first.ok and first.step == 500
    assert not totp.check_code(seed, code, now, last_step=500).ok
    # nor the previous step's code once a later step was used
    previous = totp.code_for_step(seed, 499)
    assert not totp.check_code(seed, previous, now, last_step=500).ok


def test_malformed_codes_are_refused():
    seed = totp.new_seed()
    now = _at_step(10)
    for code in ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "12 34 5"]:
        assert not totp.check_code(seed, code, now, last_step=0).ok
    spaced = totp.code_for_step(seed, 10)
    assert totp.check_code(seed, f"{spaced[:3]} {spaced[3:]}", now, last_step=0).ok


def test_provisioning_uri_and_qr():
    seed = totp.new_seed()
    uri = totp.provisioning_uri(seed, "maria.schmidt")
    assert uri.startswith("otpauth://totp/Servicestelle%3Amaria.schmidt?")
    assert f"secret={totp.seed_to_base32(seed)}" in uri
    assert "period=30" in uri and "digits=6" in uri
    svg = totp.qr_svg(uri, "QR")
    assert svg.startswith("<svg") and "<title>QR</title>" in svg
    assert "style=" not in svg  # the CSP forbids inline styles
    assert "viewBox=" in svg and "width=" not in svg  # scales with CSS, never cropped


def test_step_boundaries():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert totp.step_at(start + timedelta(seconds=29)) == totp.step_at(start)
    assert totp.step_at(start + timedelta(seconds=30)) == totp.step_at(start) + 1
