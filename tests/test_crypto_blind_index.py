"""Blind indexes: equal values meet, the value itself is never stored, the length is bounded."""

from __future__ import annotations

import math

import pytest

from crypto.blind_index import BlindIndex, bits_for, coincidences, normalise
from crypto.envelope import new_key

RESPONDENT = BlindIndex("respondents", "name_index", bits=12)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Müller GmbH", "mueller gmbh"),
        ("Straße", "STRASSE"),
        ("Jobcenter  Dortmund-Nord", "jobcenter dortmund nord"),
        ("ｆｕｌｌwidth", "fullwidth"),  # NFKC
    ],
)
def test_spellings_of_one_name_meet(one, other):
    master = new_key()
    assert normalise(one) == normalise(other)
    assert RESPONDENT.value(master, one) == RESPONDENT.value(master, other)


def test_indexes_are_keyed_and_domain_separated():
    master = new_key()
    other_master = new_key()
    other_column = BlindIndex("respondents", "address_index", bits=12)
    values = {
        RESPONDENT.value(master, f"Vermieter {n}") for n in range(200)
    }  # 200 names in 4096 slots: nearly all distinct
    assert len(values) > 180
    assert RESPONDENT.key(master) != other_column.key(master)
    assert RESPONDENT.key(master) != BlindIndex("respondents", "name_index", 12, version=2).key(
        master
    )
    names = [f"Vermieter {n}" for n in range(200)]
    under_other_key = [RESPONDENT.value(other_master, name) for name in names]
    differing = sum(
        a != b
        for a, b in zip(under_other_key, [RESPONDENT.value(master, n) for n in names], strict=True)
    )
    assert differing > 180  # without the key, the index of a known name cannot be computed


@pytest.mark.parametrize("rows", [4, 50, 1_000, 50_000, 1_000_000])
def test_the_length_leaves_between_two_and_sqrt_r_coincidences(rows):
    bits = bits_for(rows)
    assert 2 <= coincidences(rows, bits) < max(math.sqrt(rows), 4)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="4 expected rows"):
        bits_for(3)
    with pytest.raises(ValueError, match="1 to 256"):
        BlindIndex("t", "c", bits=0)
    with pytest.raises(ValueError, match="32 bytes"):
        RESPONDENT.value(b"short", "x")
