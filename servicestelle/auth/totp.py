"""Time-based one-time passwords (RFC 6238): SHA-1, 6 digits, 30-second steps.

A code is accepted for the current and the previous step only, and only for a step later
than the last one accepted for that user, so no code works twice.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

STEP_SECONDS = 30
DIGITS = 6
SEED_BYTES = 20  # 160 bits, the HMAC-SHA1 output length RFC 4226 recommends
ISSUER = "Servicestelle"


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def seed_to_base32(seed: bytes) -> str:
    return base64.b32encode(seed).decode("ascii").rstrip("=")


def seed_from_base32(text: str) -> bytes:
    cleaned = text.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def code_for_step(seed: bytes, step: int) -> str:
    # SHA-1 is what RFC 6238 and every authenticator app use; as an HMAC it is not broken.
    totp = TOTP(seed, DIGITS, SHA1(), STEP_SECONDS)  # noqa: S303  # nosec B303 - HMAC-SHA-1, RFC 6238
    return totp.generate(step * STEP_SECONDS).decode("ascii")


def current_code(seed: bytes, moment: datetime) -> str:
    return code_for_step(seed, step_at(moment))


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    step: int | None = None  # the step matched, to remember as the user's last step


def check_code(seed: bytes, code: str, moment: datetime, last_step: int) -> CodeCheck:
    """Accept ``code`` for the current or previous step if that step is newer than last_step."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return CodeCheck(ok=False)
    now_step = step_at(moment)
    for step in (now_step, now_step - 1):
        if step > last_step and hmac.compare_digest(code_for_step(seed, step), code):
            return CodeCheck(ok=True, step=step)
    return CodeCheck(ok=False)


def provisioning_uri(seed: bytes, username: str) -> str:
    label = quote(f"{ISSUER}:{username}")
    return (
        f"otpauth://totp/{label}?secret={seed_to_base32(seed)}&issuer={quote(ISSUER)}"
        f"&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )


def qr_svg(uri: str, title: str) -> str:
    """The provisioning URI as inline SVG, rendered on the server (no script, no image file)."""
    # omitsize: a viewBox instead of fixed pixels, so CSS can scale it without cropping.
    return str(segno.make(uri, error="m").svg_inline(title=title, border=4, omitsize=True))
