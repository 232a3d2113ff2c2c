"""Facts the cluster labs state, checked against upstream Kubernetes and kubeadm.

Each case quotes the upstream source the text must agree with.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import SCENARIOS


def text(scenario_id: str) -> str:
    return (SCENARIOS / scenario_id / "scenario.yaml").read_text()


def test_kubeadm_certs_renew_makes_a_new_key() -> None:
    # kubeadm cmd/kubeadm/app/phases/certs/renewal: RenewUsingLocalCA calls
    # pkiutil.NewCertAndKey, which generates a new private key.
    t = text("kubeadm-certificates")
    assert "for the same\n  key" not in t and "same key and subject" not in t
    assert "new private key" in t


def test_anonymous_users_get_no_api_discovery() -> None:
    # Since 1.14 system:discovery binds only system:authenticated;
    # system:public-info-viewer gives unauthenticated users /healthz, /livez,
    # /readyz and /version. kubeadm's kubeadm:bootstrap-signer-clusterinfo Role
    # lets system:anonymous read kube-public/cluster-info.
    t = text("apiserver-access")
    assert not re.search(r"anonymous[\s\S]{0,200}only discovery", t)
    assert "no API discovery" in t and "cluster-info" in t and "kube-public" in t


def test_etcd_lab_says_which_secrets_were_rewritten_and_the_aescbc_caveat() -> None:
    # The lab rewrites the Secrets of one namespace; upstream's encryption-at-rest
    # page lists aescbc as "not recommended due to CBC's vulnerability to padding
    # oracle attacks".
    t = text("etcd-encryption-at-rest")
    assert "ciphertext for every Secret:" not in t
    assert "namespace you rewrote" in t
    assert "not recommended" in t and "padding-oracle" in t


def test_pod_security_is_enabled_by_the_api_server_not_kubeadm() -> None:
    # PodSecurity is a default-on plugin of kube-apiserver (GA in 1.25); kubeadm's
    # static pod manifest adds only --enable-admission-plugins=NodeRestriction.
    t = text("admission-control")
    assert "kubeadm (and so kind) turns on, among others" not in t
    assert "API server turns a default set of plugins on" in t


@pytest.mark.parametrize("scenario_id", ["rbac-least-privilege"])
def test_kubectl_auth_can_i_sends_a_self_subject_access_review(scenario_id: str) -> None:
    # kubectl auth can-i creates authorization.k8s.io/v1 SelfSubjectAccessReview.
    t = text(scenario_id)
    assert "can-i` (a SubjectAccessReview)" not in t
    assert "SelfSubjectAccessReview" in t
