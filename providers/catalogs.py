"""What each kind of provider offers: the (endpoint, model) pairs its documents show.

A connection offers its kind's catalog and nothing else, unless staff enable an
undocumented pair on that connection as an experiment (`ProviderConnection.
experimental`), which the composer then marks with a warning. Every row names its
source (the seeds in /work/shared/seeds, or a section of vidu-api.md); a pair with no
source is not offered, however likely it looks.

The limits of each model (durations, resolutions, ...) stay in `capabilities.SPECS`;
this module only says who sells which.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from providers.base import Endpoint
from providers.capabilities import SPECS

R2I = Endpoint.REFERENCE2IMAGE
R2V = Endpoint.REFERENCE2VIDEO
I2V = Endpoint.IMG2VIDEO
T2V = Endpoint.TEXT2VIDEO
SE2V = Endpoint.START_END2VIDEO


@dataclass(frozen=True)
class Offer:
    """One model on one endpoint, as a provider offers it.

    `without_images` says whether reference2image may be sent with no image (text to
    image); the model's spec must allow it too.
    """

    endpoint: Endpoint
    model: str
    source: str
    without_images: bool = True
    experimental: bool = False

    @property
    def key(self) -> str:
        return pair_key(self.endpoint, self.model)


def pair_key(endpoint: Endpoint | str, model: str) -> str:
    """How a pair is stored in a connection's `experimental` list: "img2video:viduq2"."""
    return f"{Endpoint(endpoint).value}:{model}"


_SECTIONS = {
    R2I: "vidu-api.md §9.1 [V-r2i]",
    R2V: "vidu-api.md §9.2 [S002, CN-copy]",
    I2V: "vidu-api.md §9.3 [S004, CN-copy]",
    T2V: "vidu-api.md §9.4 [V-t2v]",
    SE2V: "vidu-api.md §9.5 [CN-copy]",
}
# Vidu's own API documents every model we have limits for.
OFFICIAL = tuple(Offer(endpoint, model, _SECTIONS[endpoint]) for (endpoint, model) in SPECS)

POWERTOKENS = (
    Offer(R2I, "viduq2", "seed 000 (PowerTokens reference-to-image: viduq2 only)"),
    Offer(R2V, "viduq3", "seed 002 (PowerTokens viduq3 reference-to-video)"),
    Offer(I2V, "viduq3-pro", "seed 004 (PowerTokens viduq3-pro image-to-video)"),
    Offer(I2V, "viduq3-pro-fast", "PT viduq3-pro-fast-image-to-video, vidu-api.md §10.1"),
    Offer(T2V, "viduq3-turbo", "PT viduq3-turbo-text-to-video, vidu-api.md §10.1"),
    Offer(SE2V, "viduq3-turbo", "PT viduq3-turbo-start-end-to-video, vidu-api.md §10.1, §9.5"),
)

# KKIAI's reference-to-video page (docs.kkiai.com create-reference-to-video-task,
# [KK-r2v] in vidu-api.md §9.2) lists these models with subjects; viduq3-mix is not
# offered because it takes no subjects and its other mode is not modelled.
KKIAI = (
    Offer(R2I, "viduq2", "seed 001 (KKIAI reference-to-image; viduq2 also text-to-image)"),
    Offer(R2I, "viduq1", "seed 001 (KKIAI reference-to-image; viduq1 needs 1–7 images)"),
    *(
        Offer(R2V, model, "KKIAI create-reference-to-video-task [KK-r2v], vidu-api.md §9.2")
        for model in ("viduq3", "viduq3-turbo", "viduq2-pro", "viduq2", "viduq1", "vidu2.0")
    ),
)

# Vtrix names each pair with a model id; only ids found in a source are offered.
# `viduq2_reference2image` has its own page (seed 003), whose error table refuses a
# request without images (008023001), so no text to image. The other three are ids
# Vtrix's docs list (vidu-api.md §10.3) whose names say the pair.
VTRIX = (
    Offer(R2I, "viduq2", "seed 003: viduq2_reference2image", without_images=False),
    Offer(I2V, "viduq2-turbo", "viduq2_turbo_img2video, listed in vidu-api.md §10.3"),
    Offer(SE2V, "viduq2-turbo", "viduq2_turbo_start_end, listed in vidu-api.md §10.3"),
    Offer(R2V, "viduq2-pro", "viduq2_pro_reference, listed in vidu-api.md §10.3"),
)

CATALOGS: dict[str, tuple[Offer, ...]] = {
    "simulator": OFFICIAL,
    "vidu": OFFICIAL,
    "powertokens": POWERTOKENS,
    "kkiai": KKIAI,
    "vtrix": VTRIX,
}


def documented(kind: str) -> tuple[Offer, ...]:
    return CATALOGS.get(kind, ())


def undocumented(kind: str) -> list[tuple[str, str]]:
    """(key, label) of the pairs staff may enable on a connection of this kind as an
    experiment: every pair we have limits for that the kind does not document. Vtrix
    has none: it needs a model id, and we send only ids found in a source."""
    if kind == "vtrix":
        return []
    known = {offer.key for offer in documented(kind)}
    return [
        (pair_key(endpoint, model), f"{model} · {endpoint.value}")
        for endpoint, model in SPECS
        if pair_key(endpoint, model) not in known
    ]


def offers(kind: str, experimental: Iterable[str] = ()) -> list[Offer]:
    """What a connection of this kind offers: its catalog, then enabled experiments."""
    catalog = list(documented(kind))
    known = {offer.key for offer in catalog}
    allowed = {key for key, _label in undocumented(kind)}
    for key in experimental:
        if key in allowed and key not in known:
            endpoint, _, model = key.partition(":")
            catalog.append(Offer(Endpoint(endpoint), model, "enabled by staff", experimental=True))
    return catalog
