"""Policy configuration reconciled as the Pulumi CLI does (no pack process needed)."""

from __future__ import annotations

import json

import pytest
from offline_plan.policy_client import ENFORCEMENT_LEVELS
from offline_plan.policy_config import (
    PolicyConfigEntry,
    PolicyConfigError,
    PolicyDescription,
    parse_policy_pack_config,
    reconcile,
    unknown_policy_names,
)

SCHEDULES = PolicyDescription(
    name="schedule-frequency-bounds",
    description="Schedules run at most as often as allowed.",
    enforcement_level="mandatory",
    config_schema={
        "properties": {
            "minimumIntervalMinutes": {"type": "integer", "minimum": 1, "default": 60},
            "allowAt": {"type": "boolean", "default": False},
            "zones": {"type": "array", "items": {"type": "string"}},
        },
        "required": [],
    },
)
TAGS = PolicyDescription(
    name="required-tags",
    description="Taggable resources carry the required tags.",
    enforcement_level="advisory",
    config_schema={
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["tags"],
    },
)
WILDCARDS = PolicyDescription(
    name="iam-no-wildcard-actions",
    description="No wildcard actions.",
    enforcement_level="mandatory",
    config_schema=None,
)
POLICIES = [SCHEDULES, TAGS, WILDCARDS]


def level(name: str) -> int:
    return ENFORCEMENT_LEVELS[name]


def test_defaults_come_from_each_policy_and_its_schema() -> None:
    settings = reconcile([SCHEDULES, WILDCARDS], initial={}, given={}, source="defaults")
    assert settings["schedule-frequency-bounds"].enforcement_level == level("mandatory")
    assert dict(settings["schedule-frequency-bounds"].properties) == {
        "minimumIntervalMinutes": 60,
        "allowAt": False,
    }
    assert dict(settings["iam-no-wildcard-actions"].properties) == {}


def test_file_overrides_initial_config_which_overrides_defaults() -> None:
    initial = {"schedule-frequency-bounds": PolicyConfigEntry("advisory", {"allowAt": True})}
    given = parse_policy_pack_config(
        json.dumps({"schedule-frequency-bounds": {"minimumIntervalMinutes": 15}}), "file.json"
    )
    settings = reconcile([SCHEDULES], initial=initial, given=given)
    entry = settings["schedule-frequency-bounds"]
    assert entry.enforcement_level == level("advisory")  # from the initial config
    assert dict(entry.properties) == {"minimumIntervalMinutes": 15, "allowAt": True}


def test_all_applies_first_then_each_policy_entry() -> None:
    given = parse_policy_pack_config(
        json.dumps(
            {
                "all": "disabled",
                "iam-no-wildcard-actions": "mandatory",
                "required-tags": {"tags": ["team"]},
            }
        ),
        "file.json",
    )
    settings = reconcile(POLICIES, initial={}, given=given)
    assert settings["iam-no-wildcard-actions"].enforcement_level == level("mandatory")
    assert settings["schedule-frequency-bounds"].enforcement_level == level("disabled")
    assert settings["required-tags"].enforcement_level == level("disabled")
    assert dict(settings["required-tags"].properties) == {"tags": ["team"]}


def test_every_schema_violation_is_reported_with_policy_and_property() -> None:
    given = parse_policy_pack_config(
        json.dumps({"schedule-frequency-bounds": {"minimumIntervalMinutes": 0, "zones": [3]}}),
        "policy-config.json",
    )
    with pytest.raises(PolicyConfigError) as raised:
        reconcile(POLICIES, initial={}, given=given, source="policy-config.json")
    message = str(raised.value)
    assert "policy-config.json" in message
    assert "schedule-frequency-bounds.minimumIntervalMinutes" in message
    assert "schedule-frequency-bounds.zones.0" in message
    assert "required-tags: 'tags' is a required property" in message


def test_invalid_enforcement_levels_name_the_key_and_the_allowed_values() -> None:
    with pytest.raises(PolicyConfigError) as raised:
        parse_policy_pack_config(
            json.dumps({"all": "strict", "required-tags": {"enforcementLevel": 3}}), "f.json"
        )
    message = str(raised.value)
    assert "f.json: all: 'strict' is not a valid enforcement level" in message
    assert "advisory, mandatory, disabled, remediate" in message
    assert "f.json: required-tags: enforcementLevel 3 must be a string" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"required-tags": 5}', "must be an enforcement level string or an object"),
    ],
)
def test_malformed_files_are_refused(text: str, expected: str) -> None:
    with pytest.raises(PolicyConfigError, match=expected):
        parse_policy_pack_config(text, "f.json")


def test_empty_file_and_empty_entries_mean_no_configuration() -> None:
    assert parse_policy_pack_config("  \n", "f.json") == {}
    assert parse_policy_pack_config('{"required-tags": {}}', "f.json") == {}


def test_unknown_policy_names_are_reported_but_all_is_not() -> None:
    given = parse_policy_pack_config(
        json.dumps({"all": "advisory", "no-such-policy": "mandatory"}), "f.json"
    )
    assert unknown_policy_names(POLICIES, given) == ["no-such-policy"]


@pytest.mark.parametrize(
    "document",
    [
        {"no-such-policy": {"threshold": 3}},
        {"all": {"threshold": 3}},
    ],
    ids=["unknown-name", "all"],
)
def test_an_entry_without_a_level_that_names_no_policy_fails_as_in_the_cli(
    document: dict[str, object],
) -> None:
    # pulumi v3.259.0: applyConfig keeps the entry with an empty level, Configure refuses it.
    given = parse_policy_pack_config(json.dumps(document), "f.json")
    [name] = document
    with pytest.raises(PolicyConfigError) as raised:
        reconcile([SCHEDULES, WILDCARDS], initial={}, given=given, source="f.json")
    message = str(raised.value)
    assert f"{name!r} sets no enforcementLevel" in message
    assert 'invalid enforcement level ""' in message


def test_entries_with_a_level_are_sent_to_the_pack_whatever_their_name() -> None:
    # The CLI sends `all` and unknown names to Configure too; the pack ignores them.
    given = parse_policy_pack_config(
        json.dumps({"all": "advisory", "no-such-policy": {"enforcementLevel": "mandatory"}}),
        "f.json",
    )
    settings = reconcile([SCHEDULES, WILDCARDS], initial={}, given=given)
    assert settings["all"].enforcement_level == level("advisory")
    assert settings["no-such-policy"].enforcement_level == level("mandatory")
    assert settings["iam-no-wildcard-actions"].enforcement_level == level("advisory")
