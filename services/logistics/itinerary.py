"""From a plan's container moves to itineraries, transport orders and notice locks.

Pure functions of the scenario and the moves (plus sessions, when known):
the CLI, the gateway's HTTP views and the logistics consumer all call these,
so a haulier's order, a calendar feed and a chart can never disagree.

Working days follow rule 6 of the spec (an allowed weekday not in
``closed``), counted here without the horizon limit because a move that
departs late in the term may become ready after it ends.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from schemas.scenario import Container, Scenario, Site
from schemas.schedule import ContainerMove, Schedule, Session
from services.logistics.errors import InconsistentMovesError, UnknownReferenceError
from services.logistics.models import Itinerary, Leg, Stay, TransportOrder
from services.planner.calendar import in_notice_period, in_ranges, notice_deadline, transit_days
from services.planner.travel import TravelTable

ONE_DAY = dt.timedelta(days=1)
DEFAULT_NOTICE_DAYS = 5  # a haulier needs a working week to book a truck and crane


def is_working(scenario: Scenario, day: dt.date) -> bool:
    """Rule 6's working day: an allowed weekday not closed everywhere."""
    return day.isoweekday() in scenario.weekdays and not in_ranges(day, scenario.closed)


def add_working_days(scenario: Scenario, day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day`` (``day`` itself not counted)."""
    if not scenario.weekdays:
        raise ValueError("the scenario allows no weekdays")
    while n > 0:
        day += ONE_DAY
        if is_working(scenario, day):
            n -= 1
    return day


def _sites(scenario: Scenario) -> dict[str, Site]:
    return {s.id: s for s in scenario.sites}


def _containers(scenario: Scenario) -> dict[str, Container]:
    return {c.id: c for c in scenario.containers}


def split_days(working: int, driving_days: int, setup_days: int | None) -> tuple[int, int]:
    """(transit, setup) working days of a move with ``working`` days before ``ready``.

    Setup is the container's ``setup_days``, the last days before ``ready``;
    everything before it is transit. A delayed truck (``container-delayed``:
    ready later than rule 6 says) is still on the road, so its extra days are
    transit, never setup: the site is not asked to set up a container that has
    not arrived. A move shorter than rule 6 says (a plan the validator would
    refuse) keeps the driving days as transit and the rest as setup; so does
    a move whose container is unknown (``setup_days`` None).
    """
    if setup_days is not None and working >= driving_days + setup_days:
        return working - setup_days, setup_days
    transit = max(1, min(driving_days, working))
    return transit, max(0, working - transit)


def leg_of(scenario: Scenario, move: ContainerMove, index: int, table: TravelTable) -> Leg:
    """Split a move's working days into transit and setup (rule 6).

    The plan's ``ready`` is taken as given; the container's setup days are
    the last working days before it and the rest is transit (a delay counts
    as transit, see ``split_days``). The validator, not this function, checks
    that ``ready`` is right.
    """
    sites = _sites(scenario)
    for site in (move.from_, move.to):
        if site not in sites:
            raise UnknownReferenceError("site", site, list(sites))
    if not is_working(scenario, move.depart):
        raise InconsistentMovesError(move.container, f"departs {move.depart}, not a working day")
    if move.ready <= move.depart:
        raise InconsistentMovesError(
            move.container, f"ready {move.ready} is not after departure {move.depart}"
        )
    minutes = move.truck_minutes
    if minutes is None:
        minutes = table.truck_minutes(move.from_, move.to)
    span = [
        move.depart + ONE_DAY * i
        for i in range((move.ready - move.depart).days)
        if is_working(scenario, move.depart + ONE_DAY * i)
    ]
    box = _containers(scenario).get(move.container)
    transit, _ = split_days(len(span), transit_days(minutes), box.setup_days if box else None)
    transit = min(transit, len(span))
    return Leg(
        container=move.container,
        index=index,
        from_site=move.from_,
        to_site=move.to,
        depart=move.depart,
        ready=move.ready,
        transit_dates=span[:transit],
        setup_dates=span[transit:],
        km=move.km,
        truck_minutes=round(minutes, 1),
    )


def legs_by_container(scenario: Scenario, moves: Iterable[ContainerMove]) -> dict[str, list[Leg]]:
    """Every container's legs in departure order (containers without moves: [])."""
    boxes = _containers(scenario)
    grouped: dict[str, list[ContainerMove]] = defaultdict(list)
    for move in moves:
        if move.container not in boxes:
            raise UnknownReferenceError("container", move.container, list(boxes))
        grouped[move.container].append(move)
    table = TravelTable.of(scenario)
    return {
        box: [
            leg_of(scenario, m, i, table)
            for i, m in enumerate(sorted(grouped.get(box, []), key=lambda m: m.depart))
        ]
        for box in boxes
    }


def itineraries(
    scenario: Scenario, moves: Iterable[ContainerMove], sessions: Iterable[Session] = ()
) -> dict[str, Itinerary]:
    """Each container's stays and legs over the horizon, keyed by container id.

    A stay runs from the day the container is ready at a site to the day
    before it leaves, so stays and legs never overlap; a session of the
    container outside every stay, or at another site, means the plan and
    its moves disagree, and is reported rather than hidden.
    """
    sites, boxes = _sites(scenario), _containers(scenario)
    by_box: dict[str, list[Session]] = defaultdict(list)
    for s in sessions:
        by_box[s.resource].append(s)
    out: dict[str, Itinerary] = {}
    for box, legs in legs_by_container(scenario, moves).items():
        container = boxes[box]
        here, since = container.start_site, scenario.horizon.start
        spans: list[tuple[str, dt.date, dt.date]] = []
        for leg in legs:
            if leg.from_site != here:
                raise InconsistentMovesError(
                    box, f"leaves {leg.from_site} on {leg.depart} but stands at {here}"
                )
            if leg.depart < since:
                raise InconsistentMovesError(box, f"departs {leg.depart} before ready on {since}")
            if leg.depart > since:
                spans.append((here, since, leg.depart - ONE_DAY))
            here, since = leg.to_site, leg.ready
        if since <= scenario.horizon.end:
            spans.append((here, since, scenario.horizon.end))
        stays = [_stay(box, site, a, b, by_box[box], sites) for site, a, b in spans]
        placed = sum(len(s.sessions) for s in stays)
        if placed != len(by_box[box]):
            held = {x.date for st in stays for x in st.sessions}
            loose = sorted({s.date for s in by_box[box]} - held)
            raise InconsistentMovesError(
                box,
                f"{len(by_box[box]) - placed} session(s) while moving or elsewhere, "
                f"first on {loose[0] if loose else '?'}",
            )
        out[box] = Itinerary(
            container=box,
            region=sites[container.start_site].region,
            start_site=container.start_site,
            stays=stays,
            legs=legs,
        )
    return out


def _stay(
    box: str,
    site: str,
    start: dt.date,
    end: dt.date,
    sessions: list[Session],
    sites: dict[str, Site],
) -> Stay:
    held = sorted(
        (s for s in sessions if start <= s.date <= end and s.site == site),
        key=lambda s: (s.date, s.slot),
    )
    return Stay(
        container=box, site=site, site_name=sites[site].name, start=start, end=end, sessions=held
    )


def schedule_itineraries(scenario: Scenario, schedule: Schedule) -> dict[str, Itinerary]:
    """Itineraries of a whole schedule file (moves and sessions)."""
    return itineraries(scenario, schedule.container_moves, schedule.sessions)


# -- notice period -------------------------------------------------------------------
# one definition with the planner's repair and optimiser: notice_deadline in
# services/planner/calendar.py


def is_locked(
    scenario: Scenario,
    move: ContainerMove | Leg,
    today: dt.date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> bool:
    """A move departing within ``notice_days`` working days after ``today`` is locked.

    Moves that departed already are locked too: the truck is booked or gone.
    """
    return in_notice_period(scenario, move.depart, today, notice_days)


def locked_moves(
    scenario: Scenario,
    moves: Sequence[ContainerMove],
    today: dt.date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> list[ContainerMove]:
    """The moves a re-plan must keep as they are (same order as given)."""
    return [m for m in moves if in_notice_period(scenario, m.depart, today, notice_days)]


# -- transport orders ----------------------------------------------------------------
def transport_orders(
    scenario: Scenario,
    moves: Iterable[ContainerMove],
    *,
    container: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> list[TransportOrder]:
    """One order per move departing in ``[since, until]``, by departure date.

    ``today`` marks which orders are locked by the notice period (none when
    it is not given).
    """
    sites = _sites(scenario)
    boxes = _containers(scenario)
    if container is not None and container not in boxes:
        raise UnknownReferenceError("container", container, list(boxes))
    deadline = notice_deadline(scenario, today, notice_days) if today is not None else None
    orders = []
    for box, legs in legs_by_container(scenario, moves).items():
        if container is not None and box != container:
            continue
        for leg in legs:
            if (since and leg.depart < since) or (until and leg.depart > until):
                continue
            orders.append(
                TransportOrder(
                    container=box,
                    region=sites[boxes[box].start_site].region,
                    from_site=leg.from_site,
                    from_name=sites[leg.from_site].name,
                    to_site=leg.to_site,
                    to_name=sites[leg.to_site].name,
                    depart=leg.depart,
                    ready=leg.ready,
                    transit_days=max(1, leg.transit_days),
                    setup_days=leg.setup_days,
                    km=leg.km,
                    driving_hours=leg.driving_hours,
                    contact=sites[leg.to_site].name,
                    locked=deadline is not None and leg.depart <= deadline,
                )
            )
    return sorted(orders, key=lambda o: (o.depart, o.container))
