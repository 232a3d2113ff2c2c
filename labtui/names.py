"""The names labtui writes on what it creates and the environment variables it reads.

Labels mark Docker objects and Kubernetes namespaces as a lab's, so ``down``
and ``clean`` find exactly what labtui made; the environment variables are the
ones a user may set. Each lives here once; everything else imports it.
"""

from __future__ import annotations

# Labels on containers, images, name claims and lab namespaces.
SCENARIO_LABEL = "labtui.scenario"
OWNER_LABEL = "labtui.owner"
NAMES_LABEL = "labtui.names"
LEARNER_LABEL = "labtui.learner"
# On a shared cluster's lab namespace: the user name of the learner it was made for.
IDENTITY_ANNOTATION = "labtui.identity"
PROBE_LABEL = "labtui.probe"

# Environment variables a user may set.
BASE_IMAGE_ENV = "LABTUI_BASE_IMAGE"
CONTEXT_ENV = "LABTUI_CONTEXT"
# Where cluster labs run: kind, node (the kubeadm node labtui runs on) or context:NAME.
CLUSTER_ENV = "LABTUI_CLUSTER"
DATA_DIR_ENV = "LABTUI_DATA_DIR"
SCENARIOS_PATH_ENV = "LABTUI_SCENARIOS_PATH"
PKI_NODE_ENV = "LABTUI_PKI_NODE"
