"""Shipped travel-time matrices (``travel.minutes``) for the example scenarios."""
