"""Many flows at once: what ``labtui netpol query --batch FILE`` answers.

One :class:`~labtui.netpol.evaluate.Evaluator` serves the whole list, so a
class's 40,000 flows cost what they share once (which policies isolate each
pod, how each peer matches each endpoint), not once per flow.
"""

from __future__ import annotations

from typing import Any

from labtui.errors import InvalidInput, LabError
from labtui.netpol.evaluate import Evaluator
from labtui.netpol.model import PortProtocol, World

PROTOCOLS = ("TCP", "UDP", "SCTP")


def answer(cluster: World, items: Any, where: str) -> list[dict[str, Any]]:
    """Each ``{from, to, port[, protocol]}`` of ``items`` with ``allowed`` and ``reason`` added."""
    if not isinstance(items, list):
        raise InvalidInput(f"{where}: expected a JSON list of {{from, to, port, protocol}}")
    evaluator = Evaluator(cluster)
    protocols = {name: PortProtocol(name) for name in PROTOCOLS}
    out = []
    for n, item in enumerate(items):
        try:
            source, dest, port = item["from"], item["to"], item["port"]
        except (TypeError, KeyError):
            raise InvalidInput(
                f"{where} item {n}: needs from, to and port",
                'e.g. {"from": "ns/a", "to": "ns/b", "port": 80}',
            ) from None
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} item {n}: expected an object with from, to and port")
        if not isinstance(port, int) or isinstance(port, bool):
            raise InvalidInput(f"{where} item {n}: port must be a number, got {port!r}")
        protocol = protocols.get(str(item.get("protocol", "TCP")).upper())
        if protocol is None:
            raise InvalidInput(
                f"{where} item {n}: unknown protocol {item.get('protocol')!r}",
                "use TCP, UDP or SCTP",
            )
        try:
            allowed, reason = evaluator.answer(
                evaluator.resolve(str(source)), evaluator.resolve(str(dest)), port, protocol
            )
        except LabError as exc:
            raise InvalidInput(f"{where} item {n}: {exc.message}", exc.hint) from None
        out.append({**item, "allowed": allowed, "reason": reason})
    return out
