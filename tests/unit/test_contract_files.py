"""Generated contract files match the models, and the spec's example loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.export import PAYLOADS, TOPIC_MAP, rendered
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


@pytest.mark.parametrize(
    "kind, what",
    [
        ("equipment-unavailable", {"equipment": "u"}),
        ("container-broken", {"container": "c"}),
        ("instructor-unavailable", {"staff": "s"}),
        ("site-closed", {"site": "x"}),
        ("pad-unavailable", {"site": "x"}),
    ],
)
def test_a_disruption_window_ending_before_it_starts_names_to(kind: str, what: dict) -> None:
    from pydantic import ValidationError

    from schemas.common import describe_errors
    from schemas.disruptions import DisruptionList

    body = {"kind": kind, **what, "from": "2027-02-03", "to": "2027-02-01"}
    with pytest.raises(ValidationError) as caught:
        DisruptionList.model_validate_json(json.dumps({"disruptions": [body]}))
    (error,) = describe_errors(caught.value)
    assert error["field"] == f"disruptions[0].{kind}.to"
    assert "before 'from'" in error["message"]
