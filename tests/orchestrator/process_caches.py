"""Work botocore and moto repeat for every moto account, done once per test process instead.

These tests create a moto account (and with it a boto3 session) per test: the Step Functions
tests must (moto 5.2 runs one execution per account), the others per module. botocore caches
per session, so each new session listed botocore's data folders, parsed the service models,
built the client classes and, in moto, parsed the same state machine definition again; that
was most of the orchestrator suite's time. Each cache below holds only what cannot differ
between sessions of one process, so no test sees a behaviour it would not see without it:

- `_service_models_loaded_once`: what a loader reads (`Loader.load_data_with_path`, a data file's
  JSON) and what it makes of a service model (`Loader.load_service_model`, that JSON with the
  loader's extras merged in), per kind of loader, search path and extras types: one process
  then behaves like one long botocore session, whose loader caches both (`instance_cache`).
  moto's own loader (`moto.core.loaders`, which merges moto's extras into its copy) is another
  kind, so moto's and botocore's models stay apart (a cache keyed by the file alone let moto's
  SQS extras reach every boto3 client).
- `_data_folders_listed_once`: which services and API versions botocore's data folders hold
  (`Loader.list_available_services`, `Loader.list_api_versions`), keyed like the models: the
  folders do not change while the tests run.
- `_client_classes_built_once`: the client class of a service model, per set of
  `creating-client-class` handlers (boto3 registers the same ones in every session; a session
  with other handlers gets a class of its own). The class holds only the operations' methods;
  everything a client needs from its session (model, endpoint, events) is on the instance.
- `_definitions_parsed_once`: moto parses a state machine definition twice per execution
  (CreateStateMachine validates it, the execution worker parses it again): its ANTLR grammar
  plus a Preprocessor that parses every intrinsic function again, ~0.15 s each. moto's
  interpreter keeps an execution's state in that execution's `Environment` (its stack, and its
  heap keyed by each component's `heap_key`: `MaxAttemptsDecl` counts retry attempts there), and
  its evaluation components set their attributes only while being built (`from_state_props`),
  never while evaluating, so one parsed program serves every execution of the same text. A
  definition with syntax errors is never kept: it raises every time.
- `_one_sns_signing_key`: moto signs each message a subscription delivers with an RSA key it
  generates for that subscription (`Subscription.private_key`, ~0.1 s). No test reads the
  signature, so which key signed it changes nothing a test sees.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import botocore.client
import botocore.loaders
import pytest
from moto.sns import models as sns_models
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser


def _once_per_loader_kind(original: Callable[..., Any]) -> Callable[..., Any]:
    """`original` (a Loader method) called once per kind of loader, search path, extras types
    and arguments: what it reads or lists cannot differ between two such loaders."""
    results: dict[tuple[Any, ...], Any] = {}

    def once(self: botocore.loaders.Loader, *arguments: Any, **keywords: Any) -> Any:
        key = (
            type(self),
            tuple(self.search_paths),
            tuple(self.extras_types),
            arguments,
            tuple(sorted(keywords.items())),
        )
        if key not in results:
            results[key] = original(self, *arguments, **keywords)
        return results[key]

    return once


def _loader_methods_once(patch: pytest.MonkeyPatch, *names: str) -> None:
    for name in names:
        original = getattr(botocore.loaders.Loader, name)
        patch.setattr(botocore.loaders.Loader, name, _once_per_loader_kind(original))


def _service_models_loaded_once(patch: pytest.MonkeyPatch) -> None:
    _loader_methods_once(patch, "load_data_with_path", "load_service_model")


def _data_folders_listed_once(patch: pytest.MonkeyPatch) -> None:
    _loader_methods_once(patch, "list_available_services", "list_api_versions")


def _client_classes_built_once(patch: pytest.MonkeyPatch) -> None:
    # Keyed by the model's identity: the value keeps that model alive, so its id is not reused.
    built: dict[tuple[Any, ...], tuple[Any, type]] = {}
    original = botocore.client.ClientCreator._create_client_class

    def create_client_class(
        self: botocore.client.ClientCreator, service_name: str, service_model: Any
    ) -> type:
        aliaser = self._event_emitter  # botocore.hooks.EventAliaser of the session
        event = aliaser._alias_event_name(
            f"creating-client-class.{service_model.service_id.hyphenize()}"
        )
        handlers = tuple(aliaser._emitter._handlers.prefix_search(event))
        description = service_model._service_description
        key = (service_name, id(description), handlers)
        if key not in built or built[key][0] is not description:
            built[key] = (description, original(self, service_name, service_model))
        return built[key][1]

    patch.setattr(botocore.client.ClientCreator, "_create_client_class", create_client_class)


def _definitions_parsed_once(patch: pytest.MonkeyPatch) -> None:
    parsed: dict[str, tuple[Any, Any]] = {}
    original = AmazonStateLanguageParser.parse

    def parse(definition: str) -> tuple[Any, Any]:
        if definition not in parsed:
            parsed[definition] = original(definition)
        return parsed[definition]

    patch.setattr(AmazonStateLanguageParser, "parse", staticmethod(parse))


def _one_sns_signing_key(patch: pytest.MonkeyPatch) -> None:
    key = sns_models.rsa.generate_private_key(public_exponent=65537, key_size=2048)
    patch.setattr(sns_models.Subscription, "private_key", lambda _subscription: key)


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Every cache above, for as long as the context lasts."""
    with pytest.MonkeyPatch.context() as patch:
        for install in (
            _service_models_loaded_once,
            _data_folders_listed_once,
            _client_classes_built_once,
            _definitions_parsed_once,
            _one_sns_signing_key,
        ):
            install(patch)
        yield
