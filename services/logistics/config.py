"""Logistics service settings, read once from the environment and checked at start."""

from __future__ import annotations

from typing import Literal

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
    group_id: str = Field(
        default="hubplan-logistics",
        description="Faust app id: the consumer group and the prefix of its table changelogs.",
    )
    source: str = Field(default="logistics", description="Envelope 'source' of what we produce.")
    partitions: int = Field(
        default=6,
        ge=1,
        # the shared HUBPLAN_PARTITIONS (compose sets it once for every service) unless
        # HUBPLAN_LOGISTICS_PARTITIONS says otherwise: co-partitioned with the scheduler
        validation_alias=AliasChoices("HUBPLAN_LOGISTICS_PARTITIONS", "HUBPLAN_PARTITIONS"),
        description="Partitions of hubplan.intake/decisions/plans (and of the tables).",
    )
    data_dir: str = Field(default=".hubplan/logistics", description="Faust's local data dir.")
    notice_days: int = Field(
        default=5,
        ge=0,
        # one setting for the scheduler, the gateway and this service; the old
        # HUBPLAN_LOGISTICS_NOTICE_DAYS (documented before) still works when the shared one is unset
        validation_alias=AliasChoices("HUBPLAN_NOTICE_DAYS", "HUBPLAN_LOGISTICS_NOTICE_DAYS"),
        description="Working days ahead in which a move is locked (HUBPLAN_NOTICE_DAYS).",
    )
    metrics_port: int = Field(default=0, ge=0, description="Prometheus /metrics port (0: none).")
    metrics_addr: str = Field(default="127.0.0.1", description="Address /metrics binds to.")
    session_timeout: float = Field(
        default=10.0, gt=0, description="Kafka consumer session timeout (s)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="Log level of Faust and aiokafka (INFO shows rebalances)."
    )
    tansu: bool = Field(default=False, description="Broker is Tansu: one message per batch.")
