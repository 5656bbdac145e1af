"""Scheduler settings, read once from the environment and checked at start."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SchedulerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUBPLAN_", extra="ignore")

    bootstrap: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "HUBPLAN_BOOTSTRAP"),
        description="Kafka bootstrap servers, host:port[,host:port].",
    )
    app_id: str = Field(default="hubplan-scheduler", description="Consumer group / Faust app id.")
    partitions: int = Field(
        default=6, ge=1, description="Partitions of hubplan.intake (and tables)."
    )
    data_dir: str = Field(default=".hubplan/scheduler", description="Faust's local data dir.")
    metrics_port: int = Field(default=0, ge=0, description="Prometheus /metrics port (0: none).")
    metrics_addr: str = Field(
        default="127.0.0.1", description="Address /metrics binds to (0.0.0.0 in containers)."
    )
    optimiser_interval: float = Field(
        default=2.0, gt=0, description="Seconds between optimiser sweeps."
    )
    optimiser_debounce: float = Field(
        default=1.0, ge=0, description="Quiet seconds before optimising."
    )
    optimiser_time_limit: float = Field(
        default=5.0, gt=0, description="CP-SAT seconds per region run."
    )
    optimiser_workers: int = Field(default=1, ge=1, description="CP-SAT workers per run.")
    fair_share: bool = Field(
        default=False, description="Optimiser policy: raise the worst-served school's share first."
    )
    notice_days: int = Field(
        default=5, ge=0, description="Working days ahead in which booked container trips stay."
    )
    repair_time_limit: float = Field(
        default=1.5, gt=0, description="Seconds per repair, model building included."
    )
    frozen_days: int = Field(
        default=2, ge=0, description="Working days from today a repair never touches."
    )
    session_timeout: float = Field(
        default=10.0, gt=0, description="Kafka consumer session timeout (s)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="Log level of Faust and aiokafka (INFO shows rebalances)."
    )
    tansu: bool = Field(default=False, description="Broker is Tansu: one message per batch.")
    expected_workers: int = Field(
        default=1,
        ge=1,
        description="Scheduler workers this deployment runs, exported as "
        "hubplan_scheduler_workers_expected: an alert fires when fewer are up.",
    )
