"""Fuzz target: the district-profile CSV import (centres/profile_import.parse).

Input: the uploaded file's bytes, checked against a small district register. Declared:
``ProfileFileError`` (its problems in German, line by line). Invariants: every imported row
is a code of the register, once, with a population from 0 to ``MAX_COUNT``; percentages lie
between 0 and 100; counts are whole numbers from 0.
"""

from __future__ import annotations

import atheris

with atheris.instrument_imports(include=["servicestelle.centres.profile_import"]):
    from servicestelle.centres import profile_import
    from servicestelle.centres.profile_import import ProfileFileError

from fuzz.common import main

REGISTER = {
    "innenstadt_nord": "Innenstadt-Nord",
    "huckarde": "Huckarde",
    "loettringhausen": "Löttringhausen",
}


def seeds() -> dict[str, bytes]:
    return {
        "semicolons": (
            b"code;name;einwohner;anteil_auslaendisch;einwohner_ab_65\n"
            b"innenstadt_nord;Innenstadt-Nord;58.123;41,7;7.001\n"
            b"huckarde;huckarde;36.400;12,5;8.000\n"
        ),
        "commas-bom": (
            "\ufeffCode,Stadtteil,Bevölkerung,sgb2_quote\r\n"
            'loettringhausen,"Loettringhausen",1234,23.45\r\n'
        ).encode(),
        "quoted": b'code;name;einwohner\n"huckarde";"Huck;arde";"1.000"\n\n',
        "problems": b"code;name;einwohner;arbeitslosenquote\nx;y;-1;101\nhuckarde;Huckarde;1,5;\n",
    }


def _check(parsed: profile_import.Parsed) -> None:
    codes = [row.code for row in parsed.rows]
    if len(set(codes)) != len(codes) or not set(codes) <= set(REGISTER):
        raise AssertionError("an imported row is not one register code, once")
    for row in parsed.rows:
        if not 0 <= row.population <= profile_import.MAX_COUNT:
            raise AssertionError("an implausible population was imported")
        for column, value in row.extra.items():
            kind = profile_import.OPTIONAL_COLUMNS[column].kind
            if kind == "percent" and not 0 <= value <= 100:
                raise AssertionError("a percentage outside 0–100 was imported")
            if kind == "count" and (value < 0 or value != value.to_integral_value()):
                raise AssertionError("a count that is no whole number was imported")


def test_one_input(data: bytes) -> None:
    try:
        parsed = profile_import.parse(data, REGISTER)
    except ProfileFileError:
        return
    _check(parsed)


if __name__ == "__main__":
    main(test_one_input, seeds)
