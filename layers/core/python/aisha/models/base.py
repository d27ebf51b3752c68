"""The base of every row model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Entity(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)
