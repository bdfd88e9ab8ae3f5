"""Offline plan: preview the monorepo's stacks under Pulumi's mock runtime and judge them with the
policy pack over its own gRPC protocol, with no Pulumi CLI and no cloud account."""
