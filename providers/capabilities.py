"""What each Vidu model accepts: the one source of truth for limits and defaults.

The studio's validator, its forms and the simulator all read `SPECS`. Figures come
from /work/shared/vidu-api.md §9 and the seed pages (the seeds win where they
disagree). Where the docs are silent or contradict each other we take the reading
that accepts more, and say so next to the entry.

Not modelled: reference2video's older "non-subject" mode (flat `images`), and so
`viduq3-mix`, which does not support subjects yet [S002] and whose limits in
non-subject mode are not documented.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from providers.base import Endpoint

AUDIO_TYPES = ("all", "speech_only", "sound_effect_only")
MOVEMENT_AMPLITUDES = ("auto", "small", "medium", "large")
STYLES = ("general", "anime")
RECOMMENDED_PROMPT_CREDITS = 10  # "each task will consume an additional 10 credits" [S004]


class UnknownModel(LookupError):
    """The model is not offered on that endpoint (or the id is not one we know)."""


@dataclass(frozen=True)
class ModelSpec:
    """The limits and defaults of one model on one endpoint.

    Ranges are inclusive `(min, max)` pairs. An empty `aspect_ratios` means the
    endpoint takes no aspect ratio (the start frame decides). Flags named after a
    parameter (`movement_amplitude`, `bgm`) say whether it has an effect; Vidu
    accepts and ignores it elsewhere on video endpoints.
    """

    endpoint: Endpoint
    model: str
    is_video: bool
    image_count: tuple[int, int]
    prompt_max: int
    prompt_required: bool
    expected_seconds: int  # rough time to a result, for the first poll
    # Credits per image (image endpoints) or per second of video, by resolution.
    credit_rates: tuple[tuple[str, float], ...]
    subject_count: tuple[int, int] = (0, 0)
    images_per_subject: int = 3
    subject_images_total: tuple[int, int] = (1, 7)
    durations: tuple[int, ...] = ()
    default_duration: int | None = None
    resolutions: tuple[str, ...] = ()
    default_resolution: str | None = None
    # Durations whose resolutions differ from `resolutions`, e.g. vidu2.0 at 8 s.
    resolution_rules: tuple[tuple[int, tuple[str, ...]], ...] = ()
    aspect_ratios: tuple[str, ...] = ()
    default_aspect_ratio: str | None = None
    any_aspect_ratio: bool = False  # also accepts any other "W:H"
    audio: bool = False
    audio_default: bool = False
    audio_types: tuple[str, ...] = ()
    # None: no off-peak mode; True/False: off-peak only with audio on/off.
    off_peak_audio: bool | None = None
    movement_amplitude: bool = False
    bgm: bool = False
    styles: tuple[str, ...] = ()
    recommended_prompt: bool = False  # accepts `is_rec`

    @property
    def takes_subjects(self) -> bool:
        return self.subject_count[1] > 0

    def resolutions_for(self, duration: int | None) -> tuple[str, ...]:
        """The resolutions allowed at this duration (None: the default duration)."""
        if duration is None:
            duration = self.default_duration
        for rule_duration, resolutions in self.resolution_rules:
            if rule_duration == duration:
                return resolutions
        return self.resolutions

    def default_resolution_for(self, duration: int | None) -> str | None:
        """The default resolution, or the first allowed one when it is not allowed then."""
        allowed = self.resolutions_for(duration)
        if self.default_resolution in allowed or not allowed:
            return self.default_resolution
        # Not documented: vidu2.0 at 8 s has only 720p, so that must be what it uses.
        return allowed[0]


def _seconds(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


def _is_q3(model: str) -> bool:
    return model.startswith("viduq3")


R540_1080 = ("540p", "720p", "1080p")
R720_1080 = ("720p", "1080p")
R1080 = ("1080p",)
VIDEO_RATIOS = ("16:9", "9:16", "1:1")
VIDEO_RATIOS_WIDE = ("16:9", "9:16", "1:1", "3:4", "4:3")
IMAGE_RATIOS_Q1 = ("16:9", "9:16", "1:1", "3:4", "4:3", "auto")
IMAGE_RATIOS_Q2 = ("16:9", "9:16", "1:1", "3:4", "4:3", "21:9", "2:3", "3:2", "auto")

# Credit rates are an ESTIMATE, for showing a cost before submitting: Vidu's pricing
# page was not available. They reproduce the figures seen in the docs: viduq2
# reference2image 6 credits [S001] (S000 shows 2 from another reseller; we keep the
# higher one so budgets err on the safe side), viduq3 reference2video 1080p 8 s
# "15" [S002] and viduq3-pro img2video 1080p 5 s 10 [S004] (1.875/s, rounded up).
# The other models are scaled by how their tiers usually compare, not measured.
RATES_IMAGE_Q2 = (("1080p", 6.0), ("2K", 6.0), ("4K", 10.0))
RATES_IMAGE_Q1 = (("1080p", 6.0),)
RATES_Q3 = (("540p", 1.0), ("720p", 1.25), ("1080p", 1.875))
RATES_Q3_FAST = (("540p", 0.6), ("720p", 0.75), ("1080p", 1.25))
RATES_Q2 = (("540p", 0.5), ("720p", 0.75), ("1080p", 1.25))
RATES_Q2_FAST = (("540p", 0.4), ("720p", 0.5), ("1080p", 0.8))
RATES_Q1 = (("1080p", 2.0),)
RATES_V2 = (("360p", 0.5), ("720p", 1.25), ("1080p", 2.5))


def _video(
    endpoint: Endpoint,
    model: str,
    *,
    durations: tuple[int, ...],
    default_duration: int,
    resolutions: tuple[str, ...],
    default_resolution: str,
    credit_rates: tuple[tuple[str, float], ...],
    expected_seconds: int,
    audio: bool,
    image_count: tuple[int, int] = (0, 0),
    prompt_required: bool = True,
    **extra: Any,
) -> ModelSpec:
    """A video spec with the rules every video endpoint shares filled in."""
    q3 = _is_q3(model)
    return ModelSpec(
        endpoint=endpoint,
        model=model,
        is_video=True,
        image_count=image_count,
        # 5000 is the q3 pages' figure; older pages said 2000. The endpoint docs now
        # say 5000 for every model, so we allow it everywhere.
        prompt_max=5000,
        prompt_required=prompt_required,
        durations=durations,
        default_duration=default_duration,
        resolutions=resolutions,
        default_resolution=default_resolution,
        audio=audio,
        audio_default=audio and q3,
        audio_types=AUDIO_TYPES if audio else (),
        # "q3 supports off-peak when audio is true; q2, q1 and 2.0 when it is false"
        off_peak_audio=q3,
        movement_amplitude=model.startswith(("viduq1", "vidu2.0")),
        bgm=not q3,
        credit_rates=credit_rates,
        expected_seconds=expected_seconds,
        **extra,
    )


def _reference2video(
    model: str, *, subject_count: tuple[int, int] = (1, 7), **kwargs: Any
) -> ModelSpec:
    return _video(
        Endpoint.REFERENCE2VIDEO,
        model,
        subject_count=subject_count,
        audio=True,  # every model has `audio`; only q3 defaults it on [S002]
        aspect_ratios=VIDEO_RATIOS,
        default_aspect_ratio="16:9",
        **kwargs,
    )


def _frames_video(endpoint: Endpoint, model: str, **kwargs: Any) -> ModelSpec:
    """img2video and start-end2video: frames in, no aspect ratio, optional prompt."""
    return _video(
        endpoint,
        model,
        image_count=(1, 1) if endpoint == Endpoint.IMG2VIDEO else (2, 2),
        prompt_required=False,
        recommended_prompt=True,
        **kwargs,
    )


def _text2video(model: str, **kwargs: Any) -> ModelSpec:
    return _video(
        Endpoint.TEXT2VIDEO,
        model,
        audio=_is_q3(model),  # "audio: q3 only"
        default_aspect_ratio="16:9",
        styles=STYLES,
        **kwargs,
    )


I2V = Endpoint.IMG2VIDEO
SE2V = Endpoint.START_END2VIDEO
Q3_DURATIONS = {"durations": _seconds(1, 16), "default_duration": 5}
Q2_DURATIONS = {"durations": _seconds(1, 10), "default_duration": 5}
Q1_DURATIONS = {"durations": (5,), "default_duration": 5}
V2_FRAMES = {
    "durations": (4, 8),
    "default_duration": 4,
    "resolutions": ("360p", "720p", "1080p"),
    "default_resolution": "360p",
    "resolution_rules": ((8, ("720p",)),),
    "credit_rates": RATES_V2,
    "expected_seconds": 60,
}
Q3_RES = {"resolutions": R540_1080, "default_resolution": "720p"}
Q3_FAST_RES = {"resolutions": R720_1080, "default_resolution": "720p"}
Q1_RES = {"resolutions": R1080, "default_resolution": "1080p"}


def _frames_family(endpoint: Endpoint, q2_durations: dict[str, Any]) -> list[ModelSpec]:
    """img2video and start-end2video offer the same models with the same resolutions."""
    # q2-* defaults are not documented for these endpoints; 720p as on every other q2 page.
    # Audio is documented for img2video on every model and for start-end2video on q3 only.
    q2_audio = endpoint == I2V
    specs = [
        _frames_video(
            endpoint,
            "viduq3-pro",
            **Q3_DURATIONS,
            **Q3_RES,
            audio=True,
            credit_rates=RATES_Q3,
            expected_seconds=120,
        ),
        _frames_video(
            endpoint,
            "viduq3-turbo",
            **Q3_DURATIONS,
            **Q3_RES,
            audio=True,
            credit_rates=RATES_Q3_FAST,
            expected_seconds=60,
        ),
        _frames_video(
            endpoint,
            "viduq2-pro-fast",
            **q2_durations,
            **Q3_FAST_RES,
            audio=q2_audio,
            credit_rates=RATES_Q2_FAST,
            expected_seconds=45,
        ),
        _frames_video(
            endpoint,
            "viduq2-pro",
            **q2_durations,
            **Q3_RES,
            audio=q2_audio,
            credit_rates=RATES_Q2,
            expected_seconds=90,
        ),
        _frames_video(
            endpoint,
            "viduq2-turbo",
            **q2_durations,
            **Q3_RES,
            audio=q2_audio,
            credit_rates=RATES_Q2_FAST,
            expected_seconds=60,
        ),
        _frames_video(
            endpoint,
            "viduq1",
            **Q1_DURATIONS,
            **Q1_RES,
            audio=q2_audio,
            credit_rates=RATES_Q1,
            expected_seconds=120,
        ),
        _frames_video(
            endpoint,
            "viduq1-classic",
            **Q1_DURATIONS,
            **Q1_RES,
            audio=q2_audio,
            credit_rates=RATES_Q1,
            expected_seconds=120,
        ),
        _frames_video(endpoint, "vidu2.0", **V2_FRAMES, audio=q2_audio),
    ]
    if endpoint == I2V:
        # viduq3-pro-fast is listed for img2video only [PT-*].
        specs.insert(
            2,
            _frames_video(
                I2V,
                "viduq3-pro-fast",
                **Q3_DURATIONS,
                **Q3_FAST_RES,
                audio=True,
                credit_rates=RATES_Q3_FAST,
                expected_seconds=45,
            ),
        )
    return specs


_ALL_SPECS: list[ModelSpec] = [
    ModelSpec(
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq2",
        is_video=False,
        image_count=(0, 7),  # 0 images = text-to-image
        prompt_max=2000,
        prompt_required=True,
        resolutions=("1080p", "2K", "4K"),
        default_resolution="1080p",
        aspect_ratios=IMAGE_RATIOS_Q2,
        default_aspect_ratio="16:9",
        credit_rates=RATES_IMAGE_Q2,
        expected_seconds=30,
    ),
    ModelSpec(
        endpoint=Endpoint.REFERENCE2IMAGE,
        model="viduq1",
        is_video=False,
        image_count=(1, 7),
        prompt_max=2000,
        prompt_required=True,
        resolutions=R1080,
        default_resolution="1080p",
        # KKIAI lists `auto` after both models' ratios; we read it as applying to both.
        aspect_ratios=IMAGE_RATIOS_Q1,
        default_aspect_ratio="16:9",
        credit_rates=RATES_IMAGE_Q1,
        expected_seconds=30,
    ),
    # "q2, q3 models support any aspect ratio" [S002]: any "W:H", not only the enum.
    _reference2video(
        "viduq3",
        durations=_seconds(3, 16),
        default_duration=5,
        **Q3_RES,
        any_aspect_ratio=True,
        credit_rates=RATES_Q3,
        expected_seconds=120,
    ),
    _reference2video(
        "viduq3-turbo",
        durations=_seconds(3, 16),
        default_duration=5,
        **Q3_RES,
        any_aspect_ratio=True,
        credit_rates=RATES_Q3_FAST,
        expected_seconds=60,
    ),
    _reference2video(
        "viduq2",
        **Q2_DURATIONS,
        **Q3_RES,
        any_aspect_ratio=True,
        credit_rates=RATES_Q2,
        expected_seconds=90,
    ),
    # viduq2-pro: "no more than 4 image or text subjects" [S002]. Its resolutions are not
    # listed; we assume q2's. Notes say 0-10 s, but 0 s is no video: 1-10 like q2.
    _reference2video(
        "viduq2-pro",
        **Q2_DURATIONS,
        **Q3_RES,
        subject_count=(1, 4),
        any_aspect_ratio=True,
        credit_rates=RATES_Q2,
        expected_seconds=90,
    ),
    _reference2video(
        "viduq1", **Q1_DURATIONS, **Q1_RES, credit_rates=RATES_Q1, expected_seconds=120
    ),
    _reference2video(
        "vidu2.0",
        durations=(4,),
        default_duration=4,
        resolutions=("360p", "720p"),
        default_resolution="360p",
        credit_rates=RATES_V2,
        expected_seconds=60,
    ),
    *_frames_family(I2V, Q2_DURATIONS),
    _text2video(
        "viduq3-turbo",
        **Q3_DURATIONS,
        **Q3_RES,
        aspect_ratios=VIDEO_RATIOS_WIDE,
        credit_rates=RATES_Q3_FAST,
        expected_seconds=60,
    ),
    _text2video(
        "viduq3-pro",
        **Q3_DURATIONS,
        **Q3_RES,
        aspect_ratios=VIDEO_RATIOS_WIDE,
        credit_rates=RATES_Q3,
        expected_seconds=120,
    ),
    _text2video(
        "viduq2",
        **Q2_DURATIONS,
        **Q3_RES,
        aspect_ratios=VIDEO_RATIOS_WIDE,
        credit_rates=RATES_Q2,
        expected_seconds=90,
    ),
    _text2video(
        "viduq1",
        **Q1_DURATIONS,
        **Q1_RES,
        aspect_ratios=VIDEO_RATIOS,
        credit_rates=RATES_Q1,
        expected_seconds=120,
    ),
    *_frames_family(SE2V, {"durations": _seconds(1, 8), "default_duration": 5}),
]

SPECS: dict[tuple[Endpoint, str], ModelSpec] = {
    (spec.endpoint, spec.model): spec for spec in _ALL_SPECS
}


def get_spec(endpoint: Endpoint | str, model: str) -> ModelSpec:
    """The spec of `model` on `endpoint`; raises `UnknownModel` naming the choices."""
    try:
        endpoint = Endpoint(endpoint)
    except ValueError:
        raise UnknownModel(f"{endpoint!r} is not a Vidu endpoint.") from None
    spec = SPECS.get((endpoint, model))
    if spec is None:
        choices = ", ".join(s.model for s in models_for(endpoint))
        raise UnknownModel(f"{endpoint} has no model {model!r}; choose one of {choices}.")
    return spec


def models_for(endpoint: Endpoint | str) -> list[ModelSpec]:
    """The specs of every model on `endpoint`, newest model family first."""
    return [spec for spec in _ALL_SPECS if spec.endpoint == endpoint]


def defaults_for(spec: ModelSpec) -> dict[str, Any]:
    """The parameters Vidu uses when a request leaves them out, by their Vidu names."""
    defaults: dict[str, Any] = {}
    if spec.default_duration is not None:
        defaults["duration"] = spec.default_duration
    if spec.default_resolution is not None:
        defaults["resolution"] = spec.default_resolution
    if spec.default_aspect_ratio is not None:
        defaults["aspect_ratio"] = spec.default_aspect_ratio
    if spec.audio:
        defaults["audio"] = spec.audio_default
        defaults["audio_type"] = "all"
    if spec.is_video:
        defaults["movement_amplitude"] = "auto"
        defaults["off_peak"] = False
    if spec.bgm:
        defaults["bgm"] = False
    if spec.styles:
        defaults["style"] = spec.styles[0]
    if spec.recommended_prompt:
        defaults["is_rec"] = False
    return defaults


def estimate_credits(spec: ModelSpec, params: Mapping[str, Any]) -> int:
    """An estimate of the credits a request will cost (see the rates above).

    Unknown or invalid values fall back to the defaults: validate first.
    """
    duration = params.get("duration", spec.default_duration)
    if duration not in spec.durations:
        duration = spec.default_duration
    resolution = params.get("resolution")
    if resolution not in spec.resolutions_for(duration):
        resolution = spec.default_resolution_for(duration)
    rates = dict(spec.credit_rates)
    rate = rates.get(resolution, max(rates.values()))
    credits = rate * duration if spec.is_video else rate
    if spec.off_peak_audio is not None and params.get("off_peak") is True:
        credits /= 2  # "off-peak consumes fewer credits"; the discount is our guess
    credits = max(1, math.ceil(credits))
    if spec.recommended_prompt and params.get("is_rec") is True:
        credits += RECOMMENDED_PROMPT_CREDITS
    return credits


# Vtrix names each (endpoint, model) pair with one id, and only ids found in a source
# are sent (providers/catalogs.py says which pairs Vtrix offers). Only
# `viduq2_reference2image` is documented with its meaning [S003]; the other three are
# ids Vtrix's docs list (vidu-api.md §10.3), matched to the pair their name says.
_VTRIX_IDS: dict[tuple[Endpoint, str], str] = {
    (Endpoint.REFERENCE2IMAGE, "viduq2"): "viduq2_reference2image",
    (Endpoint.REFERENCE2VIDEO, "viduq2-pro"): "viduq2_pro_reference",
    (Endpoint.IMG2VIDEO, "viduq2-turbo"): "viduq2_turbo_img2video",
    (Endpoint.START_END2VIDEO, "viduq2-turbo"): "viduq2_turbo_start_end",
}


def vtrix_model_id(endpoint: Endpoint | str, model: str) -> str:
    """The Vtrix model id for a Vidu model on an endpoint, e.g. `viduq2_reference2image`.

    Raises `UnknownModel` for a pair no source names an id for: an id built by pattern
    would be a guess sent to a paid API.
    """
    spec = get_spec(endpoint, model)
    known = _VTRIX_IDS.get((spec.endpoint, spec.model))
    if known is None:
        raise UnknownModel(f"Vtrix documents no model id for {spec.model} on {spec.endpoint}.")
    return known


def from_vtrix_model_id(model_id: str) -> tuple[Endpoint, str]:
    """The (endpoint, Vidu model) a Vtrix model id stands for; raises `UnknownModel`."""
    for pair, known in _VTRIX_IDS.items():
        if known == model_id:
            return pair
    raise UnknownModel(f"{model_id!r} is not a Vtrix id for a Vidu model we know.")
