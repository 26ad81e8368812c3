"""The blind indexes of the case table: find a client pseudonym or a respondent again.

Lengths follow CipherSweet's rule for the expected number of cases over the retention period
(crypto/blind_index.py): with 20,000 cases, 13 bits leave about 2.4 cases per index value, so
an index never singles out one case; a search returns a few extra candidates, which the
counsellor sees as "possible matches". Changing a length, the normalisation or the key needs a
new ``version`` and a rebuild of the column.

Never on a special-category field: the pseudonym and the respondent's name are personal data
but reveal no ground, health, religion or origin by themselves.
"""

from __future__ import annotations

from crypto.blind_index import BlindIndex, bits_for, normalise
from servicestelle import services

#: Cases an instance expects to hold at once (a large centre: ~2,000 a year, kept ~4 years).
EXPECTED_CASES = 20_000
PSEUDONYM = BlindIndex("cases", "pseudonym_index", bits_for(EXPECTED_CASES))
RESPONDENT = BlindIndex("cases", "respondent_index", bits_for(EXPECTED_CASES))
#: The named keyring key all case indexes derive their own key from.
MASTER_KEY_NAME = "blind-index"


def index_value(index: BlindIndex, text: str | None) -> int | None:
    """The index of a value, or None for an empty one (nothing to find)."""
    if text is None or not normalise(text):
        return None
    return index.value(services.keyring().named_key(MASTER_KEY_NAME), text)
