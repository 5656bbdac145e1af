"""Logistics consumer settings, read once from the environment and checked at start."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LogisticsSettings(BaseSettings):
    # populate_by_name: code and tests may pass ``bootstrap=...`` directly
    model_config = SettingsConfigDict(
        env_prefix="HUBPLAN_LOGISTICS_", extra="ignore", populate_by_name=True
    )

    bootstrap: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "HUBPLAN_BOOTSTRAP"),
        description="Kafka bootstrap servers, host:port[,host:port].",
    )
    group_id: str = Field(default="hubplan-logistics", description="Group that holds our offsets.")
    source: str = Field(default="logistics", description="Envelope 'source' of what we produce.")
    metrics_port: int = Field(default=0, ge=0, description="Prometheus /metrics port (0: none).")
    metrics_addr: str = Field(default="127.0.0.1", description="Address /metrics binds to.")
    idle_timeout: float = Field(default=1.0, gt=0, description="Seconds per fetch, then re-poll.")
