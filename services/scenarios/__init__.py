"""Realistic scenario data: Norwegian calendars, a seeded generator, shipped scenarios."""
