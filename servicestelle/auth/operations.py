"""The only writers of accounts: creation, login steps, second factor, roles, disabling.

Each public operation is one transaction and commits it, with its audit entry: if the entry
cannot be written, nothing is. Log lines and audit details carry user ids, never names,
passwords or codes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update

from audit import AuditEvent, Outcome
from servicestelle import audit_trail, clock, services
from servicestelle.api.operations import revoke_tokens_of
from servicestelle.auth import recovery, sealing, throttle, totp
from servicestelle.auth.login_state import Step
from servicestelle.auth.models import RecoveryCode, User, UserRole
from servicestelle.auth.passwords import PasswordRejected, check_policy
from servicestelle.auth.queries import (
    USERNAME_PATTERN,
    count_active_admins,
    get_user_by_username,
    normalise_username,
    unused_recovery_codes,
)
from servicestelle.centres.models import Centre
from servicestelle.database import rowcount
from servicestelle.extensions import db
from servicestelle.roles import Role, RoleConflict, check_separation
from servicestelle.sessions.operations import end_user_sessions

log = logging.getLogger(__name__)

DISPLAY_NAME_MAX = 120


class AccountError(ValueError):
    """An account change was refused; the message is shown to the user (translatable)."""

    def __init__(self, message: str, *, status: int = 200) -> None:
        # 200: the form is shown again with the message; 429 when throttled.
        super().__init__(message)
        self.status = status


# --- creating users -------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedUser:
    user: User
    #: The TOTP seed when the second factor was set up at creation (command line only).
    seed: bytes | None = None


def create_user(
    *,
    centre: Centre,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[Role],
    must_change_password: bool = False,
    with_second_factor: bool = False,
) -> CreatedUser:
    """Add a user with a policy-checked password and a role set that passes separation."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            str(
                _l(
                    "Benutzername: 2–64 Zeichen, Kleinbuchstaben, Ziffern, Punkt, Binde- und Unterstrich."
                )
            )
        )
    if get_user_by_username(name) is not None:
        raise AccountError(str(_l("Diesen Benutzernamen gibt es schon.")))
    display = display_name.strip() or name
    if len(display) > DISPLAY_NAME_MAX:
        raise AccountError(str(_l("Der Anzeigename ist zu lang.")))
    try:
        role_set = check_separation(roles)
        normalised = check_policy(password, name)
    except (RoleConflict, PasswordRejected) as exc:
        raise AccountError(str(exc)) from None
    now = clock.now()
    user = User(
        centre_id=centre.id,
        username=name,
        display_name=display,
        password_hash=services.password_service().hash(normalised),
        is_active=True,
        must_change_password=must_change_password,
        totp_last_step=0,
        created_at=now,
        password_changed_at=now,
    )
    user.role_rows = [UserRole(role=role.value) for role in sorted(role_set)]
    db.session.add(user)
    db.session.flush()
    seed = None
    if with_second_factor:
        seed = totp.new_seed()
        user.totp_secret_sealed = _seal_seed(user, seed, "totp_secret_sealed")
        user.totp_enrolled_at = now
    _record_about(
        user,
        AuditEvent.USER_ACCOUNT_CREATE,
        details={"roles": sorted(role.value for role in role_set), "second_factor": bool(seed)},
    )
    db.session.commit()
    log.info("user created: user_id=%s centre_id=%s", user.id, centre.id)
    return CreatedUser(user=user, seed=seed)


# --- login ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordStep:
    outcome: str  # "ok", "failed", "throttled" or "busy" (another attempt for the name runs)
    user: User | None = None
    next_step: Step | None = None
    retry_at: datetime | None = None


def _throttle_keys(username: str, client_address: str) -> list[throttle.ThrottleKey]:
    settings = services.settings()
    return [
        throttle.make_key(
            settings.secret_key,
            throttle.ACCOUNT,
            normalise_username(username),
            settings.account_throttle,
        ),
        throttle.make_key(
            settings.secret_key, throttle.CLIENT, client_address, settings.client_throttle
        ),
    ]


@contextmanager
def _guarded_attempt(keys: list[throttle.ThrottleKey], now: datetime) -> Iterator[str | datetime]:
    """Throttle check and claim around one password or code check.

    Yields "go", or the moment a waiting key may try again, or "busy" when another attempt
    for the same name is being checked right now. The claim is released on every way out
    (after record_failure or reset, which already clear it, that is a harmless no-op).
    """
    retry_at = throttle.blocked_until(keys, now)
    if retry_at is not None:
        yield retry_at
        return
    if not throttle.claim(keys[0], now):
        db.session.rollback()
        yield "busy"
        return
    db.session.commit()  # the claim must be visible to parallel requests before the check
    try:
        yield "go"
    except BaseException:
        db.session.rollback()
        throttle.release(keys[0])
        db.session.commit()
        raise
    else:
        throttle.release(keys[0])
        db.session.commit()


def check_password_step(
    username: str, password: str, client_address: str, *, flow: str = "login"
) -> PasswordStep:
    """First login step. Unknown users, disabled users and wrong passwords fail alike.

    ``flow`` says where the password was asked for (login, reauth, password_change); it is
    written to the audit entry of a failure.
    """
    now = clock.now()
    keys = _throttle_keys(username, client_address)
    with _guarded_attempt(keys, now) as state:
        if state == "busy":
            return PasswordStep(outcome="busy", retry_at=now + timedelta(seconds=1))
        if isinstance(state, datetime):
            return PasswordStep(outcome="throttled", retry_at=state)
        user = get_user_by_username(username)
        usable = user is not None and user.is_active
        result = services.password_service().verify(
            user.password_hash if usable and user else None, password
        )
        if not result.ok or user is None:
            locked = _count_failure(keys, now, user, "password", flow)
            log.info(
                "login failed at password step%s",
                f" (locked: {','.join(sorted(locked))})" if locked else "",
            )
            return PasswordStep(outcome="failed")
        if result.new_hash is not None:
            user.password_hash = result.new_hash
            log.info("password rehashed with current parameters: user_id=%s", user.id)
        db.session.commit()
        next_step = Step.SECOND_FACTOR if user.has_second_factor else Step.ENROL
        return PasswordStep(outcome="ok", user=user, next_step=next_step)


@dataclass(frozen=True)
class SecondFactorStep:
    outcome: str  # "ok", "failed", "throttled" or "busy"
    retry_at: datetime | None = None
    used_recovery_code: bool = False
    recovery_codes_left: int | None = None


def check_second_factor(
    user: User, code: str, client_address: str, *, flow: str = "login"
) -> SecondFactorStep:
    """Second login step (and re-authentication): a TOTP code or an unused recovery code."""
    now = clock.now()
    keys = _throttle_keys(user.username, client_address)
    with _guarded_attempt(keys, now) as state:
        if state == "busy":
            return SecondFactorStep(outcome="busy", retry_at=now + timedelta(seconds=1))
        if isinstance(state, datetime):
            return SecondFactorStep(outcome="throttled", retry_at=state)
        if recovery.looks_like_recovery_code(code):
            if _use_recovery_code(user, code, now):
                throttle.reset(keys[0])
                left = len(unused_recovery_codes(user.id))
                _record_about(user, AuditEvent.AUTH_RECOVERY_CODE_USE, details={"left": left})
                db.session.commit()
                log.info("recovery code used: user_id=%s left=%s", user.id, left)
                return SecondFactorStep(
                    outcome="ok", used_recovery_code=True, recovery_codes_left=left
                )
        elif user.totp_secret_sealed is not None and _use_totp_code(user, code, now):
            throttle.reset(keys[0])
            db.session.commit()
            return SecondFactorStep(outcome="ok")
        _count_failure(keys, now, user, "second_factor", flow)
        log.info("login failed at second-factor step: user_id=%s", user.id)
        return SecondFactorStep(outcome="failed")


def _count_failure(
    keys: list[throttle.ThrottleKey], now: datetime, user: User | None, step: str, flow: str
) -> frozenset[str]:
    """Count a failed step and audit it, together; the count survives a failing audit write.

    Without the second branch a broken audit log would switch the throttle off: every guess
    would end in an error before its failure was counted. Returns the scopes it locked.
    """
    try:
        outcome = throttle.record_failure(keys, now)
        _record_failure(user, step, flow, locked_scopes=outcome.locked_scopes)
        db.session.commit()
        return outcome.locked_scopes
    except Exception:
        db.session.rollback()
        throttle.record_failure(keys, now)
        db.session.commit()
        raise


def _record_about(
    user: User,
    event: AuditEvent,
    outcome: Outcome = Outcome.SUCCESS,
    *,
    actor: User | audit_trail.CurrentActor | None = audit_trail.CURRENT,
    details: dict[str, object] | None = None,
) -> None:
    """An entry about an account, filed under the account's centre (its DPO's view)."""
    audit_trail.record(
        event,
        outcome,
        actor=actor,
        object_type="user",
        object_id=user.id,
        centre_id=user.centre_id,
        details=details,
    )


def _record_failure(
    user: User | None, step: str, flow: str, *, locked_scopes: frozenset[str]
) -> None:
    """A failed login step, and each lock it caused; the submitted name is never written.

    A lock of the client address is no lock of the account that was tried last (the address
    may have failed on many names), so only the account scope names the user.
    """
    user_id = None if user is None else user.id
    centre_id = None if user is None else user.centre_id
    audit_trail.record(
        AuditEvent.AUTH_LOGIN_FAILURE,
        Outcome.FAILURE,
        object_type="user" if user else None,
        object_id=user_id,
        centre_id=centre_id,
        details={"step": step, "flow": flow, "known_account": user is not None},
    )
    for scope in sorted(locked_scopes):  # "account" before "client"
        account = scope == throttle.ACCOUNT
        audit_trail.record(
            AuditEvent.AUTH_ACCOUNT_LOCK,
            object_type="user" if account and user else None,
            object_id=user_id if account else None,
            centre_id=centre_id if account else None,
            details={"step": step, "flow": flow, "scope": scope},
        )


def record_login(user: User, *, method: str) -> None:
    """Every login step done (``method``: how the last step was passed)."""
    _record_about(user, AuditEvent.AUTH_LOGIN_SUCCESS, actor=user, details={"method": method})
    db.session.commit()


def record_reauthentication(user: User) -> None:
    """Password and code confirmed again before a sensitive action."""
    _record_about(user, AuditEvent.AUTH_REAUTH_SUCCESS, actor=user)
    db.session.commit()


def record_logout(user: User) -> None:
    _record_about(user, AuditEvent.AUTH_LOGOUT, actor=user)
    db.session.commit()


def _use_totp_code(user: User, code: str, now: datetime) -> bool:
    """Check a TOTP code; an accepted one moves the user's last step (caller commits)."""
    opened = _open_seed(user, user.totp_secret_sealed or b"", "totp_secret_sealed")
    check = totp.check_code(opened.plaintext, code, now, user.totp_last_step)
    if not check.ok or check.step is None:
        return False
    # Compare-and-swap: of two requests with the same code only one moves the step forward.
    moved = db.session.execute(
        update(User)
        .where(User.id == user.id, User.totp_last_step < check.step)
        .values(totp_last_step=check.step)
    )
    db.session.expire(user, ["totp_last_step"])
    if rowcount(moved) != 1:
        return False
    if opened.legacy:
        # Sealed before the keyring, under a key derived from the secret key: sealed anew in
        # this login's transaction, so that rotating the secret key no longer locks them out.
        user.totp_secret_sealed = _seal_seed(user, opened.plaintext, "totp_secret_sealed")
        log.info("second-factor seed sealed anew under the keyring: user_id=%s", user.id)
    return True


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    for row in unused_recovery_codes(user.id):
        if recovery.matches(code, row.code_hash):
            # Compare-and-swap, as for TOTP steps: a code is used exactly once.
            used = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
            )
            return rowcount(used) == 1
    return False


# --- second factor enrolment ----------------------------------------------------------


def start_enrolment(user: User) -> None:
    """Create a new seed to enrol; the current second factor stays valid until it is confirmed."""
    user.totp_pending_sealed = _seal_seed(user, totp.new_seed(), "totp_pending_sealed")
    db.session.commit()


def pending_seed(user: User) -> bytes | None:
    """The seed waiting for confirmation, if an enrolment was started."""
    if user.totp_pending_sealed is None:
        return None
    return _unseal_seed(user, user.totp_pending_sealed, "totp_pending_sealed")


@dataclass(frozen=True)
class Enrolment:
    recovery_codes: list[str] = field(default_factory=list)


def confirm_enrolment(user: User, code: str, *, keep_token: str | None) -> Enrolment | None:
    """Make the pending seed the user's second factor once a code from it is entered.

    Returns the new recovery codes (shown once), or None when the code is wrong.
    """
    if user.totp_pending_sealed is None:
        return None
    seed = _unseal_seed(user, user.totp_pending_sealed, "totp_pending_sealed")
    now = clock.now()
    check = totp.check_code(seed, code, now, last_step=0)
    if not check.ok or check.step is None:
        return None
    user.totp_secret_sealed = _seal_seed(user, seed, "totp_secret_sealed")
    user.totp_pending_sealed = None
    user.totp_last_step = check.step
    user.totp_enrolled_at = now
    codes = _replace_recovery_codes(user, now)
    ended = end_user_sessions(user.id, keep_token=keep_token)
    _record_about(
        user,
        AuditEvent.AUTH_SECOND_FACTOR_ENROL,
        actor=user,
        details={"other_sessions_ended": ended},
    )
    db.session.commit()
    log.info("second factor enrolled: user_id=%s other_sessions_ended=%s", user.id, ended)
    return Enrolment(recovery_codes=codes)


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = _replace_recovery_codes(user, clock.now())
    _record_about(user, AuditEvent.AUTH_RECOVERY_CODES_REGENERATE, actor=user)
    db.session.commit()
    log.info("recovery codes regenerated: user_id=%s", user.id)
    return codes


def _replace_recovery_codes(user: User, now: datetime) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = recovery.new_codes()
    for code in codes:
        db.session.add(
            RecoveryCode(user_id=user.id, code_hash=recovery.hash_code(code), created_at=now)
        )
    return codes


def current_code_for_demo(user: User) -> str:
    """The user's current TOTP code (only ever called for a demo instance)."""
    if user.totp_secret_sealed is None:
        raise AccountError("this user has not enrolled a second factor")
    return totp.current_code(
        _unseal_seed(user, user.totp_secret_sealed, "totp_secret_sealed"), clock.now()
    )


def _seal_seed(user: User, seed: bytes, column: str) -> bytes:
    key = services.keyring().named_key(sealing.KEY_NAME)
    return sealing.seal(key, seed, table="users", column=column, row_id=user.id)


def _unseal_seed(user: User, blob: bytes, column: str) -> bytes:
    return _open_seed(user, blob, column).plaintext


def _open_seed(user: User, blob: bytes, column: str) -> sealing.Unsealed:
    return sealing.open_sealed(
        services.keyring().named_key(sealing.KEY_NAME),
        blob,
        table="users",
        column=column,
        row_id=user.id,
        legacy_secret=services.settings().secret_key,
    )


# --- password changes -----------------------------------------------------------------


def change_own_password(
    user: User,
    *,
    current_password: str | None,
    new_password: str,
    keep_token: str | None,
    client_address: str = "",
) -> None:
    """Set a new password; ``current_password`` is required except in the forced change.

    The current password is checked like a login (throttled, one attempt at a time), so a
    left-open session cannot be used to guess it.
    """
    if current_password is not None:
        check = check_password_step(
            user.username, current_password, client_address, flow="password_change"
        )
        if check.outcome in ("throttled", "busy"):
            raise AccountError(
                str(_l("Zu viele Fehlversuche. Bitte versuchen Sie es später erneut.")), status=429
            )
        if check.outcome != "ok":
            raise AccountError(str(_l("Das bisherige Passwort stimmt nicht.")))
    if services.password_service().verify(user.password_hash, new_password).ok:
        raise AccountError(str(_l("Das neue Passwort muss sich vom bisherigen unterscheiden.")))
    _set_password(user, new_password, must_change=False)
    ended = end_user_sessions(user.id, keep_token=keep_token)
    _record_about(
        user,
        AuditEvent.AUTH_PASSWORD_CHANGE,
        actor=user,
        details={"forced": current_password is None, "other_sessions_ended": ended},
    )
    db.session.commit()
    log.info("password changed: user_id=%s other_sessions_ended=%s", user.id, ended)


def _set_password(user: User, new_password: str, *, must_change: bool) -> None:
    try:
        normalised = check_policy(new_password, user.username)
    except PasswordRejected as exc:
        raise AccountError(exc.reason) from None
    user.password_hash = services.password_service().hash(normalised)
    user.password_changed_at = clock.now()
    user.must_change_password = must_change


# --- administration -------------------------------------------------------------------


def _refuse_self(actor: User, user: User) -> None:
    if actor.id == user.id:
        raise AccountError(str(_l("Das eigene Konto kann hier nicht geändert werden.")))


def _refuse_last_admin(user: User, remaining_roles: frozenset[Role] | None) -> None:
    losing_admin = Role.ADMIN in user.roles and (
        remaining_roles is None or Role.ADMIN not in remaining_roles
    )
    if losing_admin and user.is_active and count_active_admins(user.centre_id) <= 1:
        raise AccountError(
            str(
                _l(
                    "Die letzte aktive Administration der Beratungsstelle kann nicht entfernt werden."
                )
            )
        )


def set_roles(actor: User, user: User, roles: Iterable[Role]) -> None:
    """Replace a user's roles; all their sessions end so the change applies everywhere."""
    _refuse_self(actor, user)
    try:
        role_set = check_separation(roles)
    except RoleConflict as exc:
        raise AccountError(str(exc)) from None
    before = user.roles
    if role_set == before:
        return
    _refuse_last_admin(user, role_set)
    # Change only the difference: SQLAlchemy inserts before it deletes, so replacing the
    # whole list would collide with the (user_id, role) unique constraint.
    for row in [row for row in user.role_rows if Role(row.role) not in role_set]:
        user.role_rows.remove(row)
    added, removed = role_set - before, before - role_set
    for role in sorted(added):
        user.role_rows.append(UserRole(role=role.value))
    end_user_sessions(user.id)
    _record_about(
        user,
        AuditEvent.USER_ROLES_CHANGE,
        actor=actor,
        details={
            "added": sorted(role.value for role in added),
            "removed": sorted(role.value for role in removed),
        },
    )
    db.session.commit()
    log.info(
        "roles changed: user_id=%s by=%s roles=%s", user.id, actor.id, ",".join(sorted(role_set))
    )


def disable_user(actor: User | None, user: User) -> None:
    """Disable an account: no login, no API token, every session ends. ``actor`` None = CLI."""
    if actor is not None:
        _refuse_self(actor, user)
    _refuse_last_admin(user, None)
    if not user.is_active:
        return
    user.is_active = False
    user.disabled_at = clock.now()
    end_user_sessions(user.id)
    # Revoked, not merely paused: enabling the account again must not revive old tokens.
    revoked = revoke_tokens_of(user.id)
    _record_about(
        user, AuditEvent.USER_ACCOUNT_DISABLE, actor=actor, details={"tokens_revoked": revoked}
    )
    db.session.commit()
    log.info("user disabled: user_id=%s by=%s", user.id, actor.id if actor else "cli")


def enable_user(actor: User, user: User) -> None:
    _refuse_self(actor, user)
    user.is_active = True
    user.disabled_at = None
    _record_about(user, AuditEvent.USER_ACCOUNT_ENABLE, actor=actor)
    db.session.commit()
    log.info("user enabled: user_id=%s by=%s", user.id, actor.id)


def reset_second_factor(actor: User, user: User) -> None:
    """Drop a user's second factor and recovery codes; they enrol again at their next login."""
    _refuse_self(actor, user)
    user.totp_secret_sealed = None
    user.totp_pending_sealed = None
    user.totp_enrolled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_user_sessions(user.id)
    # A reset is how a compromised account is recovered: the intruder's tokens go too.
    revoked = revoke_tokens_of(user.id)
    _record_about(
        user, AuditEvent.AUTH_SECOND_FACTOR_RESET, actor=actor, details={"tokens_revoked": revoked}
    )
    db.session.commit()
    log.info("second factor reset: user_id=%s by=%s", user.id, actor.id)


def reset_password(actor: User, user: User, new_password: str) -> None:
    """Set a one-time password the user must replace at their next login.

    Also lifts a lock on the account: someone who knows a username can lock it by failing on
    purpose, and the administrator who checked the person's identity is the way out.
    """
    _refuse_self(actor, user)
    _set_password(user, new_password, must_change=True)
    throttle.reset(_throttle_keys(user.username, "")[0])
    end_user_sessions(user.id)
    revoked = revoke_tokens_of(user.id)
    _record_about(
        user, AuditEvent.AUTH_PASSWORD_RESET, actor=actor, details={"tokens_revoked": revoked}
    )
    db.session.commit()
    log.info("password reset by admin: user_id=%s by=%s", user.id, actor.id)
