"""The keyring: versioned key-encryption keys in a passphrase-encrypted file."""

from __future__ import annotations

import json

import pytest

from crypto.envelope import Binding, new_key, unwrap_key, wrap_key
from crypto.errors import KeyringError
from crypto.keyring import FILE_FORMAT, Keyring, PassphraseKdf

CHEAP = PassphraseKdf(time_cost=1, memory_cost_kib=1024, parallelism=1)
PASSPHRASE = b"lange geheime passphrase der stelle"
ROW = Binding("case_keys", "wrapped_key", "1")


@pytest.fixture
def saved(tmp_path):
    ring = Keyring.generate()
    path = tmp_path / "keyring.json"
    ring.save(path, PASSPHRASE, kdf=CHEAP)
    return ring, path


def test_a_saved_keyring_opens_with_its_passphrase_and_holds_no_key_in_clear(saved):
    ring, path = saved
    opened = Keyring.load(path, PASSPHRASE)
    assert opened.keys == ring.keys and opened.primary == ring.primary == 1
    text = path.read_text()
    assert json.loads(text)["format"] == FILE_FORMAT
    assert all(key.hex() not in text for key in ring.keys.values())
    assert path.stat().st_mode & 0o777 == 0o600
    assert repr(ring) == "Keyring(primary=1)"  # key bytes never reach a log line


def test_a_wrong_passphrase_or_a_changed_file_is_refused(saved):
    _, path = saved
    with pytest.raises(KeyringError, match="wrong passphrase"):
        Keyring.load(path, b"falsch")
    document = json.loads(path.read_text())
    document["kdf"]["time_cost"] = 2  # weakening the header breaks the associated data
    path.write_text(json.dumps(document))
    with pytest.raises(KeyringError, match="wrong passphrase"):
        Keyring.load(path, PASSPHRASE)


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"format": "other"}', json.dumps({"format": FILE_FORMAT}), "\udcff"],
)
def test_a_file_that_is_no_keyring_is_refused_in_words(tmp_path, content):
    path = tmp_path / "keyring.json"
    path.write_text(content, errors="surrogateescape")
    path.chmod(0o600)
    with pytest.raises(KeyringError, match="keyring"):
        Keyring.load(path, PASSPHRASE)


def test_a_keyring_others_may_read_or_a_missing_one_is_refused(saved, tmp_path):
    _, path = saved
    path.chmod(0o640)
    with pytest.raises(KeyringError, match="chmod 600"):
        Keyring.load(path, PASSPHRASE)
    with pytest.raises(KeyringError, match="cannot read"):
        Keyring.load(tmp_path / "missing.json", PASSPHRASE)


def test_an_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(KeyringError, match="empty passphrase"):
        Keyring.generate().save(tmp_path / "k.json", b"", kdf=CHEAP)


def test_rotation_makes_a_new_primary_and_old_keys_still_unwrap():
    ring = Keyring.generate()
    data_key = new_key()
    old = wrap_key(ring.key(ring.primary), ring.primary, data_key, ROW)
    assert ring.rotate() == 2 and ring.primary == 2
    assert unwrap_key(ring.key(1), old, ROW) == data_key
    ring.retire(1)
    with pytest.raises(KeyringError, match="not in the keyring"):
        ring.key(1)
    with pytest.raises(KeyringError, match="rotate first"):
        ring.retire(2)
    with pytest.raises(KeyringError, match="not in the keyring"):
        ring.retire(7)


def test_inconsistent_keyrings_are_refused():
    with pytest.raises(KeyringError, match="primary"):
        Keyring({1: new_key()}, primary=2)
    with pytest.raises(KeyringError, match="32 bytes"):
        Keyring({1: b"short"}, primary=1)
    ring = Keyring({2**32 - 1: new_key()}, primary=2**32 - 1)
    with pytest.raises(KeyringError, match="exhausted"):
        ring.rotate()


def test_named_keys_survive_the_file_and_missing_ones_are_added(tmp_path):
    path = tmp_path / "keyring.json"
    keyring = Keyring.generate(named=("blind-index",))
    keyring.save(path, b"passphrase", kdf=CHEAP)
    loaded, kdf = Keyring.load_with_kdf(path, b"passphrase")
    assert kdf == CHEAP
    assert loaded.named_key("blind-index") == keyring.named_key("blind-index")
    with pytest.raises(KeyringError, match="no 'oversight' key"):
        loaded.named_key("oversight")
    assert loaded.add_missing(("blind-index", "oversight")) == ["oversight"]
    assert len(loaded.named_key("oversight")) == 32
    assert loaded.named_key("oversight") != loaded.named_key("blind-index")
    assert loaded.add_missing(("blind-index", "oversight")) == []


def test_a_short_named_key_is_refused():
    with pytest.raises(KeyringError, match="32 bytes"):
        Keyring({1: bytes(32)}, primary=1, named={"blind-index": b"short"})


def test_rotation_never_reuses_an_id_the_caller_still_knows():
    ring = Keyring.generate()
    assert ring.rotate(at_least=7) == 7 and ring.primary == 7
    assert ring.rotate(at_least=3) == 8  # above every id in the ring, whatever the floor


def test_a_stale_temporary_file_is_replaced_not_followed(tmp_path):
    path = tmp_path / "keyring.json"
    target = tmp_path / "elsewhere"
    (tmp_path / "keyring.json.new").symlink_to(target)
    Keyring.generate().save(path, PASSPHRASE, kdf=CHEAP)
    assert not target.exists()  # the symlink was removed, not written through
    assert path.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "keyring.json.new").exists()
