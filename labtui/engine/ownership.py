"""Whose is a container with one of a lab's names: this lab's, another learner's, or the user's.

Containers and images declared in ``environment`` carry the labels
``labtui.scenario=<id>`` and ``labtui.owner=<owner id>``, the id of the data
directory (``labtui.state.owner``), so on an engine shared by several learners
``down`` removes only the caller's. Names the learner creates
(``cleanup.containers``) carry no label: they are the lab's only when they were
created after the lab started and no other learner's lab holds the name, so a
user's own container of the same name, or another learner's, is never touched.
A lab that is up claims its names on the engine (see ``DockerDriver.claim``).
Objects from before owners existed carry no owner label; they are the caller's
only when the lab's session record is that old too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from labtui.drivers.docker import DockerDriver, LabClaim, created_at
from labtui.engine.records import SessionRecord
from labtui.errors import EnvironmentUnavailable
from labtui.names import OWNER_LABEL, SCENARIO_LABEL
from labtui.scenario.model import Scenario

CREATED_SLACK = timedelta(seconds=2)

# "learner": another learner's lab; "older": a lab of an older labtui, whose owner
# is unknown; "user": not made by a lab (or by another lab of the caller).
Holder = Literal["learner", "older", "user"]


class NamesHeld(EnvironmentUnavailable):
    """Another learner's lab (or a user's container) has the names a lab needs."""


def owned_by(owner: str | None, me: str, record: SessionRecord | None) -> bool:
    """Whether an object labelled for a lab, with this owner label, is the caller's.

    Objects from before owners existed (no owner label) are the caller's only when
    the caller's record of that lab is that old as well.
    """
    if owner is None:
        return record is not None and record.owner is None
    return owner == me or (record is not None and owner == record.owner)


@dataclass(frozen=True)
class Names:
    """One lab's container names on one engine, seen by the learner ``me``."""

    docker: DockerDriver
    scenario: Scenario
    me: str

    def held_by_others(self, claims: list[LabClaim], record: SessionRecord | None) -> set[str]:
        """Container names that other learners' labs, up on this engine, hold."""
        return {
            name
            for claim in claims
            if not owned_by(claim.owner, self.me, record)
            for name in claim.names
        }

    def holder(
        self, attrs: dict[str, Any], record: SessionRecord | None, held: set[str]
    ) -> Holder | None:
        """None when a container with one of this lab's names is this lab's; else whose it is."""
        labels = attrs.get("Config", {}).get("Labels") or {}
        if SCENARIO_LABEL in labels:
            owner = labels.get(OWNER_LABEL)
            if not owned_by(owner, self.me, record):
                return "older" if owner is None else "learner"
            return None if labels[SCENARIO_LABEL] == self.scenario.id else "user"
        if str(attrs.get("Name", "")).lstrip("/") in held:
            return "learner"
        made = created_at(attrs)
        if record is not None and made is not None and made >= record.started - CREATED_SLACK:
            return None
        return "user"

    def check_free(self, record: SessionRecord | None) -> None:
        """Raise ``NamesHeld`` with what to do when a name the lab needs is someone else's."""
        held = self.held_by_others(self.docker.claims(), record)
        holders: dict[str, Holder] = {}
        for name in self.scenario.container_names:
            attrs = self.docker.inspect(name)
            if name in held:
                holders[name] = "learner"
            elif attrs is not None:
                holder = self.holder(attrs, record, held)
                if holder is not None:
                    holders[name] = holder
        others = [name for name, holder in holders.items() if holder == "learner"]
        if others:
            raise NamesHeld(
                f"another learner's lab on this Docker engine holds the container names "
                f"this lab needs ({', '.join(others)}); nothing was changed",
                "a lab's container names exist once per engine: use a Docker engine of your "
                "own (point DOCKER_HOST at it, e.g. rootless Docker), or wait until that lab "
                "is down; if it is stale (nobody uses it any more), `labtui clean --all` "
                "removes every learner's labs on this engine",
            )
        for name, holder in holders.items():
            if holder == "older":
                raise NamesHeld(
                    f"container {name} belongs to a lab made by an older labtui "
                    "(it has no owner: it may be another learner's)",
                    f"if nobody uses it any more, remove it (`docker rm -f {name}`) or "
                    "remove every learner's labs on this engine (`labtui clean --all`), then retry",
                )
            raise NamesHeld(
                f"a container named {name} already exists and was not made by this lab",
                f"the lab needs that name: remove it (`docker rm -f {name}`) "
                f"or rename it (`docker rename {name} my-{name}`), then retry",
            )
