"""Locust users of the load scenario (bench/load/run.py starts them; see README.md there).

Runs in its own virtualenv (.venv-load, `make load`): locust is not part of the service's
locked dependency set, so nothing here imports the service. The users file written by
run.py names the accounts, their TOTP seeds and some of each counsellor's cases.

Every request goes to the server as if through the TLS-terminating reverse proxy
(X-Forwarded-Proto: https, X-Forwarded-For: the simulated client's address, with
SERVICESTELLE_TRUSTED_PROXIES=1 on the server): the session cookie is Secure and CSRF
checks a same-origin https Referer, as in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import json
import os
import random
import re
import struct
import threading
import time
from collections import Counter
from datetime import date
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, constant, events, task

USERS: dict[str, Any] = json.loads(Path(os.environ["LOAD_USERS_FILE"]).read_text())
OUT = os.environ.get("LOAD_OUT", "")
WAIT_SCALE = float(os.environ.get("LOAD_WAIT_SCALE", "1"))
#: Seconds measured after the last of the workload's users has logged in.
DURATION = float(os.environ.get("LOAD_DURATION", "300"))
#: The flood's simulated clients share this many addresses (a botnet, an office behind NAT).
FLOOD_ADDRESSES = int(os.environ.get("LOAD_FLOOD_ADDRESSES", "20"))
#: Several server processes (``--servers``): each simulated user is kept on one of them, in
#: turns, as a proxy balancing by client address would. Sessions live in the database, so
#: any process could serve any request.
HOSTS = os.environ.get("LOAD_HOSTS", "").split()
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOGIN_FAILED = "Benutzername oder Passwort ist falsch."
BUSY_ACCOUNT = "Für dieses Konto wird gerade eine Anmeldung geprüft."
TOTP_STEP = 30
#: Results on one page of the case list (servicestelle/cases/queries.py PAGE_SIZE).
RESULTS_PER_PAGE = 50
REFERENCE = re.compile(r"\b\d{4}-\d{4,}\b")

# The session cookie is Secure (and __Host-): a browser sends it over TLS only, and the
# proxy carries it on. The load generator talks plain http to the server in place of the
# proxy, so it sends Secure cookies over http too (requests copies a session's cookie jar
# into one with the default policy for every request: the policy class itself is changed).
DefaultCookiePolicy.return_ok_secure = lambda self, cookie, request: True  # type: ignore[method-assign]

_lock = threading.Lock()
_login_seconds: list[float] = []
_flood_outcomes: Counter[str] = Counter()
_flood_by_address: Counter[str] = Counter()
_queues: dict[str, list[dict[str, Any]]] = {}
_logged_in: list[float] = []
_window: dict[str, float] = {}
_started = itertools.count()


def _next_account(kind: str) -> dict[str, Any]:
    """Each simulated user takes an account of its kind of its own."""
    with _lock:
        if kind not in _queues:
            _queues[kind] = list(USERS[kind])
        return _queues[kind].pop(0)


def totp_code(seed_b32: str, step: int) -> str:
    """RFC 6238 (HMAC-SHA-1, 6 digits, 30 s), as servicestelle/auth/totp.py."""
    seed = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    digest = hmac.new(seed, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def token_of(text: str) -> str:
    match = CSRF.search(text)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


class Browser(HttpUser):
    """A browser behind the proxy: Secure cookies over the proxied http, an https Referer."""

    abstract = True

    def on_start(self) -> None:
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        if isinstance(self, Flood):
            address = f"10.66.0.{random.randrange(FLOOD_ADDRESSES) + 1}"
        self.address = address
        if HOSTS:
            self.host = HOSTS[next(_started) % len(HOSTS)]
            self.client.base_url = self.host
        self.client.headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": address})
        self.origin = self.host.replace("http://", "https://", 1)

    def post(self, path: str, data: dict[str, str], name: str, **kwargs: Any) -> Any:
        return self.client.post(
            path,
            data=data,
            headers={"Referer": f"{self.origin}{path}"},
            name=name,
            allow_redirects=False,
            **kwargs,
        )

    def log_in(self, account: dict[str, Any]) -> None:
        """Password, then the TOTP code; waits and tries again while the server is busy."""
        started = time.monotonic()
        while True:
            page = self.client.get("/anmelden", name="login: forms")
            data = {"username": account["username"], "password": USERS["password"]}
            data["csrf_token"] = token_of(page.text)
            with self.post("/anmelden", data, "login: password", catch_response=True) as answer:
                if answer.status_code == 302:
                    answer.success()
                    break
                # 503: all hashing slots taken; 429: this account's check is running.
                answer.failure(f"password step: {answer.status_code}")
            time.sleep(2)
        while True:
            page = self.client.get("/anmelden/zweiter-faktor", name="login: forms")
            step = int(time.time()) // TOTP_STEP
            code = totp_code(account["seed"], step)
            data = {"code": code, "csrf_token": token_of(page.text)}
            path = "/anmelden/zweiter-faktor"
            with self.post(path, data, "login: second factor", catch_response=True) as answer:
                if answer.status_code == 302:
                    answer.success()
                    break
                answer.failure(f"second factor: {answer.status_code}")
            # A code is spent once per step: wait for the next one.
            time.sleep(TOTP_STEP - time.time() % TOTP_STEP + 1)
        with _lock:
            _login_seconds.append(time.monotonic() - started)
        self.logged_in()

    def logged_in(self) -> None:
        """The last login of the workload starts the measured window: the stats so far
        (logins, whose argon2 hashes take the CPU, and the first users' requests) are reset,
        and the run ends ``DURATION`` seconds later."""
        expected = Counsellor.fixed_count + Supervisor.fixed_count + DataProtection.fixed_count
        with _lock:
            _logged_in.append(time.monotonic())
            last = len(_logged_in) == expected
        if not last:
            return
        runner = self.environment.runner
        assert runner is not None
        runner.stats.reset_all()
        _window["start"] = time.time()
        if OUT:  # run.py watches for it: the server's memory from here on is the workload's
            Path(f"{OUT}_window.json").write_text(json.dumps(_window))
        gevent.spawn_later(DURATION, _end, runner)


def _end(runner: Any) -> None:
    _window["end"] = time.time()
    runner.quit()


class Counsellor(Browser):
    """Opens cases, searches by pseudonym and by respondent, adds contacts, opens new cases."""

    fixed_count = 40
    wait_time = between(0.1 * WAIT_SCALE, 0.7 * WAIT_SCALE)

    def on_start(self) -> None:
        super().on_start()
        account = _next_account("counsellors")
        self.cases: list[dict[str, Any]] = account["cases"]
        self.named = [case for case in self.cases if case["pseudonym"]]
        self.log_in(account)
        self.token = token_of(self.client.get("/faelle", name="case list GET /faelle").text)

    def _check(self, answer: Any, expected: int, text: str | None = None) -> None:
        if answer.status_code != expected:
            answer.failure(f"status {answer.status_code}")
        elif text is not None and text not in html.unescape(answer.text):
            answer.failure("expected text missing")
        else:
            answer.success()

    @task(5)
    def case_page(self) -> None:
        case = random.choice(self.cases)
        with self.client.get(
            f"/faelle/{case['id']}", name="case page GET /faelle/<id>", catch_response=True
        ) as answer:
            # The respondent's name is sealed: on the page it proves the decryption.
            self._check(answer, 200, case["respondent"])

    @task(2)
    def search_pseudonym(self) -> None:
        case = random.choice(self.named)
        data = {"csrf_token": self.token, "feld": "pseudonym", "text": case["pseudonym"]}
        with self.post(
            "/faelle/suche", data, "search by pseudonym POST /faelle/suche", catch_response=True
        ) as answer:
            self._check(answer, 200, case["reference"])

    @task(1)
    def search_respondent(self) -> None:
        case = random.choice(self.cases)
        data = {"csrf_token": self.token, "feld": "respondent", "text": case["respondent"]}
        with self.post(
            "/faelle/suche", data, "search by respondent POST /faelle/suche", catch_response=True
        ) as answer:
            text = html.unescape(answer.text)
            # A respondent named in many cases (bench/case_texts.py FREQUENT_RESPONDENTS)
            # fills more than one page: the case may be on a later one.
            paged = len(set(REFERENCE.findall(text))) >= RESULTS_PER_PAGE
            if answer.status_code == 200 and case["reference"] not in text and paged:
                answer.success()
            else:
                self._check(answer, 200, case["reference"])

    @task(1)
    def add_contact(self) -> None:
        case = random.choice(self.cases)
        path = f"/faelle/{case['id']}/kontakte/neu"
        form = self.client.get(path, name="contact form GET /faelle/<id>/kontakte/neu")
        data = {
            "csrf_token": token_of(form.text),
            "occurred_on": date.today().isoformat(),
            "channel": "telefon",
            "duration_minutes": "20",
            "note": "Rückruf vereinbart, Unterlagen folgen.",
        }
        with self.post(
            path, data, "add contact POST /faelle/<id>/kontakte/neu", catch_response=True
        ) as answer:
            self._check(answer, 302)

    @task(1)
    def new_case(self) -> None:
        form = self.client.get("/faelle/neu", name="new case form GET /faelle/neu")
        data = {
            "csrf_token": token_of(form.text),
            "account_narrative": "Erstkontakt am Telefon, Schilderung folgt im Gespräch.",
        }
        with self.post(
            "/faelle/neu", data, "new case POST /faelle/neu", catch_response=True
        ) as answer:
            self._check(answer, 302)

    @task(1)
    def start_page(self) -> None:
        with self.client.get("/", name="start page GET /", catch_response=True) as answer:
            self._check(answer, 200)


class Supervisor(Browser):
    """Reads the centre's reports: the list and the report with the release's figures."""

    fixed_count = 3
    wait_time = between(1 * WAIT_SCALE, 3 * WAIT_SCALE)

    def on_start(self) -> None:
        super().on_start()
        self.log_in(_next_account("supervisors"))

    @task(1)
    def reports(self) -> None:
        with self.client.get("/berichte", name="reports GET /berichte", catch_response=True) as a:
            a.success() if a.status_code == 200 else a.failure(f"status {a.status_code}")

    @task(3)
    def report(self) -> None:
        path = f"/berichte/{USERS['report_id']}"
        with self.client.get(path, name="report GET /berichte/<id>", catch_response=True) as a:
            a.success() if a.status_code == 200 else a.failure(f"status {a.status_code}")


class DataProtection(Browser):
    """Searches the audit log: by action, by person, and a later page."""

    fixed_count = 1
    wait_time = between(1 * WAIT_SCALE, 3 * WAIT_SCALE)

    def on_start(self) -> None:
        super().on_start()
        self.log_in(_next_account("dpo"))

    def _search(self, query: str) -> None:
        path = f"/datenschutz/protokoll?{query}"
        name = "audit search GET /datenschutz/protokoll"
        with self.client.get(path, name=name, catch_response=True) as a:
            a.success() if a.status_code == 200 else a.failure(f"status {a.status_code}")

    @task
    def by_action(self) -> None:
        self._search("aktion=case:content:read")

    @task
    def by_person(self) -> None:
        self._search(f"person={random.choice(USERS['counsellor_ids'])}")

    @task
    def later_page(self) -> None:
        self._search("aktion=case:content:read&seite=3")


class Flood(Browser):
    """Wrong passwords as fast as the server answers, each client from its own address,
    for existing usernames and for made-up ones."""

    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        self.token = token_of(self.client.get("/anmelden", name="flood: login form").text)
        self.names = [account["username"] for account in USERS["counsellors"]]

    @task
    def wrong_password(self) -> None:
        known = random.random() < 0.5
        username = random.choice(self.names) if known else f"gast{random.randrange(10**9)}"
        data = {"csrf_token": self.token, "username": username, "password": "falsch" * 3}
        with self.post("/anmelden", data, "flood: POST /anmelden", catch_response=True) as answer:
            status = answer.status_code
            if status == 429 and BUSY_ACCOUNT in html.unescape(answer.text):
                outcome = "429 this username's check is in flight (no hash computed)"
            elif status == 429:
                outcome = "429 throttled: waiting or locked (no hash computed)"
            elif status == 503:
                outcome = "503 all hashing slots busy"
            elif status == 200 and LOGIN_FAILED in html.unescape(answer.text):
                outcome = "200 checked and refused (one argon2 hash)"
            else:
                outcome = f"UNEXPECTED {status}"
            kind = "known" if known else "unknown"
            with _lock:
                _flood_outcomes[outcome] += 1
                _flood_outcomes[f"  of which for {kind} usernames: {outcome}"] += 1
                _flood_by_address[f"{self.address} {status}"] += 1
            if outcome.startswith("UNEXPECTED"):
                answer.failure(outcome)
            else:
                answer.success()


@events.test_stop.add_listener
def _write_results(**_: Any) -> None:
    if not OUT:
        return
    with _lock:
        if _login_seconds:
            Path(f"{OUT}_logins.json").write_text(json.dumps(_login_seconds))
        if _window:
            Path(f"{OUT}_window.json").write_text(json.dumps(_window))
        if _flood_outcomes:
            Path(f"{OUT}_outcomes.json").write_text(json.dumps(dict(_flood_outcomes)))
            by_address = dict(sorted(_flood_by_address.items()))
            Path(f"{OUT}_by_address.json").write_text(json.dumps(by_address, indent=0))
