"""The made-up content of the seeded cases: no real persons or organisations.

bench/case_seed.py builds every case from these: the sample payload with a few fields
varied, narratives of different lengths (so sealed payloads differ in size), respondent
names from parts, contact notes and interventions.
"""

from __future__ import annotations

from typing import Any

#: A made-up case (no real persons or organisations), in the form a counsellor's form sends.
SAMPLE: dict[str, Any] = {
    "incident": {
        "date": "2025-11-14",
        "date_precision": "genau",
        "place": "Treppenhaus des Wohnhauses",
        "district": "Innenstadt-Nord",
    },
    "classification": {
        "grounds": {"sub": ["antimuslimischer_rassismus", "frau_sexismus"]},
        "life_areas": {"sub": ["bestehendes_wohnverhaeltnis"]},
        "forms": {"codes": ["belaestigung", "ungleichbehandlung", "viktimisierung"]},
        "level": {"codes": ["individuell"]},
        "agg_relevance": {"codes": ["agg_relevant"]},
        "legal_mode": {"codes": ["unmittelbar"]},
        "perspective": {"codes": ["beide"]},
    },
    "respondent": {
        "type": {"codes": ["vermieter_wohnungsunternehmen"]},
        "name": "placeholder",
        "address": "Musterstraße 12, 44135 Beispielstadt (Verwaltung: Postfach 10 20 30)",
    },
    "client": {
        "pseudonym": "placeholder",
        "contact": "Rückruf über die Beratungsstelle, vormittags; keine Post an die Wohnanschrift.",
        "age_band": {"codes": ["27_45"]},
        "gender": {"codes": ["weiblich"]},
        "requester_type": {"codes": ["betroffene_person"]},
        "channel": {"codes": ["persoenlich"]},
        "referral_source": {"codes": ["andere_beratungsstelle"]},
        "language_support": {"codes": ["dolmetschung"]},
    },
    "account": {
        "client_goal": (
            "Die Ratsuchende möchte, dass der Schimmel beseitigt wird und die Abmahnung vom Tisch "
            "ist. Eine Entschuldigung des Hausmeisters wäre ihr wichtig, vor allem aber will sie "
            "in der Wohnung bleiben und nicht als schwierige Mieterin gelten."
        ),
        "narrative": "placeholder",
        "consequences": {"codes": ["psychosozial", "materiell"]},
        "consequences_note": (
            "Schlafprobleme seit dem Vorfall; die Kinder meiden das Treppenhaus. Kosten für "
            "Luftentfeuchter und ein Gutachten (ca. 240 Euro) hat sie selbst getragen."
        ),
    },
}

#: Three made-up accounts; each case takes one, so payloads differ in length (2–4 KB sealed).
NARRATIVES = (
    "Die Ratsuchende wohnt seit vier Jahren mit ihren zwei Kindern in einer Dreizimmerwohnung "
    "im dritten Stock. Seit dem Wechsel der Hausverwaltung im vergangenen Herbst werden ihr "
    "Reparaturen verweigert, die bei anderen Mietparteien im selben Haus zügig erledigt "
    "wurden: Der Schimmel im Kinderzimmer ist seit November gemeldet, ein Handwerker kam "
    "bisher nicht. Im Treppenhaus sprach sie den Hausmeister darauf an. Nach ihrer Schilderung "
    "antwortete er, Leute wie sie sollten froh sein, überhaupt eine Wohnung zu haben, und wer "
    "ein Kopftuch trage, müsse sich nicht wundern. Eine Nachbarin aus dem Erdgeschoss hat das "
    "Gespräch mitgehört und ist bereit, das schriftlich zu bestätigen. Zwei Tage später fand "
    "die Ratsuchende ein Schreiben der Hausverwaltung im Briefkasten, das ihr wegen angeblicher "
    "Lärmbelästigung mit einer Abmahnung droht; andere Mietparteien haben nach ihrem Wissen "
    "kein solches Schreiben erhalten.",
    "Der Ratsuchende bewarb sich auf eine ausgeschriebene Wohnung und erhielt nach dem ersten "
    "Telefonat eine Absage mit der Begründung, die Wohnung sei bereits vergeben. Eine Bekannte "
    "fragte am selben Nachmittag mit einem deutsch klingenden Namen an und bekam sofort einen "
    "Besichtigungstermin für den nächsten Tag. Die Beratungsstelle hat beide Anfragen und die "
    "Antworten dokumentiert.",
    "Die Ratsuchende berichtet von wiederholten Bemerkungen ihres Vorgesetzten über ihre "
    "Herkunft und ihre Religion, zuletzt in einer Teambesprechung vor Kolleginnen und Kollegen. "
    "Sie hat sich an den Betriebsrat gewandt, der eine Beschwerde nach § 13 AGG angeregt hat. "
    "Seitdem werde sie bei der Schichtplanung benachteiligt: Sie erhalte fast nur noch "
    "Wochenenddienste, obwohl sie wegen der Betreuung ihrer Mutter um feste Tage gebeten habe. "
    "Zwei Kolleginnen haben angeboten, die Äußerungen in der Besprechung zu bezeugen. Sie "
    "möchte die Stelle behalten und fürchtet, dass eine Beschwerde ihre Lage verschlechtert. "
    "Gemeinsam wurde ein Gedächtnisprotokoll erstellt und die Frist für die schriftliche "
    "Geltendmachung berechnet. Ein Gespräch mit der Gleichstellungsbeauftragten ist vereinbart; "
    "über weitere Schritte entscheidet sie danach.",
)
DISTRICTS = ("Innenstadt-Nord", "Innenstadt-West", "Hafen", "Eving", "Hörde", "Aplerbeck")
SURNAMES = (
    "Albers", "Brandt", "Claßen", "Demir", "Eckert", "Fuchs", "Gärtner", "Hoffmann", "Ilić",
    "Jansen", "Kaya", "Lorenz", "Möller", "Nowak", "Otto", "Pohl", "Quast", "Richter", "Şahin",
    "Thiel", "Uhlig", "Vogt", "Weber", "Yılmaz", "Zimmer", "Becker", "Krüger", "Schulz",
    "Wagner", "Schäfer", "Koch", "Bauer", "Wolf", "Neumann", "Schwarz", "Braun", "Hofmann",
    "Hartmann", "Lange", "Schmitt",
)  # fmt: skip
RESPONDENT_KINDS = (
    "Hausverwaltung", "Wohnbau", "Immobilien", "Autohaus", "Praxis Dr.", "Bäckerei",
    "Sportverein", "Fahrschule", "Pflegedienst", "Sicherheitsdienst",
)  # fmt: skip
LEGAL_FORMS = ("GmbH", "GmbH & Co. KG", "KG", "e. V.", "AG", "")
FREQUENT_RESPONDENTS = (
    "Jobcenter Beispielstadt",
    "Wohnungsgesellschaft Nord (Beispiel) GmbH",
    "Ausländerbehörde Beispielstadt",
    "Verkehrsbetriebe Beispielstadt AG",
    "Städtisches Klinikum (Beispiel)",
)
CHANNELS = ("persoenlich", "telefon", "email", "video", "brief")
#: Interventions of a case that has any (``seed(interventions=…)``): mostly counselling and
#: out-of-court steps, now and then a court case (the statistics' "went to court").
INTERVENTION_TYPES = (
    "beratung_empowerment", "beratung_empowerment", "gedaechtnisprotokoll_beweissicherung",
    "beschwerdebrief", "stellungnahme_anfordern", "begleitung", "verweisung",
    "agg_beschwerde_13", "geltendmachung_agg", "klage_prozessbegleitung",
)  # fmt: skip
INTERVENTION_DETAILS = (
    "Beschwerdeschreiben an die Hausverwaltung entworfen und mit der Ratsuchenden abgestimmt.",
    "Begleitung zum Gespräch mit der Schulleitung; Protokoll im Anschluss erstellt.",
    "Stellungnahme der Gegenseite angefordert, Frist von zwei Wochen gesetzt.",
)
CONTACT_NOTES = (
    "Erstgespräch; Anliegen und Ziele besprochen, Gedächtnisprotokoll begonnen.",
    "Kurzer Rückruf: Stand der Antwort der Gegenseite, nächster Termin vereinbart.",
    "Gespräch mit Dolmetscherin; Schreiben der Gegenseite gemeinsam gelesen und die möglichen "
    "Schritte mit ihren Risiken erklärt. Die Ratsuchende überlegt bis zum nächsten Termin.",
)
