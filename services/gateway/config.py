"""Gateway settings and the token table, read once at start."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["school", "operator", "logistics"]


class Principal(BaseModel):
    """Who a token belongs to: a role, and for schools the one site they act for."""

    name: str
    role: Role
    site: str | None = None


class ConfigError(ValueError):
    """Settings that cannot work; the message says which and why."""


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUBPLAN_", extra="ignore")

    bootstrap: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "HUBPLAN_BOOTSTRAP"),
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    tokens: str | None = Field(default=None, description="JSON {token: {name, role, site?}}.")
    tokens_file: str | None = Field(default=None, description="File holding the same JSON.")
    resubmit_after: float = Field(
        default=30.0,
        ge=0,
        description="Seconds without a decision before a request or cancel is published "
        "again (0: never); see services/gateway/resubmit.py.",
    )
    school_max_priority: int = Field(
        default=3,
        ge=1,
        description="Highest priority a school may ask for (value = priority x group x "
        "sessions, so a school could otherwise outbid every other); operators set more.",
    )
    notice_days: int = Field(
        default=5,
        ge=0,
        description="HUBPLAN_NOTICE_DAYS, as the scheduler and logistics read it: trips "
        "departing within this many working days are locked in orders and feeds.",
    )
    feed_secret: str | None = Field(
        default=None,
        min_length=16,
        description="HUBPLAN_FEED_SECRET: signs the calendar feed URLs (?key=); unset, a "
        "secret is derived from the token table (see services/gateway/feed_keys.py).",
    )
    group_prefix: str = Field(
        default="hubplan",
        description="Consumer groups whose lag is measured: <prefix>-scheduler, <prefix>-logistics.",
    )

    @cached_property
    def principals(self) -> dict[str, Principal]:
        raw = self.tokens
        if raw is None and self.tokens_file:
            try:
                raw = Path(self.tokens_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(
                    f"HUBPLAN_TOKENS_FILE {self.tokens_file}: {exc.strerror}"
                ) from None
        if not raw:
            raise ConfigError("no tokens configured: set HUBPLAN_TOKENS or HUBPLAN_TOKENS_FILE")
        try:
            table = json.loads(raw)
            out = {token: Principal.model_validate(p) for token, p in table.items()}
        except (json.JSONDecodeError, AttributeError, ValidationError) as exc:
            raise ConfigError(
                f"tokens are not a JSON object of {{token: {{name, role, site}}}}: {exc}"
            ) from None
        for token, p in out.items():
            if p.role == "school" and not p.site:
                raise ConfigError(f"school token for {p.name} has no site")
            if len(token) < 8:
                raise ConfigError(f"token for {p.name} is shorter than 8 characters")
        return out
