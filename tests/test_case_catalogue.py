"""The code lists of a case: well-formed, complete per DOMAIN.md, and validating selections."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import Babel
from flask_babel import lazy_gettext as _l

from servicestelle import catalogue
from servicestelle.catalogue import (
    AGE_BANDS,
    AGG_GROUPS,
    ALL_LISTS,
    ANDERES,
    CASE_STATUS,
    GROUNDS,
    INTERVENTION_GROUPS,
    INTERVENTIONS,
    KEINE_ANGABE,
    LEVELS,
    LIFE_AREAS,
    REFERRAL_SOURCES,
    RESPONDENT_TYPES,
    SPECIAL_CATEGORY_LISTS,
    Code,
    CodeList,
    by_name,
)

EVERY_LIST = (*ALL_LISTS, AGG_GROUPS, INTERVENTION_GROUPS)
SNAKE_ASCII = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


def all_codes(code_list: CodeList) -> list[str]:
    return [item.code for entry in code_list.entries() for item in (entry, *entry.sub)]


@pytest.fixture
def german() -> Iterator[None]:
    """A request in the application's default language, with the project's catalogues."""
    app = Flask("servicestelle")
    app.config["BABEL_DEFAULT_LOCALE"] = "de"
    Babel(app)
    with app.test_request_context():
        yield


# --- shape of every list ---------------------------------------------------------------


@pytest.mark.parametrize("code_list", EVERY_LIST, ids=lambda code_list: code_list.name)
def test_codes_are_snake_case_ascii_and_unique_within_the_list(code_list):
    codes = all_codes(code_list)
    assert [code for code in codes if not SNAKE_ASCII.fullmatch(code)] == []
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("code_list", ALL_LISTS, ids=lambda code_list: code_list.name)
def test_generic_codes_are_appended_once_at_the_end(code_list):
    codes = [entry.code for entry in code_list.entries()]
    if not code_list.generic:
        assert "anderes" not in codes and "keine_angabe" not in codes
    elif code_list.other:
        assert codes[-2:] == ["anderes", "keine_angabe"]
        assert codes.count("anderes") == codes.count("keine_angabe") == 1
    else:
        assert codes[-1] == "keine_angabe" and codes.count("keine_angabe") == 1
        assert "anderes" not in codes
    assert {"anderes", "keine_angabe"}.isdisjoint(code.code for code in code_list.codes)


def test_age_bands_offer_keine_angabe_once_and_no_anderes():
    assert [entry.code for entry in AGE_BANDS.entries()] == [
        "u18",
        "18_26",
        "27_45",
        "46_64",
        "65_plus",
        "keine_angabe",
    ]


def test_referral_sources_use_anderes_instead_of_sonstiges():
    assert "sonstiges" not in REFERRAL_SOURCES.values()
    assert "anderes" in REFERRAL_SOURCES.values()


def test_closed_technical_lists_have_exactly_their_own_codes():
    assert CASE_STATUS.values() == {"open", "waiting", "closed"}
    assert by_name("date_precision").values() == {"genau", "monat", "jahr", "unbekannt"}
    assert by_name("consent_forms").values() == {"schriftlich", "muendlich"}
    assert by_name("deadline_kinds").values() == {"agg_15_4", "agg_21_5", "arbgg_61b"}


def test_multi_select_lists_are_those_of_domain_md():
    multiple = {code_list.name for code_list in ALL_LISTS if code_list.multiple}
    assert multiple == {
        "grounds",
        "life_areas",
        "forms",
        "interventions",
        "consequences",
        "language_support",
        "consent_purposes",
        "outcomes",  # not in DOMAIN.md: an apology and a changed rule often come together
    }


@pytest.mark.parametrize(
    ("codes", "generic"),
    [
        pytest.param((Code("a", _l("A")), Code("a", _l("B"))), True, id="duplicate-top"),
        pytest.param((Code("a", _l("A"), sub=(Code("a", _l("B")),)),), True, id="sub-as-top"),
        pytest.param((Code("Gross", _l("A")),), True, id="upper-case"),
        pytest.param((Code("grüße", _l("A")),), True, id="non-ascii"),
        pytest.param((Code("a__b", _l("A")),), True, id="double-underscore"),
        pytest.param((Code("anderes", _l("A")),), True, id="generic-listed"),
        pytest.param((Code("keine_angabe", _l("A")),), False, id="generic-in-closed-list"),
        pytest.param(
            (Code("a", _l("A"), sub=(Code("b", _l("B"), sub=(Code("c", _l("C")),)),)),),
            True,
            id="nested-sub",
        ),
    ],
)
def test_a_malformed_list_is_refused_at_import(codes, generic):
    with pytest.raises(ValueError, match="test"):
        CodeList("test", _l("Test"), codes, multiple=True, generic=generic)


def test_codes_compare_by_value_not_by_the_translated_label():
    # A LazyString compares by its translation; a language switch must not change equality.
    assert Code("a", _l("Eins")) == Code("a", _l("Zwei"))
    assert Code("a", _l("Eins")) != Code("a", _l("Eins"), group="agg")


# --- lookups ---------------------------------------------------------------------------


def test_lists_are_found_by_their_constant_names():
    names = [code_list.name for code_list in ALL_LISTS]
    assert len(names) == len(set(names))
    for code_list in ALL_LISTS:
        assert by_name(code_list.name) is code_list
        assert getattr(catalogue, code_list.name.upper()) is code_list
    with pytest.raises(KeyError):
        by_name("agg_groups")


def test_parent_of_a_sub_item():
    assert GROUNDS.parent_of("antisemitismus") == "rassismus_antisemitismus_herkunft"
    assert LIFE_AREAS.parent_of("schule") == "bildung"
    assert GROUNDS.parent_of("bildung") == "sozialer_status"  # same code, other list
    for not_a_sub_item in ("geschlecht", "anderes", "schule"):
        with pytest.raises(KeyError):
            GROUNDS.parent_of(not_a_sub_item)


def test_label_of_top_sub_and_generic_codes():
    assert str(GROUNDS.label_of("geschlecht")) == "Geschlecht"
    assert str(GROUNDS.label_of("antiziganismus")) == "Rassismus gegen Rom*nja/Sinti*zze"
    assert str(GROUNDS.label_of("keine_angabe")) == "Keine Angabe"
    with pytest.raises(KeyError):
        GROUNDS.label_of("wohnen")
    with pytest.raises(KeyError):
        AGE_BANDS.label_of("anderes")


def test_values_and_sub_values_are_separate():
    assert "rassismus_antisemitismus_herkunft" in GROUNDS.values()
    assert "anderes" in GROUNDS.values()
    assert "antisemitismus" not in GROUNDS.values()
    assert "antisemitismus" in GROUNDS.sub_values()
    assert "geschlecht" not in GROUNDS.sub_values()
    assert LEVELS.sub_values() == frozenset()


def test_labels_render_in_german(german):
    assert str(LIFE_AREAS.label_of("aemter_behoerden")) == "Ämter und Behörden"
    assert str(GROUNDS.label_of("antiziganismus")) == "Rassismus gegen Rom*nja/Sinti*zze"
    assert str(CASE_STATUS.label_of("closed")) == "Abgeschlossen"
    assert str(GROUNDS.label) == "Diskriminierungsmerkmale"
    for code_list in ALL_LISTS:
        for code in all_codes(code_list):
            label = str(code_list.label_of(code))
            assert label.strip() and label != code, (code_list.name, code)


# --- validation ------------------------------------------------------------------------


def test_validate_accepts_a_valid_selection():
    assert GROUNDS.validate(["geschlecht", "anderes"], ["antisemitismus", "trans"]) == []
    assert GROUNDS.validate([], ["antisemitismus"]) == []  # the sub-item implies its parent
    assert GROUNDS.validate(["keine_angabe"]) == []
    assert LEVELS.validate(["strukturell"]) == []
    assert LEVELS.validate(["strukturell", "strukturell"]) == []  # one value, sent twice
    assert LEVELS.validate([]) == []  # required or not is the form's decision


@pytest.mark.parametrize(
    ("values", "sub_values"),
    [
        pytest.param(["gibt_es_nicht"], [], id="unknown-top"),
        pytest.param(["geschlecht"], ["gibt_es_nicht"], id="unknown-sub"),
        pytest.param(["antisemitismus"], [], id="sub-item-as-top"),
        pytest.param([], ["geschlecht"], id="top-as-sub-item"),
        pytest.param(["wohnen"], [], id="code-of-another-list"),
    ],
)
def test_validate_rejects_unknown_codes(values, sub_values):
    errors = GROUNDS.validate(values, sub_values)
    assert len(errors) == 1 and "unbekannten Wert" in errors[0]


def test_validate_rejects_two_values_in_a_single_select_list():
    errors = LEVELS.validate(["individuell", "strukturell"])
    assert len(errors) == 1 and "nur einen Wert" in errors[0]
    assert "Diskriminierungsebene" in errors[0]


@pytest.mark.parametrize(
    ("values", "sub_values"),
    [
        pytest.param(["keine_angabe", "geschlecht"], [], id="with-a-top"),
        pytest.param(["keine_angabe"], ["antisemitismus"], id="with-a-sub-item"),
        pytest.param(["keine_angabe", "anderes"], [], id="with-anderes"),
    ],
)
def test_validate_rejects_keine_angabe_with_anything_else(values, sub_values):
    errors = GROUNDS.validate(values, sub_values)
    assert len(errors) == 1 and "Keine Angabe" in errors[0]


def test_validate_reports_each_problem_kind():
    errors = GROUNDS.validate(["keine_angabe", "geschlecht", "gibt_es_nicht"])
    assert len(errors) == 2


def test_with_parents_adds_missing_parents_in_list_order():
    values, sub_values = GROUNDS.with_parents(
        ["anderes", "geschlecht"], ["weltanschauung", "trans", "antisemitismus", "islam"]
    )
    assert values == [
        "rassismus_antisemitismus_herkunft",
        "geschlecht",
        "religion_weltanschauung",
        "anderes",
    ]
    assert sub_values == ["antisemitismus", "trans", "islam", "weltanschauung"]


def test_with_parents_leaves_a_complete_selection_alone():
    assert LIFE_AREAS.with_parents(["bildung", "bildung"], ["schule"]) == (["bildung"], ["schule"])
    assert LEVELS.with_parents(["institutionell"]) == (["institutionell"], [])


def test_with_parents_refuses_unknown_codes():
    with pytest.raises(KeyError):
        GROUNDS.with_parents(["gibt_es_nicht"], [])
    with pytest.raises(KeyError):
        GROUNDS.with_parents([], ["gibt_es_nicht"])


# --- domain facts ----------------------------------------------------------------------


def test_antisemitism_is_reportable_on_its_own_line():
    assert GROUNDS.parent_of("antisemitismus") == "rassismus_antisemitismus_herkunft"
    assert "antisemitismus" not in GROUNDS.values()


def test_every_intervention_has_one_of_the_four_groups():
    groups = {entry.code: entry.group for entry in INTERVENTIONS.codes}
    assert (
        set(groups.values())
        == INTERVENTION_GROUPS.values()
        == {
            "beratung",
            "nicht_rechtlich",
            "rechtlich_aussergerichtlich",
            "gerichtlich",
        }
    )
    assert groups["beratung_empowerment"] == "beratung"
    assert groups["testing"] == "nicht_rechtlich"
    assert groups["geltendmachung_agg"] == "rechtlich_aussergerichtlich"
    assert groups["klage_prozessbegleitung"] == "gerichtlich"
    assert len(groups) == 15  # every code of DOMAIN.md A6


def test_every_ground_maps_onto_the_agg_and_a_top_level_agrees_with_its_sub_items():
    for entry in GROUNDS.codes:
        assert entry.group in AGG_GROUPS.values(), entry.code
        sub_groups = {sub.group for sub in entry.sub}
        assert sub_groups <= AGG_GROUPS.values(), entry.code
        if sub_groups:
            expected = sub_groups.pop() if len(sub_groups) == 1 else "teilweise"
            assert entry.group == expected, entry.code
    by_code = {sub.code: sub.group for entry in GROUNDS.codes for sub in (entry, *entry.sub)}
    assert by_code["ethnische_herkunft"] == "agg"
    assert by_code["staatsangehoerigkeit"] == by_code["sprache"] == "nicht_agg"
    assert by_code["rassismus_antisemitismus_herkunft"] == "teilweise"
    assert by_code["gewicht"] == "nicht_agg"


def test_only_state_bodies_are_flagged_as_state_actors():
    def flagged(code_list: CodeList) -> set[str]:
        return {
            item.code
            for entry in code_list.entries()
            for item in (entry, *entry.sub)
            if item.state_actor
        }

    assert flagged(LIFE_AREAS) == {
        "aemter_behoerden",
        "jobcenter_arbeitsagentur",
        "auslaenderbehoerde",
        "finanzamt",
        "jugendamt",
        "standesamt",
        "ordnungsamt",
        "gewerbeamt",
        "buergeramt",
        "justiz_polizei",
        "justiz",
        "polizei",
        "schule",
        "sonderpaedagogischer_foerderbedarf",
        "hochschule",
    }
    assert flagged(RESPONDENT_TYPES) == {"behoerde", "polizei"}
    for code_list in ALL_LISTS:
        if code_list not in (LIFE_AREAS, RESPONDENT_TYPES):
            assert flagged(code_list) == set(), code_list.name


def test_special_category_lists_exist_and_include_the_grounds():
    assert SPECIAL_CATEGORY_LISTS.issubset(code_list.name for code_list in ALL_LISTS)
    assert {"grounds", "language_support"} <= SPECIAL_CATEGORY_LISTS
    assert "case_status" not in SPECIAL_CATEGORY_LISTS


def test_generic_codes_are_the_shared_constants():
    assert GROUNDS.entries()[-2:] == (ANDERES, KEINE_ANGABE)
    assert (ANDERES.code, KEINE_ANGABE.code) == ("anderes", "keine_angabe")
