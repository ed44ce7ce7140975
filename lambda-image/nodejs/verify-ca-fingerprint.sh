#!/bin/sh
# Verify that a PEM file contains exactly one certificate whose SHA-256 fingerprint matches
# the expected value, and exit non-zero otherwise. The image builds run this on the
# downloaded Amazon Root CA 1 so that a changed or tampered file fails the build.
#
# Usage: verify-ca-fingerprint.sh CERT_FILE EXPECTED_SHA256_FINGERPRINT
#   EXPECTED_SHA256_FINGERPRINT is 32 colon-separated hex bytes, as printed by
#   `openssl x509 -noout -fingerprint -sha256`; letter case is ignored.
set -eu

if [ "$#" -ne 2 ]; then
  echo "usage: $0 CERT_FILE EXPECTED_SHA256_FINGERPRINT" >&2
  exit 2
fi
cert_file="$1"
expected=$(printf '%s' "$2" | tr 'a-f' 'A-F')

if ! printf '%s' "$expected" | grep -Eq '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'; then
  echo "verify-ca-fingerprint: invalid expected fingerprint '$2': expected 32 colon-separated hex bytes" >&2
  exit 2
fi

if [ ! -r "$cert_file" ]; then
  echo "verify-ca-fingerprint: certificate file '$cert_file' is missing or not readable" >&2
  exit 1
fi

# A second certificate appended to the file would otherwise be trusted without a check,
# because openssl x509 reads only the first one.
certificate_count=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$cert_file" || true)
if [ "$certificate_count" -ne 1 ]; then
  echo "verify-ca-fingerprint: '$cert_file' contains $certificate_count certificates, expected exactly 1" >&2
  exit 1
fi

# OpenSSL prints "sha256 Fingerprint=AA:BB:..." (3.x) or "SHA256 Fingerprint=AA:BB:..." (1.1).
fingerprint_line=$(openssl x509 -in "$cert_file" -noout -fingerprint -sha256)
actual=$(printf '%s' "${fingerprint_line#*=}" | tr 'a-f' 'A-F')

if [ "$actual" != "$expected" ]; then
  echo "verify-ca-fingerprint: SHA-256 fingerprint mismatch for '$cert_file'" >&2
  echo "  expected: $expected" >&2
  echo "  actual:   $actual" >&2
  exit 1
fi
echo "verify-ca-fingerprint: '$cert_file' matches SHA-256 fingerprint $expected"
