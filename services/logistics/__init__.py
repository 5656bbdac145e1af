"""Container logistics: where each mobile lab goes, when, and who must act.

Read side of the plan: itineraries, transport orders, notice locks, exports
(CSV/JSON/iCalendar), pictures (Gantt chart, map), a router-table converter,
and a small consumer that turns plan changes into per-container move events.
"""
