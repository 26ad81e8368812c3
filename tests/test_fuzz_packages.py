"""Property tests of a coordinator's package import: the file format
(stats/package_crypto.py), the document (stats/package_format.py) and the import that runs
both (coordinator/operations.import_package). Arbitrary bytes, arbitrary JSON and a valid
package with one part of it changed — also changed and then re-hashed and re-signed with the
centre's key, so the later checks are reached — are refused with the declared refusal
(``PackageCryptoError``, ``PackageInvalid``, ``ImportRefused``), never with a crash, and a
refused import stores nothing.

The file and document tests need no database (no backend parametrisation); the import test
runs on both backends with few examples, the valid package built here without a centre
instance (the same content a centre drafts, signed with a key registered for it).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

from audit import AuditEvent
from servicestelle.coordinator import keys
from servicestelle.coordinator import operations as coordination
from servicestelle.coordinator.models import ImportedPackage
from servicestelle.extensions import db
from servicestelle.stats import content as release_content
from servicestelle.stats import package_crypto, package_format, signing
from servicestelle.stats.keys import layout
from servicestelle.stats.package_crypto import PackageCryptoError
from servicestelle.stats.package_format import PackageInvalid
from servicestelle.stats.periods import Period
from servicestelle.stats.tables import Dimensions, Table
from tests import conftest
from tests.support.audit_log import entries

FUZZ = hypothesis.settings(derandomize=True, database=None, deadline=None, max_examples=120)
DEEP = b"[" * 100_000  # deeper than the interpreter's recursion limit

CENTRE_SIGNER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CENTRE_KEY = CENTRE_SIGNER.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
COORDINATOR = X25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
COORDINATOR_KEY = COORDINATOR.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
PUBLISHED_AT = "2026-04-02T10:00:00+00:00"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["\ud800", "2026-Q1", "TEST", PUBLISHED_AT, "faelle", ""]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _content(tables: tuple[Table, ...] = package_format.PACKAGE_TABLES) -> dict[str, Any]:
    """A package's content as a centre drafts it (stats/packages.draft_package)."""
    dims = Dimensions()
    layouts = [layout(table, dims) for table in tables]
    every_key = list(dict.fromkeys(key for lay in layouts for key in lay.all_keys()))
    return package_format.package_content(
        release_content.build(
            centre_code="TEST",
            period=Period.parse("2026-Q1"),
            k=5,
            layouts=layouts,
            values={key: index % 9 for index, key in enumerate(every_key)},
            suppressed=(),
            dims=dims,
        )
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def signed(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (of any shape) re-hashed and re-signed with the centre's key, as far as
    its shape allows: a forgery by someone holding the key, to reach the later checks."""
    document = dict(document)
    try:
        document["content_sha256"] = signing.content_hash(document.get("content"))
        body = package_format.signed_document(
            centre_code=document.get("centre"),  # type: ignore[arg-type]
            period=document.get("period"),  # type: ignore[arg-type]
            catalogue_version=document.get("catalogue_version"),  # type: ignore[arg-type]
            content_hash=document["content_sha256"],
            published_at=document.get("published_at"),  # type: ignore[arg-type]
        )
    except UnicodeEncodeError:  # a lone surrogate: nothing a centre could sign
        return document
    document["signature"] = _b64(CENTRE_SIGNER.sign(body))
    return document


def _document(content: dict[str, Any]) -> dict[str, Any]:
    return signed(
        {
            "format": package_format.DOCUMENT_FORMAT,
            "centre": "TEST",
            "period": "2026-Q1",
            "catalogue_version": content["catalogue_version"],
            "published_at": PUBLISHED_AT,
            "content": content,
            "content_sha256": "",
            "signature": "",
            "public_key": _b64(CENTRE_KEY),
        }
    )


#: Every table of the catalogue, as a centre sends it.
VALID = _document(_content())
#: Three tables only (a package may hold fewer than all; each must be complete): a tenth of
#: the size, so a mutation costs a tenth, and a mutation hits the checks more often.
SMALL = _document(
    _content(
        tuple(t for t in package_format.PACKAGE_TABLES if t.id in {"faelle", "alter", "formen"})
    )
)
VALID_BYTES = signing.canonical(VALID)


# --- mutations of a JSON document ------------------------------------------------------------

Path = tuple[str | int, ...]


def _paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _paths(inner, (*prefix, name))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _at(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def _replace(document: Any, path: Path, new: Any) -> Any:
    if not path:
        return new
    changed = _copy(document)
    _at(changed, path[:-1])[path[-1]] = new
    return changed


def _delete(document: Any, path: Path) -> Any:
    if not path:
        return None
    changed = _copy(document)
    del _at(changed, path[:-1])[path[-1]]
    return changed


def _add(document: Any, path: Path, name: str, new: Any) -> Any:
    changed = _copy(document)
    target = _at(changed, path)
    if isinstance(target, dict):
        target[name] = new
    elif isinstance(target, list):
        target.append(new if name else _copy(target[0]) if target else new)
    return changed


def mutations(document: dict[str, Any], *, resign: bool) -> st.SearchStrategy[Any]:
    """``document`` with one value replaced (by anything, or by a value of the same kind),
    one member removed or one added — optionally re-signed afterwards."""
    paths = list(_paths(document))
    leaves = [p for p in paths if not isinstance(_at(document, p), dict | list)]
    same_kind = st.one_of(
        st.integers(min_value=-3, max_value=2**70),
        st.text(max_size=20),
        st.sampled_from(["\ud800", "2026-Q2", "2026-Q5", "2026", "NORD", "2026-04-02T10:00:00"]),
        st.booleans(),
        st.none(),
    )
    changed = st.one_of(
        st.tuples(st.sampled_from(paths), json_values).map(lambda c: _replace(document, *c)),
        st.tuples(st.sampled_from(leaves), same_kind).map(lambda c: _replace(document, *c)),
        st.sampled_from(paths).map(lambda p: _delete(document, p)),
        st.tuples(st.sampled_from(paths), st.text(max_size=6), json_values).map(
            lambda c: _add(document, *c)
        ),
    )
    if not resign:
        return changed
    return changed.map(lambda d: signed(d) if isinstance(d, dict) else d)


#: Built once (the paths of the document are listed when the strategy is made).
CHANGED = mutations(SMALL, resign=False)
FORGED = mutations(SMALL, resign=True)


# --- the package file (package_crypto) -------------------------------------------------------


def _file(plaintext: bytes = VALID_BYTES) -> dict[str, str]:
    return package_crypto.encrypt(plaintext, COORDINATOR_KEY)


def _opens_to_the_plaintext_or_is_refused(data: bytes) -> None:
    try:
        opened = package_crypto.decrypt_file(data, COORDINATOR)
    except PackageCryptoError:
        return
    assert opened == VALID_BYTES


@FUZZ
@given(data=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_arbitrary_bytes_and_json_are_no_package_file(data):
    with pytest.raises(PackageCryptoError):
        package_crypto.decrypt_file(data, COORDINATOR)


@pytest.mark.parametrize("data", [DEEP, b'{"a":' * 50_000], ids=["list", "object"])
def test_json_nested_deeper_than_the_interpreter_goes_is_refused_alike(data):
    with pytest.raises(PackageCryptoError):
        package_crypto.decrypt_file(data, COORDINATOR)
    with pytest.raises(PackageInvalid) as refused:
        package_format.load(data)
    assert refused.value.refusal is package_format.Refusal.MALFORMED


@FUZZ
@given(data=st.data())
def test_a_package_file_with_one_part_changed_opens_as_sent_or_not_at_all(data):
    sealed = _file(b'{"small": "plaintext"}')
    changed = data.draw(mutations(sealed, resign=False), label="file")
    try:
        opened = package_crypto.decrypt_file(json.dumps(changed).encode(), COORDINATOR)
    except PackageCryptoError:
        return
    assert opened == b'{"small": "plaintext"}'


@FUZZ
@given(
    field=st.sampled_from(["ephemeral_public_key", "nonce", "ciphertext"]),
    bit=st.integers(min_value=0),
)
def test_any_flipped_bit_of_a_package_file_is_refused(field, bit):
    sealed = _file(b'{"small": "plaintext"}')
    raw = bytearray(base64.b64decode(sealed[field]))
    bit %= len(raw) * 8
    raw[bit // 8] ^= 1 << (bit % 8)
    flipped = {**sealed, field: _b64(bytes(raw))}
    with pytest.raises(PackageCryptoError):
        package_crypto.decrypt_file(json.dumps(flipped).encode(), COORDINATOR)


def test_the_valid_package_opens_loads_and_checks():
    """The starting point of the mutations is accepted (the properties are not vacuous)."""
    opened = package_crypto.decrypt_file(json.dumps(_file()).encode(), COORDINATOR)
    checked = package_format.check(package_format.load(opened), CENTRE_KEY)
    assert checked.period.code == "2026-Q1"
    small = package_format.check(package_format.load(json.dumps(SMALL).encode()), CENTRE_KEY)
    assert small.period.code == "2026-Q1" and len(SMALL["content"]["tables"]) == 3


# --- the document (package_format) -----------------------------------------------------------


def _loads_and_checks_as_sent_or_is_refused(document: Any) -> None:
    raw = json.dumps(document).encode()
    try:
        loaded = package_format.load(raw)
        package_format.check(loaded, CENTRE_KEY)
    except PackageInvalid:
        return
    # Accepted: then it is what the key holder signed, stored as sent.
    assert signing.canonical(loaded["content"]) == signing.canonical(document["content"])
    assert loaded["content_sha256"] == signing.content_hash(document["content"])


@FUZZ
@given(value=json_values)
def test_arbitrary_json_is_a_malformed_package(value):
    with pytest.raises(PackageInvalid) as refused:
        package_format.load(json.dumps(value).encode())
    assert refused.value.refusal is package_format.Refusal.MALFORMED


@FUZZ
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_are_a_malformed_package(data):
    with pytest.raises(PackageInvalid) as refused:
        package_format.load(data)
    assert refused.value.refusal is package_format.Refusal.MALFORMED


@hypothesis.settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_document_with_one_part_changed_is_refused_or_accepted_as_sent(data):
    _loads_and_checks_as_sent_or_is_refused(data.draw(CHANGED, label="document"))


@hypothesis.settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_a_changed_document_signed_with_the_centres_key_is_refused_or_accepted_as_sent(data):
    _loads_and_checks_as_sent_or_is_refused(data.draw(FORGED, label="document"))


@pytest.mark.parametrize(
    "path",
    [
        ("published_at",),
        ("centre",),
        ("content", "period_label"),
        ("content", "tables", 0, "title"),
    ],
)
def test_a_lone_surrogate_anywhere_is_malformed_not_a_crash(path):
    """Found by these tests: "\\ud800" is valid JSON but has no UTF-8 form, so hashing it
    (signing.canonical) raised UnicodeEncodeError from load() or check()."""
    document = signed(_replace(VALID, path, "\ud800"))
    with pytest.raises(PackageInvalid) as refused:
        package_format.load(json.dumps(document).encode())
    assert refused.value.refusal is package_format.Refusal.MALFORMED


# --- the import on the coordinator -----------------------------------------------------------


@pytest.fixture
def settings(tmp_path, backend):  # type: ignore[no-untyped-def]
    """The test's app is a coordinator (no centre instance needed: the package is built here)."""
    return conftest.make_settings(tmp_path, backend.url, mode="coordinator")


@pytest.fixture
def coordinator(app):  # type: ignore[no-untyped-def]
    """The coordinator with TEST registered under the key the package is signed with."""
    with app.app_context():
        coordination.register_centre(
            None,
            code="TEST",
            name="Servicestelle Test",
            region_code="owl",
            region_name="OWL",
            public_key=CENTRE_KEY,
        )
    return app


def _sealed_for(app: Any, document: Any) -> bytes:
    with app.app_context():
        recipient = keys.public_key()
    return json.dumps(package_crypto.encrypt(json.dumps(document).encode(), recipient)).encode()


@hypothesis.settings(
    FUZZ,
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # Each example is an import with its audit entry: shrinking a failure would take minutes;
    # the unshrunk example is reported as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    data=st.data(),
    resign=st.booleans(),
    raw=st.one_of(st.none(), st.binary(max_size=100)),
)
def test_a_changed_package_is_refused_by_the_import_and_nothing_is_stored(
    coordinator, data, resign, raw
):
    if raw is None:
        file = _sealed_for(coordinator, data.draw(FORGED if resign else CHANGED, label="doc"))
    else:
        file = raw
    with coordinator.app_context():
        stored = db.session.scalar(sa.select(sa.func.count(ImportedPackage.id)))
        try:
            imported = coordination.import_package(None, file)
        except coordination.ImportRefused as exc:
            refusal = exc.refusal
        else:
            # A change that kept the package valid (a count, re-signed): stored, once.
            assert db.session.scalar(sa.select(sa.func.count(ImportedPackage.id))) == stored + 1
            assert imported.public_key == CENTRE_KEY
            return
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count(ImportedPackage.id))) == stored
    last = entries(coordinator, action=AuditEvent.COORDINATOR_PACKAGE_IMPORT.value)[-1]
    assert (last.outcome, json.loads(last.details)["reason"]) == ("failure", refusal.value)


def test_the_valid_package_imports_once(coordinator):
    """The starting point imports (so the refusals above are not the only outcome)."""
    with coordinator.app_context():
        assert (
            coordination.import_package(None, _sealed_for(coordinator, VALID)).period == "2026-Q1"
        )
        with pytest.raises(coordination.ImportRefused) as refused:
            coordination.import_package(None, _sealed_for(coordinator, VALID))
    assert refused.value.refusal is coordination.ImportRefusal.DUPLICATE


@pytest.mark.parametrize(
    ("make_file", "refusal"),
    [
        (lambda app: DEEP, coordination.ImportRefusal.UNREADABLE),
        (
            lambda app: _sealed_for(app, signed(_replace(VALID, ("published_at",), "\ud800"))),
            coordination.ImportRefusal.MALFORMED,
        ),
        (
            lambda app: _sealed_for(app, signed(_replace(VALID, ("centre",), "\ud800"))),
            coordination.ImportRefusal.MALFORMED,
        ),
    ],
    ids=["deep-json", "surrogate-in-signed-field", "surrogate-as-centre"],
)
def test_what_crashed_the_import_is_refused_and_audited(coordinator, make_file, refusal):
    """Found by these tests: a deeply nested file (RecursionError) and a lone surrogate
    (UnicodeEncodeError when hashed or looked up) were crashes, not refusals."""
    with coordinator.app_context():
        with pytest.raises(coordination.ImportRefused) as refused:
            coordination.import_package(None, make_file(coordinator))
        assert db.session.scalar(sa.select(sa.func.count(ImportedPackage.id))) == 0
    assert refused.value.refusal is refusal
    last = entries(coordinator, action=AuditEvent.COORDINATOR_PACKAGE_IMPORT.value)[-1]
    assert (last.outcome, json.loads(last.details)["reason"]) == ("failure", refusal.value)
