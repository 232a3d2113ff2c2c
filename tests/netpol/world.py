"""A small cluster the table-driven tests put policies into."""

from __future__ import annotations

from typing import Any

import yaml

from labtui.netpol.model import World
from labtui.netpol.parse import load_text

BASE = """
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: prod, labels: {env: prod, team: a}}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: dev, labels: {env: dev, team: a}}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: other, labels: {env: test}}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web, tier: fe}}
spec:
  containers:
    - name: web
      ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090}
        - {name: mdns, containerPort: 5353, protocol: UDP}
        - {name: diameter, containerPort: 3868, protocol: SCTP}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: prod, labels: {app: api, tier: be}}
spec:
  containers:
    - {name: api, ports: [{name: http, containerPort: 8081}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec:
  containers:
    - {name: db, ports: [{name: pg, containerPort: 5432}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: dev, labels: {app: web}}
spec: {containers: [{name: web}]}
---
apiVersion: v1
kind: Pod
metadata: {name: api, namespace: dev, labels: {app: api, tier: be}}
spec: {containers: [{name: api}]}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: other, labels: {app: client}}
spec: {containers: [{name: c}]}
---
apiVersion: v1
kind: Pod
metadata: {name: nolabels, namespace: other}
spec: {containers: [{name: c}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: prod, labels: {app: not-the-template}}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec: {containers: [{name: w, ports: [{name: jobs, containerPort: 7000}]}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: prod}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec: {containers: [{name: b}], restartPolicy: Never}
"""


def policy(namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"namespace": namespace, "spec": spec}


def manifest(i: int, p: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"np-{i + 1}", "namespace": p["namespace"]},
        "spec": p["spec"],
    }


def world(*policies: dict[str, Any]) -> World:
    docs = [manifest(i, p) for i, p in enumerate(policies)]
    text = BASE + "".join("---\n" + yaml.safe_dump(d) for d in docs)
    return load_text(text, "world.yaml")
