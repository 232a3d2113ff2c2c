"""``labtui new``: a commented example scenario that validates and verifies as generated.

The examples are text, not ``yaml.dump`` output, so the comments that teach the
format survive. ``__ID__`` is replaced by the scenario id; every ``{name}`` is a
scenario template that stays for the engine to fill.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from labtui.engine.trust import trust
from labtui.errors import InvalidInput
from labtui.scenario.catalog import SCENARIO_FILE, Entry
from labtui.scenario.loader import load_file, load_text
from labtui.scenario.model import ID_PATTERN, Requirement, json_schema

SCHEMA_FILE = "scenario.schema.json"
REQUIREMENTS = (Requirement.local.value, Requirement.docker.value, Requirement.kind.value)

_HEADER = """\
# yaml-language-server: $schema=../scenario.schema.json
# A labtui scenario. The format is in docs/authoring.md; `labtui schema` prints the
# JSON Schema the line above points editors at (VS Code's YAML extension completes and
# checks this file with it).
#
# Test it:   labtui --scenarios PACK validate
#            labtui --scenarios PACK solve __ID__ --verify
# (PACK is the folder holding this scenario's folder.) --verify starts the environment
# afresh, proves that every task's checks FAIL before its solution and PASS after it,
# then removes everything.
format_version: 1
id: __ID__                 # the folder name and the id should match
title: __TITLE__
topic: __TOPIC__           # principles | host | cluster | application | containers | network | supply-chain
difficulty: beginner       # beginner | intermediate | advanced
minutes: 10
"""

_LOCAL = """\
requires: [local]          # local: only a lab directory (always available)
summary: >
  One line for the catalog: what the learner does and learns.
introduction: |
  Markdown shown before the first task. Templates are filled in: your lab
  directory is `{lab_dir}`.
conclusion: |
  Markdown shown when every task passes: what was learned and why it matters.
environment:
  # Files written into the lab directory on `up` (relative path: content, templated).
  files:
    data/users.txt: |
      alice
      bob
      mallory
tasks:
  - id: write-file
    title: Write a file into the lab directory
    instructions: |
      Create `greeting.txt` in `{lab_dir}` that contains the word `hello`.
    hints:                 # revealed one at a time; counted in the learner's progress
      - "`echo hello > greeting.txt` in the lab directory does it."
    checks:
      - kind: file         # exists, contains, matches (regex), yaml_path + equals
        path: greeting.txt # relative to the lab directory
        contains: hello
        description: greeting.txt says hello
    solution:              # used by `labtui solve` and proven by `solve --verify`
      explanation: A file with the word hello in it.
      files:
        greeting.txt: "hello\\n"

  - id: count-users
    title: Count the users
    instructions: |
      How many users does `data/users.txt` list?
    answer_prompt: Number of users
    checks:
      - kind: answer       # the typed answer against a value computed from the lab
        expected:
          command: [grep, -c, ".", data/users.txt]
        normalize: [strip, number]
    solution:
      answer:
        command: [grep, -c, ".", data/users.txt]

  - id: pick-one
    title: A multiple-choice question
    instructions: |
      Which user in `data/users.txt` has a name that warns you?
    checks:
      - kind: choice       # options are shuffled per learner; answers are letters (b or a,c)
        description: your choice
        options:
          - id: alice      # ids (two characters or more) are what solutions use
            text: alice
            feedback: Alice is the classic honest sender.
          - id: mallory
            text: mallory
            correct: true
            feedback: Mallory is the classic malicious attacker.
          - id: bob
            text: bob
            feedback: Bob is the classic honest receiver.
    solution:
      answer: mallory
"""

_DOCKER = """\
requires: [docker]         # docker: containers from {base_image}, removed on `down`
summary: >
  One line for the catalog: what the learner does and learns.
introduction: |
  Markdown shown before the first task. The lab container is `__ID__-app`;
  open a shell in it with `docker exec -it __ID__-app sh`.
conclusion: |
  Markdown shown when every task passes: what was learned and why it matters.
environment:
  containers:              # created on `up`, labelled, removed on `down`
    - name: __ID__-app
      image: "{base_image}"   # LABTUI_BASE_IMAGE; keep it so the lab runs offline
      command: [sleep, 1d]
      network: none
tasks:
  - id: create-marker
    title: Create a file inside the container
    instructions: |
      Create the file `/tmp/ready` inside the container `__ID__-app`.
    hints:
      - "`docker exec __ID__-app touch /tmp/ready`"
    checks:
      - kind: exec         # runs inside a running container; no shell involved
        container: __ID__-app
        command: [test, -f, /tmp/ready]
        description: /tmp/ready exists in __ID__-app
    solution:
      explanation: "`docker exec` runs a command in the running container."
      run:                 # argv lists, run on the host in the lab directory
        - [docker, exec, __ID__-app, touch, /tmp/ready]

  - id: start-isolated
    title: Start a second container without a network
    instructions: |
      Start a container named `__ID__-side` from `{base_image}` that runs
      `sleep 1d` and has no network at all (`--network none`).
    checks:
      - kind: container    # docker inspect: running state and any field path
        name: __ID__-side
        running: true
      - kind: container
        name: __ID__-side
        field: HostConfig.NetworkMode
        equals: none
    solution:
      run:
        - [docker, run, -d, --name, __ID__-side, --network, none, "{base_image}", sleep, 1d]
cleanup:
  containers: [__ID__-side]   # names the learner creates; removed on `down`
"""

_KIND = """\
requires: [kind]           # kind: a cluster labtui-<id> built on `up` (docker + kind + kubectl)
summary: >
  One line for the catalog: what the learner does and learns.
introduction: |
  Markdown shown before the first task. `KUBECONFIG` points at the lab's
  cluster; the lab's namespace is `{namespace}`.
conclusion: |
  Markdown shown when every task passes: what was learned and why it matters.
environment:
  cluster:
    namespaced: true       # everything happens in one namespace: also runs on an existing cluster
tasks:
  - id: create-configmap
    title: Create a ConfigMap
    instructions: |
      Create a ConfigMap named `greeting` in `{namespace}` whose key `message`
      holds `hello`.
    hints:
      - "`kubectl create configmap --help`"
    checks:
      - kind: k8s          # an object: exists / absent / field path / count, or access reviews
        resource: configmaps
        name: greeting
        field: data.message
        equals: hello
    solution:
      run:
        - [kubectl, create, configmap, greeting, --from-literal=message=hello, -n, "{namespace}"]
"""

_BODIES = {"local": _LOCAL, "docker": _DOCKER, "kind": _KIND}
_TOPICS = {"local": "principles", "docker": "containers", "kind": "cluster"}


@dataclass(frozen=True)
class Scaffold:
    folder: Path
    scenario_file: Path
    schema_file: Path | None


def scenario_text(scenario_id: str, requires: str = "local") -> str:
    """The commented example scenario for ``requires``, with ``scenario_id`` filled in."""
    if requires not in _BODIES:
        raise InvalidInput(
            f"--requires {requires!r} is not one of {', '.join(REQUIREMENTS)}",
            "pick local, docker or kind",
        )
    title = scenario_id.replace("-", " ").capitalize()
    text = _HEADER + _BODIES[requires]
    return (
        text.replace("__ID__", scenario_id)
        .replace("__TITLE__", json.dumps(title))
        .replace("__TOPIC__", _TOPICS[requires])
    )


def new_scenario(
    scenario_id: str, parent: Path, requires: str = "local", force: bool = False
) -> Scaffold:
    """Write ``parent/<id>/scenario.yaml`` (and the pack's schema copy when missing)."""
    if not re.match(ID_PATTERN, scenario_id):
        raise InvalidInput(
            f"{scenario_id!r} is not a scenario id",
            "use lowercase letters, digits and dashes, starting with a letter or digit (e.g. my-lab)",
        )
    text = scenario_text(scenario_id, requires)
    folder = parent / scenario_id
    target = folder / SCENARIO_FILE
    if target.exists() and not force:
        raise InvalidInput(
            f"{target} already exists", "pick another id, or pass --force to overwrite it"
        )
    result = load_text(text, str(target))
    if not result.ok:
        details = "; ".join(str(p) for p in result.problems)
        raise InvalidInput(f"the {requires} example does not validate: {details}")
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    # The author wrote this file with labtui itself: trust it as written (an edit asks again).
    trust(Entry(folder, load_file(target), builtin=False))
    schema = parent / SCHEMA_FILE
    written = None
    if not schema.exists():
        schema.write_text(json.dumps(json_schema(), indent=2) + "\n", encoding="utf-8")
        written = schema
    return Scaffold(folder, target, written)
