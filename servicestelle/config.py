"""Typed, frozen settings read from ``SERVICESTELLE_*`` environment variables.

Three profiles, chosen by code, never by an environment variable:

- ``production`` (the default): every secret must come from a file that only the service can
  read; weak password-hash parameters, a missing or default secret key are refused.
- ``demo``: the embedded instance of ``servicestelle demo`` — SQLite, secret kept in the
  instance folder, cookies without ``Secure`` so that http://127.0.0.1 works. Says so loudly.
- ``test``: for the test suite only; allows cheap password hashing.
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Profile = Literal["production", "demo", "test"]
PROFILES: tuple[Profile, ...] = ("production", "demo", "test")
#: A counselling centre (cases, statistics store, releases, packages for the coordinator) or
#: the statewide coordinator (no case module: it imports the centres' packages).
Mode = Literal["centre", "coordinator"]
MODES: tuple[Mode, ...] = ("centre", "coordinator")
#: The body a user turns to when the operator does not remedy an accessibility barrier: the
#: Ombudsstelle of North Rhine-Westphalia (public bodies of the Land and its municipalities,
#: §§ 10d, 10e BGG NRW) or the Schlichtungsstelle nach § 16 BGG (public bodies of the federation).
AccessibilityEnforcement = Literal["nrw", "bund"]
ACCESSIBILITY_ENFORCEMENTS: tuple[AccessibilityEnforcement, ...] = ("nrw", "bund")
#: Longest accessibility contact text (address, e-mail, telephone: a few lines).
MAX_ACCESSIBILITY_CONTACT_CHARS = 600
#: X25519 public keys are 32 bytes.
COORDINATOR_KEY_BYTES = 32

ENV_PREFIX = "SERVICESTELLE_"
SECRET_KEY_FILENAME = "secret_key"  # noqa: S105 - a file name
AUDIT_SIGNING_KEY_FILENAME = "audit-signing-key.pem"
KEYRING_FILENAME = "keyring.json"
#: Environment variables that would carry key material; refused (they leak to child processes
#: and /proc/PID/environ). The passphrase comes from a file or a prompt.
REFUSED_KEY_VARIABLES = (
    "KEYRING_PASSPHRASE",
    "KEYRING_KEY",
    "KEK",
    "MASTER_KEY",
    "DATA_KEY",
)
MIN_SECRET_BYTES = 32
#: Secrets that appear in tutorials and templates; a production instance must not use them.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "dev", "development", "default", "servicestelle"}
)


class ConfigError(RuntimeError):
    """The configuration is unusable; the message says what to fix."""


@dataclass(frozen=True)
class PasswordHashParameters:
    """Argon2id cost parameters (memory in KiB)."""

    time_cost: int
    memory_cost_kib: int
    parallelism: int

    def at_least(self, floor: PasswordHashParameters) -> bool:
        """True when no parameter is below the floor's."""
        return (
            self.time_cost >= floor.time_cost
            and self.memory_cost_kib >= floor.memory_cost_kib
            and self.parallelism >= floor.parallelism
        )


#: OWASP Password Storage Cheat Sheet floor for argon2id: 19 MiB, t=2, p=1.
OWASP_FLOOR = PasswordHashParameters(time_cost=2, memory_cost_kib=19_456, parallelism=1)
#: RFC 9106 §4 second recommendation ("low memory"): 64 MiB, t=3, p=4. Above the OWASP floor
#: in every parameter; measured in bench/ at about 0.1–0.2 s per check on two cores.
RFC_9106_LOW_MEMORY = PasswordHashParameters(time_cost=3, memory_cost_kib=65_536, parallelism=4)
#: Only for the test suite: hashing at production cost would make the suite minutes slower.
TEST_ONLY_CHEAP = PasswordHashParameters(time_cost=1, memory_cost_kib=1_024, parallelism=1)


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failed-login throttling for one kind of key (account or client address)."""

    free_failures: int  # failures allowed before any delay
    base_delay_seconds: int  # first delay; doubles with each further failure
    max_delay_seconds: int
    lock_after: int  # every lock_after-th failure locks the key …
    lock_seconds: int  # … for lock_seconds, doubling with each further lock …
    max_lock_seconds: int  # … up to this
    forget_after_seconds: int  # a quiet key starts again from zero


ACCOUNT_THROTTLE = ThrottlePolicy(
    free_failures=3,
    base_delay_seconds=2,
    max_delay_seconds=60,
    lock_after=10,
    lock_seconds=15 * 60,
    max_lock_seconds=24 * 3600,  # ≤ 100 failures a day (NIST SP 800-63B)
    forget_after_seconds=24 * 3600,
)
CLIENT_THROTTLE = ThrottlePolicy(
    free_failures=10,
    base_delay_seconds=1,
    max_delay_seconds=30,
    lock_after=50,
    lock_seconds=15 * 60,
    max_lock_seconds=4 * 3600,
    forget_after_seconds=3600,
)


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start; immutable once built."""

    profile: Profile
    instance_path: Path
    database_url: str
    secret_key: bytes = field(repr=False)
    #: Where the secret key was read from (shown on the operations page; never the key).
    #: Left out of repr, like the key: a printed Settings says nothing about its secrets.
    secret_source: Path | None = field(default=None, repr=False)
    password_hash: PasswordHashParameters = RFC_9106_LOW_MEMORY
    #: Memory the password hasher may use at once; bounds concurrent logins.
    password_hash_memory_budget_mib: int = 512
    session_idle_minutes: int = 15
    session_absolute_hours: int = 10
    #: Sensitive actions need password + code entered at most this long ago.
    reauth_minutes: int = 5
    #: A half-finished login (password given, code missing) expires after this.
    pending_login_minutes: int = 5
    account_throttle: ThrottlePolicy = ACCOUNT_THROTTLE
    client_throttle: ThrottlePolicy = CLIENT_THROTTLE
    api_token_default_days: int = 90
    api_token_max_days: int = 365
    max_content_length: int = 1024 * 1024
    #: Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    trusted_proxies: int = 0
    default_locale: str = "de"
    #: Ed25519 key signing audit checkpoints; separate from the secret key and every data key.
    audit_signing_key_file: Path | None = None
    #: A checkpoint is signed when the newest is older than this (0: only on demand).
    audit_checkpoint_minutes: int = 60
    #: The operations page warns when no signed checkpoint went to the DPO (an audit log
    #: export) and when no verification of the chain succeeded within this many days.
    checkpoint_export_warn_days: int = 30
    #: The operations page warns when no backup was made within this many days.
    backup_warn_days: int = 2
    #: Anomaly thresholds for the DPO's review list.
    anomaly_reads_per_window: int = 30
    anomaly_read_window_minutes: int = 10
    anomaly_failed_logins_per_window: int = 10
    anomaly_failed_login_window_minutes: int = 10
    #: Working hours (local time, hours 0–24, weekdays Mon=1 … Sun=7); reads outside are listed.
    working_hours_start: int = 7
    working_hours_end: int = 19
    working_days: tuple[int, ...] = (1, 2, 3, 4, 5)
    local_timezone: str = "Europe/Berlin"
    #: Art. 30 record of processing activities (TOML); the bundled template when unset.
    processing_record_file: Path | None = None
    #: The keyring of key-encryption keys (default: in the instance folder) and the file
    #: holding its passphrase (production: readable only by the service; else a prompt).
    keyring_file: Path | None = None
    keyring_passphrase_file: Path | None = None
    #: How long a break-glass opening of a case lasts.
    break_glass_minutes: int = 60
    #: Cases are deleted this many years after the end of the year they were closed in.
    retention_years: int = 3
    #: Statutory deadlines in months (configuration, not constants: a reform is pending).
    deadline_months_agg_15_4: int = 2
    deadline_months_agg_21_5: int = 2
    deadline_months_arbgg_61b: int = 3
    #: Largest document a counsellor may attach.
    document_max_bytes: int = 10 * 1024 * 1024
    #: Smallest count a release publishes (1..k-1 are suppressed); never below 3.
    statistics_k: int = 5
    #: "centre" (the default) or "coordinator" (statewide aggregation, no case module).
    mode: Mode = "centre"
    #: A centre's coordinator packages are encrypted to this X25519 public key (raw 32 bytes;
    #: `servicestelle coordinator public-key` prints it on the coordinator's instance).
    coordinator_public_key: bytes | None = None
    #: On a coordinator, a statewide cell is published only if at least this many centres
    #: count it (else one centre's own count shows through); never below 2.
    coordinator_min_centres: int = 3
    #: Where users report accessibility barriers (Erklärung zur Barrierefreiheit): the operating
    #: centre's address, e-mail and telephone, as lines of text. Empty: the statement says that
    #: the operator has not set it yet, and the service logs a warning at start.
    accessibility_contact: str = ""
    #: The enforcement procedure named in the statement (ACCESSIBILITY_ENFORCEMENTS).
    accessibility_enforcement: AccessibilityEnforcement = "nrw"

    @property
    def audit_signing_key_path(self) -> Path:
        return self.audit_signing_key_file or self.instance_path / AUDIT_SIGNING_KEY_FILENAME

    @property
    def keyring_path(self) -> Path:
        return self.keyring_file or self.instance_path / KEYRING_FILENAME

    @property
    def is_coordinator(self) -> bool:
        return self.mode == "coordinator"

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    @property
    def cookie_secure(self) -> bool:
        """Secure cookies everywhere but the local demo (plain http on 127.0.0.1)."""
        return self.profile != "demo"

    @property
    def session_cookie_name(self) -> str:
        # Browsers reject a __Host- cookie without Secure, so the plain-http demo uses a plain name.
        return "__Host-servicestelle" if self.cookie_secure else "servicestelle-demo"

    @property
    def hsts(self) -> bool:
        return self.profile == "production"

    @property
    def max_concurrent_password_checks(self) -> int:
        """How many argon2 computations fit into the memory budget at once."""
        budget_kib = self.password_hash_memory_budget_mib * 1024
        return max(1, budget_kib // self.password_hash.memory_cost_kib)

    def with_changes(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests, CLI overrides), validated again."""
        updated = replace(self, **changes)  # type: ignore[arg-type]
        updated.validate()
        return updated

    def validate(self) -> None:
        """Refuse combinations that would be unsafe for the chosen profile."""
        if self.profile not in PROFILES:
            raise ConfigError(f"unknown profile {self.profile!r}; use one of {', '.join(PROFILES)}")
        if len(self.secret_key) < MIN_SECRET_BYTES:
            raise ConfigError(f"the secret key must be at least {MIN_SECRET_BYTES} bytes long")
        if _looks_like_placeholder(self.secret_key):
            raise ConfigError("the secret key is a well-known default; generate a random one")
        if self.profile != "test" and not self.password_hash.at_least(OWASP_FLOOR):
            raise ConfigError(
                "password hash parameters are below the OWASP floor (argon2id, 19 MiB, t=2, p=1)"
            )
        if self.session_idle_minutes <= 0 or self.session_absolute_hours <= 0:
            raise ConfigError("session timeouts must be positive")
        if self.trusted_proxies < 0:
            raise ConfigError("SERVICESTELLE_TRUSTED_PROXIES must not be negative")
        self._validate_audit()
        self._validate_cases()
        if not 3 <= self.statistics_k <= 100:
            raise ConfigError(
                "SERVICESTELLE_STATISTICS_K must be between 3 and 100 (cells of 1 or 2 cases "
                "identify people)"
            )
        self._validate_coordinator()
        self._validate_accessibility()

    def _validate_accessibility(self) -> None:
        if self.accessibility_enforcement not in ACCESSIBILITY_ENFORCEMENTS:
            raise ConfigError(
                "SERVICESTELLE_ACCESSIBILITY_ENFORCEMENT must be one of "
                f"{', '.join(ACCESSIBILITY_ENFORCEMENTS)}, not {self.accessibility_enforcement!r}"
            )
        contact = self.accessibility_contact
        if len(contact) > MAX_ACCESSIBILITY_CONTACT_CHARS:
            raise ConfigError(
                "SERVICESTELLE_ACCESSIBILITY_CONTACT must be at most "
                f"{MAX_ACCESSIBILITY_CONTACT_CHARS} characters"
            )
        if any(char != "\n" and unicodedata.category(char).startswith("C") for char in contact):
            raise ConfigError(
                "SERVICESTELLE_ACCESSIBILITY_CONTACT may hold text and line breaks (\\n) only"
            )

    def _validate_coordinator(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(
                f"SERVICESTELLE_MODE must be one of {', '.join(MODES)}, not {self.mode!r}"
            )
        if not 2 <= self.coordinator_min_centres <= 100:
            raise ConfigError(
                "SERVICESTELLE_COORDINATOR_MIN_CENTRES must be between 2 and 100 (a statewide "
                "figure of one centre is that centre's own count)"
            )
        key = self.coordinator_public_key
        if key is not None and len(key) != COORDINATOR_KEY_BYTES:
            raise ConfigError(
                "SERVICESTELLE_COORDINATOR_PUBLIC_KEY must be the coordinator's public key: "
                f"{COORDINATOR_KEY_BYTES} bytes in base64, as `servicestelle coordinator "
                "public-key` prints it"
            )

    def _validate_cases(self) -> None:
        if not 1 <= self.break_glass_minutes <= 24 * 60:
            raise ConfigError("SERVICESTELLE_BREAK_GLASS_MINUTES must be between 1 and 1440")
        if self.retention_years < 0:
            raise ConfigError("SERVICESTELLE_RETENTION_YEARS must not be negative")
        months = (
            self.deadline_months_agg_15_4,
            self.deadline_months_agg_21_5,
            self.deadline_months_arbgg_61b,
        )
        if not all(1 <= value <= 24 for value in months):
            raise ConfigError("deadline durations must be between 1 and 24 months")
        if self.document_max_bytes < 1024:
            raise ConfigError("SERVICESTELLE_DOCUMENT_MAX_BYTES must be at least 1024")

    def _validate_audit(self) -> None:
        if self.audit_checkpoint_minutes < 0:
            raise ConfigError("SERVICESTELLE_AUDIT_CHECKPOINT_MINUTES must not be negative")
        if not 1 <= self.checkpoint_export_warn_days <= 366:
            raise ConfigError("SERVICESTELLE_CHECKPOINT_EXPORT_WARN_DAYS must be between 1 and 366")
        if not 1 <= self.backup_warn_days <= 366:
            raise ConfigError("SERVICESTELLE_BACKUP_WARN_DAYS must be between 1 and 366")
        counts = (
            self.anomaly_reads_per_window,
            self.anomaly_read_window_minutes,
            self.anomaly_failed_logins_per_window,
            self.anomaly_failed_login_window_minutes,
        )
        if min(counts) < 1:
            raise ConfigError("anomaly thresholds and windows must be at least 1")
        if not 0 <= self.working_hours_start < self.working_hours_end <= 24:
            raise ConfigError("working hours must satisfy 0 <= start < end <= 24")
        if not self.working_days or not set(self.working_days) <= set(range(1, 8)):
            raise ConfigError("working days are numbers from 1 (Monday) to 7 (Sunday)")
        try:
            ZoneInfo(self.local_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"unknown time zone {self.local_timezone!r}") from None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, profile: Profile | None = None
    ) -> Settings:
        """Build settings from the environment; only code picks a profile other than production."""
        env = os.environ if env is None else env
        from_environment = env.get(ENV_PREFIX + "PROFILE", "production")
        if from_environment != "production":
            # The demo profile drops Secure cookies and keeps its secret beside the data; the
            # test profile hashes cheaply. Neither may be switched on by a stray variable.
            raise ConfigError(
                f"SERVICESTELLE_PROFILE={from_environment!r} is not accepted: the demo profile "
                "comes only with `servicestelle demo`, the test profile only with the test suite"
            )
        chosen = profile or "production"
        if chosen not in PROFILES:
            raise ConfigError(f"unknown profile {chosen!r}; use one of {', '.join(PROFILES)}")
        instance = Path(env.get(ENV_PREFIX + "INSTANCE", "instance")).resolve()
        database_url = env.get(ENV_PREFIX + "DATABASE_URL") or default_database_url(instance)
        hash_params = PasswordHashParameters(
            time_cost=_int(env, "ARGON2_TIME_COST", RFC_9106_LOW_MEMORY.time_cost),
            memory_cost_kib=_int(env, "ARGON2_MEMORY_KIB", RFC_9106_LOW_MEMORY.memory_cost_kib),
            parallelism=_int(env, "ARGON2_PARALLELISM", RFC_9106_LOW_MEMORY.parallelism),
        )
        if ENV_PREFIX + "SECRET_KEY" in env:
            # Environment variables leak to child processes and /proc/PID/environ.
            raise ConfigError(
                "SERVICESTELLE_SECRET_KEY is not accepted; put the key in a file readable only "
                "by the service and name it in SERVICESTELLE_SECRET_KEY_FILE"
            )
        for name in REFUSED_KEY_VARIABLES:
            if ENV_PREFIX + name in env:
                raise ConfigError(
                    f"{ENV_PREFIX}{name} is not accepted: keys and passphrases in the environment "
                    "leak to child processes; put the keyring passphrase in a file readable only "
                    "by the service and name it in SERVICESTELLE_KEYRING_PASSPHRASE_FILE"
                )
        secret_file = env.get(ENV_PREFIX + "SECRET_KEY_FILE") or _systemd_credential(
            env, "secret-key"
        )
        if secret_file:
            secret = read_secret_file(Path(secret_file))
        elif chosen == "production":
            raise ConfigError(
                "no secret key: set SERVICESTELLE_SECRET_KEY_FILE to a file of at least "
                f"{MIN_SECRET_BYTES} random bytes (e.g. `openssl rand -hex 32 > FILE`, mode 0600)"
            )
        else:
            secret = instance_secret_key(instance)
        enforcement = (
            env.get(ENV_PREFIX + "ACCESSIBILITY_ENFORCEMENT") or cls.accessibility_enforcement
        )
        settings = cls(
            profile=chosen,
            instance_path=instance,
            database_url=database_url,
            secret_key=secret,
            secret_source=(
                Path(secret_file).resolve() if secret_file else instance / SECRET_KEY_FILENAME
            ),
            password_hash=hash_params,
            password_hash_memory_budget_mib=_int(
                env, "ARGON2_MEMORY_BUDGET_MIB", cls.password_hash_memory_budget_mib
            ),
            trusted_proxies=_int(env, "TRUSTED_PROXIES", 0),
            audit_signing_key_file=_path(env, "AUDIT_SIGNING_KEY_FILE"),
            audit_checkpoint_minutes=_int(
                env, "AUDIT_CHECKPOINT_MINUTES", cls.audit_checkpoint_minutes
            ),
            checkpoint_export_warn_days=_int(
                env, "CHECKPOINT_EXPORT_WARN_DAYS", cls.checkpoint_export_warn_days
            ),
            backup_warn_days=_int(env, "BACKUP_WARN_DAYS", cls.backup_warn_days),
            anomaly_reads_per_window=_int(
                env, "ANOMALY_READS_PER_WINDOW", cls.anomaly_reads_per_window
            ),
            anomaly_read_window_minutes=_int(
                env, "ANOMALY_READ_WINDOW_MINUTES", cls.anomaly_read_window_minutes
            ),
            anomaly_failed_logins_per_window=_int(
                env, "ANOMALY_FAILED_LOGINS_PER_WINDOW", cls.anomaly_failed_logins_per_window
            ),
            anomaly_failed_login_window_minutes=_int(
                env, "ANOMALY_FAILED_LOGIN_WINDOW_MINUTES", cls.anomaly_failed_login_window_minutes
            ),
            working_hours_start=_int(env, "WORKING_HOURS_START", cls.working_hours_start),
            working_hours_end=_int(env, "WORKING_HOURS_END", cls.working_hours_end),
            working_days=_days(env, "WORKING_DAYS", cls.working_days),
            local_timezone=env.get(ENV_PREFIX + "TIMEZONE", cls.local_timezone),
            processing_record_file=_path(env, "PROCESSING_RECORD_FILE"),
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", cls.max_content_length),
            keyring_file=_path(env, "KEYRING_FILE"),
            keyring_passphrase_file=_path(env, "KEYRING_PASSPHRASE_FILE")
            or _systemd_credential_path(env, "keyring-passphrase"),
            break_glass_minutes=_int(env, "BREAK_GLASS_MINUTES", cls.break_glass_minutes),
            retention_years=_int(env, "RETENTION_YEARS", cls.retention_years),
            statistics_k=_int(env, "STATISTICS_K", cls.statistics_k),
            deadline_months_agg_15_4=_int(
                env, "DEADLINE_MONTHS_AGG_15_4", cls.deadline_months_agg_15_4
            ),
            deadline_months_agg_21_5=_int(
                env, "DEADLINE_MONTHS_AGG_21_5", cls.deadline_months_agg_21_5
            ),
            deadline_months_arbgg_61b=_int(
                env, "DEADLINE_MONTHS_ARBGG_61B", cls.deadline_months_arbgg_61b
            ),
            document_max_bytes=_int(env, "DOCUMENT_MAX_BYTES", cls.document_max_bytes),
            mode=env.get(ENV_PREFIX + "MODE") or cls.mode,  # type: ignore[arg-type]  # validated
            coordinator_public_key=_base64(env, "COORDINATOR_PUBLIC_KEY"),
            coordinator_min_centres=_int(
                env, "COORDINATOR_MIN_CENTRES", cls.coordinator_min_centres
            ),
            accessibility_contact=_lines(env, "ACCESSIBILITY_CONTACT"),
            accessibility_enforcement=enforcement,  # type: ignore[arg-type]  # validated
        )
        settings.validate()
        return settings


def _looks_like_placeholder(secret: bytes) -> bool:
    """A default word (repeated to reach the length) or too few distinct characters."""
    text = secret.strip().lower().decode("utf-8", "replace")
    if len(set(text)) < 8:
        return True
    return any(word and not text.replace(word, "") for word in KNOWN_DEFAULT_SECRETS)


def default_database_url(instance: Path) -> str:
    return f"sqlite:///{instance / 'servicestelle.sqlite3'}"


def read_secret_file(path: Path) -> bytes:
    """Read a secret from a file that only its owner may read."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the secret key file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"the secret key file {path} is readable by others; chmod 600 it")
    return data


def instance_secret_key(instance: Path) -> bytes:
    """The demo's secret, created on first use inside the instance folder."""
    path = instance / SECRET_KEY_FILENAME
    if not path.exists():
        instance.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    warnings.warn(
        f"using the secret key kept in the instance folder ({path}); "
        "fine for a demo, never for real cases",
        DemoSecretWarning,
        stacklevel=2,
    )
    return read_secret_file(path)


class DemoSecretWarning(UserWarning):
    """The secret key lives next to the data it protects (demo only)."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(ENV_PREFIX + name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{ENV_PREFIX}{name} must be a whole number, not {raw!r}") from None


def _systemd_credential_path(env: Mapping[str, str], name: str) -> Path | None:
    """A credential systemd handed to the service (LoadCredential=/LoadCredentialEncrypted=).

    systemd decrypts it into a private directory readable only by the service's user and
    names the directory in CREDENTIALS_DIRECTORY; an explicit ``…_FILE`` setting wins.
    """
    directory = env.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory) / name
    try:
        found = path.is_file()
    except OSError as exc:  # e.g. a directory the service's user cannot enter
        raise ConfigError(f"cannot read the systemd credential {path}: {exc.strerror}") from None
    return path.resolve() if found else None


def _systemd_credential(env: Mapping[str, str], name: str) -> str | None:
    path = _systemd_credential_path(env, name)
    return str(path) if path else None


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(ENV_PREFIX + name)
    return Path(raw).resolve() if raw else None


def _base64(env: Mapping[str, str], name: str) -> bytes | None:
    raw = env.get(ENV_PREFIX + name)
    if not raw:
        return None
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except ValueError:  # binascii.Error
        raise ConfigError(f"{ENV_PREFIX}{name} must be base64") from None


def _lines(env: Mapping[str, str], name: str) -> str:
    """Lines of text; a literal "\\n" (what a systemd unit or .env file can hold) breaks a line."""
    raw = env.get(ENV_PREFIX + name) or ""
    lines = raw.replace("\\n", "\n").replace("\r\n", "\n").split("\n")
    return "\n".join(line.strip() for line in lines).strip()


def _days(env: Mapping[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Weekdays as "1,2,3,4,5" (Monday = 1)."""
    raw = env.get(ENV_PREFIX + name)
    if not raw:
        return default
    try:
        return tuple(sorted({int(part) for part in raw.split(",") if part.strip()}))
    except ValueError:
        raise ConfigError(
            f"{ENV_PREFIX}{name} must list weekdays as numbers, e.g. 1,2,3,4,5"
        ) from None
