"""The FAL model inputs and outputs we send and read (see DESIGN.md); the webhook body is fal_webhook.py's."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _FalModel(BaseModel):
    model_config = ConfigDict(extra="allow")  # FAL adds fields; we keep what we do not read


class FalFile(_FalModel):
    url: str
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None


class LoraTrainingOutput(_FalModel):
    """Output of fal-ai/flux-lora-portrait-trainer and fal-ai/flux-lora-fast-training."""

    diffusers_lora_file: FalFile
    config_file: FalFile | None = None


class FalImage(_FalModel):
    url: str
    width: int | None = None
    height: int | None = None
    content_type: str | None = "image/jpeg"


class GenerationOutput(_FalModel):
    """Output of fal-ai/flux-lora."""

    images: list[FalImage]
    seed: int | None = None
    has_nsfw_concepts: list[bool] = Field(default_factory=list)
    prompt: str | None = None

    def nsfw(self, index: int) -> bool:
        return index < len(self.has_nsfw_concepts) and self.has_nsfw_concepts[index]


class PortraitTrainingInput(BaseModel):
    images_data_url: str
    trigger_phrase: str
    steps: int = Field(ge=1, le=10000)
    learning_rate: float = Field(gt=0)
    subject_crop: bool = True


class FastTrainingInput(BaseModel):
    images_data_url: str
    trigger_word: str
    steps: int = Field(ge=1, le=10000)
    is_style: bool = False
    create_masks: bool = True


class LoraWeight(BaseModel):
    path: str
    scale: float = 1.0


ImageSize = Literal["square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"]


class GenerationInput(BaseModel):
    prompt: str = Field(min_length=1, max_length=2000)
    loras: list[LoraWeight] = Field(default_factory=list)
    image_size: ImageSize = "square_hd"
    num_images: int = Field(default=1, ge=1, le=4)
    seed: int | None = None
    enable_safety_checker: bool = True


class QueueSubmission(_FalModel):
    """FAL's answer to a queue submit."""

    request_id: str
    status_url: str | None = None
    response_url: str | None = None
    cancel_url: str | None = None

    @model_validator(mode="after")
    def _has_id(self) -> QueueSubmission:
        if not self.request_id:
            raise ValueError("request_id is empty")
        return self
