"""Generated contract files match the models, and the spec's example loads."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.events import PAYLOADS
from schemas.export import TOPIC_MAP, rendered
from services.scenarios.shipped import load_shipped


def test_generated_files_are_not_stale() -> None:
    stale = [str(p) for p, text in rendered().items() if not p.exists() or p.read_text() != text]
    assert stale == [], f"run `python -m schemas.export`; stale: {stale}"


def test_every_event_type_is_on_a_documented_topic() -> None:
    documented = {t for _, _, types in TOPIC_MAP.values() for t in types}
    assert documented == set(PAYLOADS)


def test_json_schema_rejects_unknown_fields() -> None:
    schema = json.loads(
        (Path(__file__).parents[2] / "schemas" / "scenario.schema.json").read_text()
    )
    assert schema["additionalProperties"] is False
    assert {"format", "horizon", "slots", "sites"} <= set(schema["required"])


def test_the_spec_example_is_shipped_and_valid() -> None:
    from schemas.scenario import Scenario

    scenario = Scenario.model_validate_json(json.dumps(load_shipped("agder-example")))
    assert scenario.name == "agder-spring-2027-example"
