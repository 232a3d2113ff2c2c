"""labtui: Kubernetes-security labs in the terminal."""

__version__ = "0.1.0"
