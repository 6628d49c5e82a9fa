"""The rule engine: sensor readings in, alarm events out (pure; numpy on the batch path; clock injected).

``engine`` runs the rule set batch by batch, ``windows`` keeps per-rule state and the readings window
rules retain, ``conditions`` computes the signals and their runs and delays, ``site`` follows the site
rules, ``alarms`` holds what comes out; ``arrays`` the numpy helpers they share; ``ruleset`` reads and
checks the rules files (the rule kinds and their fields).

Semantics (docs/monitoring.md has the long form):

* **Readings.** A batch is evaluated per sensor in arrival order. A reading whose timestamp equals the
  sensor's newest accepted one is a *duplicate* (ignored, never a second alarm); an older one is
  *late* (rejected to the caller's dead letters). Times are integer epoch milliseconds.
* **Condition.** ``limit``/``rate``/``window`` rules compare a signal (the value, its rate of change
  per ``per_s``, or the trailing-window aggregate) with ``high``/``low``: a value ≥ high (≤ low) sets
  the condition, a value < high − deadband (> low + deadband) clears it, values between hold it
  (OPC UA Part 9 B.1.5 deadband). ``flatline``: unchanged for ``duration_s``.
* **Delays.** The signal is sample-and-hold: the condition holds from the reading that set it until
  the reading that changes it. The alarm is raised when a true run has lasted ``on_delay_s``
  (``raised_at`` = run start + on delay) and cleared when a false run has lasted ``off_delay_s``
  (``cleared_at`` = run start + off delay). A batch only uses what its readings prove; ``tick(now)``
  lets the clock extend the newest run of every sensor to ``now`` (real time, or the end of a replay).
* **Stale.** A gap ≥ ``timeout_s`` between readings raises at the older reading + timeout and clears
  at the newer reading; ``tick(now)`` raises it for sensors silent since ``now − timeout``.
* **Site rules** (``compound``, ``rollup``) follow the point alarms event by event.

All state lives in arrays indexed by sensor (plus small dicts for site rules) and round-trips through
:meth:`RuleEngine.checkpoint` / :meth:`RuleEngine.restore`, so a restarted worker resumes exactly.
"""

from __future__ import annotations

from yingji.monitoring.rules.alarms import AlarmEvent, AlarmRecord, BatchResult, pair_events
from yingji.monitoring.rules.arrays import CHECKPOINT_VERSION
from yingji.monitoring.rules.engine import RuleEngine

__all__ = ["CHECKPOINT_VERSION", "AlarmEvent", "AlarmRecord", "BatchResult", "RuleEngine", "pair_events"]
