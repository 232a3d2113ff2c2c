"""A kubeadm-faithful PKI and kubeconfig generator, and certificate inspection helpers."""
