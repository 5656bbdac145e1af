"""Observability: what operators see about hubplan, kept apart from the services.

* :mod:`.planview`   - pure figures over a region's plan (utilisation, demand,
  waitlist breakdown, container positions); no Prometheus, no Kafka, so unit
  tests feed it plain schema objects;
* :mod:`.lag`        - consumer lag measured from outside the consumers;
* :mod:`.prometheus` - a local Prometheus for ``hubplan up --with-prometheus``
  and the integration tests.

The services' ``metrics.py`` modules turn these figures into gauges.
"""
