"""Which modes and models a designer may choose: a mode's models, as the chosen
provider connection sells them (providers/catalogs.py), with their limits
(providers/capabilities.py). The composer, the storyboards, re-runs and Animate all ask
here, so a model a provider does not offer is never on offer anywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generations.models import Mode
from providers import capabilities
from providers.capabilities import ModelSpec
from providers.models import ProviderConnection


def specs_for(mode: Mode, connection: ProviderConnection | None = None) -> list[ModelSpec]:
    """The models a mode offers (on this connection, when given): text to image is
    reference2image with no image."""
    specs = capabilities.models_for(mode.endpoint)
    if mode == Mode.TEXT_TO_IMAGE:
        specs = [spec for spec in specs if spec.image_count[0] == 0]
    if connection is None:
        return specs
    without_images = mode == Mode.TEXT_TO_IMAGE
    return [
        spec
        for spec in specs
        if connection.offer_for(mode.endpoint, spec.model, without_images=without_images)
    ]


def spec_for(
    mode: Mode, model: str | None, connection: ProviderConnection | None = None
) -> ModelSpec:
    """The chosen model's spec, or the mode's first model when it offers no such model
    (every mode's first model when the connection offers none for this mode)."""
    specs = specs_for(mode, connection) or specs_for(mode)
    return next((spec for spec in specs if spec.model == model), specs[0])


def modes_for(connection: ProviderConnection | None) -> list[Mode]:
    """The modes this connection has at least one model for, in the usual order."""
    return [mode for mode in Mode if specs_for(mode, connection)]


def is_experimental(connection: ProviderConnection | None, mode: Mode, model: str) -> bool:
    """Whether this pair is offered only as a staff-enabled experiment."""
    if connection is None:
        return False
    offer = connection.offer_for(mode.endpoint, model, without_images=mode == Mode.TEXT_TO_IMAGE)
    return bool(offer and offer.experimental)


def chosen_connection(
    connections: Sequence[ProviderConnection], value: Any
) -> ProviderConnection | None:
    """The connection a form names (by id) among the active ones, else the first."""
    for connection in connections:
        if str(connection.pk) == str(value or ""):
            return connection
    return connections[0] if connections else None


def as_mode(value: Any) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        return Mode.TEXT_TO_IMAGE
