"""Independent checker of schedules against the spec's hard rules.

Deliberately shares no code with the planner (only the contracts in
``schemas``): a plan the model gets wrong must not pass because the checker
made the same mistake.
"""

from services.validator.check import Violation, validate

__all__ = ["Violation", "validate"]
