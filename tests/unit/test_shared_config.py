"""retraining_shared.config: every problem at once, in one readable message, before any resource."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterable
from typing import Any, Literal

import pulumi
import pytest
from pulumi.runtime.config import set_all_config
from pydantic import SecretStr, field_validator
from retraining_shared.config import (
    ConfigBool,
    ConfigError,
    ConfigModel,
    EnvironmentName,
    ProblemList,
    TeamName,
    UserTags,
    format_key,
    invalid,
    load_config,
    render_value,
    setting,
)

PROJECT = "demo"


class Member(ConfigModel):
    email: str = setting(description="Where to write.", allowed="an address with @")
    role: Literal["owner", "reader"] = setting("reader", description="Access.")

    @field_validator("email")
    @classmethod
    def _has_at(cls, value: str) -> str:
        if "@" not in value:
            raise invalid("is not an address", "an address with @")
        return value


class Team(ConfigModel):
    members: list[Member] = setting(description="People.", min_length=1)
    budget: int = setting(10, description="Budget.", allowed="1-100", ge=1, le=100)


class DemoSettings(ConfigModel):
    environment: EnvironmentName = setting(description="Environment.")
    teams: dict[TeamName, Team] = setting(description="Teams.", min_length=1)
    enabled: ConfigBool = setting(True, description="Switch.", allowed="true, false")
    replicas: int = setting(2, description="Count.", allowed="1-5", ge=1, le=5)
    token: SecretStr | None = setting(None, description="A secret.")
    tags: UserTags = setting({}, description="Tags.")


def load(
    values: dict[str, Any],
    *,
    secret_keys: Iterable[str] = (),
    checks: Callable[[DemoSettings, ProblemList], None] | None = None,
) -> DemoSettings:
    """Run load_config as a stack program would, in a fresh Pulumi config context."""

    def run() -> DemoSettings:
        set_all_config(
            {
                f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value)
                for key, value in values.items()
            },
            [f"{PROJECT}:{key}" for key in secret_keys],
        )
        return load_config(
            DemoSettings, project=PROJECT, config=pulumi.Config(PROJECT), checks=checks
        )

    return contextvars.Context().run(run)


VALID: dict[str, Any] = {
    "environment": "dev",
    "teams": {"fraud": {"members": [{"email": "a@example.com", "role": "owner"}]}},
}


def test_valid_config_is_parsed_from_the_strings_the_cli_passes() -> None:
    settings = load({**VALID, "enabled": "false", "replicas": "3", "token": "s3cret"})
    assert settings.environment == "dev"
    assert settings.enabled is False
    assert settings.replicas == 3
    assert settings.teams["fraud"].members[0].role == "owner"
    assert settings.teams["fraud"].budget == 10
    assert settings.token is not None
    assert settings.token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_defaults_apply_when_keys_are_unset() -> None:
    settings = load(VALID)
    assert settings.enabled is True
    assert settings.replicas == 2
    assert settings.token is None
    assert settings.tags == {}


def test_every_problem_is_listed_in_one_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            {
                "environment": "Production",
                "teams": {
                    "ml-ops": {"members": [{"email": "a@example.com"}]},
                    "fraud": {"members": [{"email": "nobody", "role": "admin"}], "budget": 0},
                    "churn": {"members": []},
                },
                "enabled": "sometimes",
                "replicas": "many",
                "replica": "3",
            }
        )
    error = caught.value
    lines = str(error).splitlines()
    assert lines[0] == "Invalid stack configuration: 9 problems; no resources were registered."
    assert len(error.problems) == 9 == len(lines) - 1
    by_key = {problem.key: problem for problem in error.problems}
    assert set(by_key) == {
        "demo:environment",
        "demo:teams.ml-ops",
        "demo:teams.fraud.members[0].email",
        "demo:teams.fraud.members[0].role",
        "demo:teams.fraud.budget",
        "demo:teams.churn.members",
        "demo:enabled",
        "demo:replicas",
        "demo:replica",
    }
    assert str(by_key["demo:teams.fraud.members[0].email"]) == (
        'demo:teams.fraud.members[0].email: is not an address (got "nobody"; '
        "allowed: an address with @)"
    )
    assert by_key["demo:teams.fraud.members[0].role"].allowed == "'owner' or 'reader'"
    assert by_key["demo:teams.fraud.budget"].problem == "must be at least 1"
    assert by_key["demo:teams.fraud.budget"].allowed == "1-100"
    assert by_key["demo:enabled"].problem == "must be true or false"
    assert by_key["demo:replicas"].problem == "must be a whole number"
    assert "team name" in by_key["demo:teams.ml-ops"].problem
    assert "did you mean 'replicas'?" in by_key["demo:replica"].problem
    assert "replicas" in (by_key["demo:replica"].allowed or "")


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load({})
    assert [str(p) for p in caught.value.problems] == [
        "demo:environment: is required (got nothing)",
        "demo:teams: is required (got nothing)",
    ]


def test_unknown_nested_keys_list_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load({**VALID, "teams": {"fraud": {"members": [{"email": "a@b.c"}], "budgte": 5}}})
    (problem,) = caught.value.problems
    assert problem.key == "demo:teams.fraud.budgte"
    assert problem.allowed == "members, budget"


def test_a_structured_key_that_is_not_json_is_reported_once() -> None:
    with pytest.raises(ConfigError) as caught:
        load({"environment": "dev", "teams": "fraud"})
    (problem,) = caught.value.problems
    assert problem.key == "demo:teams"
    assert "structured value" in problem.problem


def test_secret_values_never_appear_in_messages() -> None:
    with pytest.raises(ConfigError) as caught:
        load(
            {**VALID, "environment": "Hunter2Hunter2", "token": 42},
            secret_keys=["environment", "token"],
        )
    message = str(caught.value)
    assert "Hunter2" not in message
    assert "got [secret]" in message


def test_cross_field_checks_run_only_on_valid_settings() -> None:
    calls: list[DemoSettings] = []

    def checks(settings: DemoSettings, problems: ProblemList) -> None:
        calls.append(settings)
        if settings.replicas > len(settings.teams):
            problems.add("replicas", "exceeds the number of teams", settings.replicas, "<= teams")

    with pytest.raises(ConfigError) as caught:
        load({**VALID, "replicas": "3"}, checks=checks)
    assert str(caught.value.problems[0]) == (
        "demo:replicas: exceeds the number of teams (got 3; allowed: <= teams)"
    )
    with pytest.raises(ConfigError):
        load({**VALID, "environment": "BAD"}, checks=checks)
    assert len(calls) == 1


def test_config_error_is_a_pulumi_run_error_printed_without_traceback() -> None:
    error = ConfigError(
        [], context="Configuration does not match stack organization/network-iam/dev"
    )
    assert isinstance(error, pulumi.RunError)
    assert str(error).startswith("Configuration does not match stack")


def test_render_value_is_short_and_json_like() -> None:
    assert render_value("dev") == '"dev"'
    assert render_value({"a": [1, True]}) == '{"a": [1, true]}'
    assert render_value("x" * 500).endswith("…")
    assert len(render_value("x" * 500)) == 120
    assert render_value(SecretStr("pw")) == "[secret]"


def test_format_key_uses_the_pulumi_config_path_syntax() -> None:
    assert format_key("p", ["teams", "fraud", "subscriptions", 0, "endpoint"]) == (
        "p:teams.fraud.subscriptions[0].endpoint"
    )
    assert format_key("p", ["tags", "cost.center"]) == 'p:tags["cost.center"]'


@pytest.mark.parametrize(("raw", "parsed"), [("true", True), ("false", False), (True, True)])
def test_booleans_are_read_as_pulumi_reads_them(raw: Any, parsed: bool) -> None:
    values = {**VALID, "enabled": raw if isinstance(raw, str) else json.dumps(raw)}
    assert load(values).enabled is parsed


@pytest.mark.parametrize("raw", ["yes", "1", "True ", "on"])
def test_only_true_and_false_are_booleans(raw: str) -> None:
    with pytest.raises(ConfigError, match="demo:enabled: must be true or false"):
        load({**VALID, "enabled": raw})
