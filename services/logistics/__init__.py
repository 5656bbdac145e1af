"""Container logistics: where each mobile lab goes, when, and who must act.

Read side of the plan: itineraries, transport orders, notice locks, exports
(CSV/JSON in ``exports.py``, iCalendar in ``calendars.py``), what changed
between two plans (``changes.py``), pictures (Gantt chart, map), a
router-table converter, and the Faust service (``app.py``, ``agents.py``,
``handlers.py``) that keeps each container's itinerary and turns plan changes
into per-container move events.
"""
