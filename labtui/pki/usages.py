"""Names of x509 key usages and extended key usages, as OpenSSL and kubeadm's docs write them.

One table for the generator, the inspector and the scenario format. It imports
nothing heavy: the scenario model validates these names on every start.
"""

from __future__ import annotations

SERVER_AUTH = "serverAuth"
CLIENT_AUTH = "clientAuth"

# name -> attribute of cryptography's x509.KeyUsage
KEY_USAGES = {
    "digitalSignature": "digital_signature",
    "contentCommitment": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
}

# name -> dotted OID (RFC 5280, 4.2.1.12)
EXTENDED_KEY_USAGES = {
    SERVER_AUTH: "1.3.6.1.5.5.7.3.1",
    CLIENT_AUTH: "1.3.6.1.5.5.7.3.2",
    "codeSigning": "1.3.6.1.5.5.7.3.3",
    "emailProtection": "1.3.6.1.5.5.7.3.4",
    "timeStamping": "1.3.6.1.5.5.7.3.8",
    "OCSPSigning": "1.3.6.1.5.5.7.3.9",
}
