"""Probing reachability for real: the interface a cluster environment implements.

A prober opens a *fresh* connection for every probe (kindnet lets established
connections survive a new policy, so a reused connection would lie) and says
whether it got through. The NetworkPolicy engine never probes; the
``reachability`` check asks a prober when the lab runs on a cluster and reports
both verdicts side by side.
"""

from __future__ import annotations

from typing import Protocol


class Prober(Protocol):
    def probe(self, src: str, dst: str, port: int, protocol: str) -> bool:
        """Try ``src`` -> ``dst`` (``namespace/name`` or an IP) now; True when it connected."""
        ...
