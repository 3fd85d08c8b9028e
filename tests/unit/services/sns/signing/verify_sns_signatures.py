#!/usr/bin/python3
"""Independent check of Mallard's SNS signatures, run by mallard_sns_signing_tests.

Reads the certificate (PEM) and a JSON-lines file of cases, each {"envelope": {...}, "expect_valid":
bool}. For each case it builds AWS's string to sign from the envelope itself (its own reading of
"Verifying the signatures of Amazon SNS messages", sharing no code with the C++), picks SHA1 or SHA256
from the envelope's SignatureVersion, and verifies the envelope's Signature with the certificate's
public key through the `cryptography` package. Prints one line per disagreement and exits 1 if any.
"""
import base64
import json
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

NOTIFICATION_KEYS = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
CONFIRMATION_KEYS = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]


def string_to_sign(envelope):
    confirmation = envelope.get("Type") in ("SubscriptionConfirmation", "UnsubscribeConfirmation")
    keys = CONFIRMATION_KEYS if confirmation else NOTIFICATION_KEYS
    parts = []
    for key in keys:
        if key in envelope and envelope[key] is not None:
            parts.append(key + "\n" + envelope[key] + "\n")
    return "".join(parts).encode("utf-8")


def main():
    certificate_path, cases_path = sys.argv[1], sys.argv[2]
    with open(certificate_path, "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    subject = certificate.subject.rfc4514_string()
    if subject != "CN=sns.amazonaws.com":
        print(f"certificate subject {subject!r}, expected CN=sns.amazonaws.com")
        return 1
    public_key = certificate.public_key()
    if public_key.key_size != 2048:
        print(f"key size {public_key.key_size}, expected 2048")
        return 1
    failures = 0
    count = 0
    with open(cases_path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            case = json.loads(line)
            envelope = case["envelope"]
            digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}[envelope["SignatureVersion"]]
            signature = base64.b64decode(envelope["Signature"], validate=True)
            try:
                public_key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), digest)
                valid = True
            except InvalidSignature:
                valid = False
            count += 1
            if valid != case["expect_valid"]:
                failures += 1
                print(f"case {line_number}: valid={valid}, expected {case['expect_valid']}: {json.dumps(envelope)[:300]}")
    print(f"checked {count} cases, {failures} disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
