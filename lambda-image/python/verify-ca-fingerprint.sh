#!/bin/sh
# Verify that a downloaded PEM file contains exactly one certificate, write a normalized
# copy of it, and check the SHA-256 fingerprint of that copy; exit non-zero otherwise.
# The image builds run this on the downloaded Amazon Root CA 1 and ship only the normalized
# copy, so that a changed, tampered or padded file fails the build.
#
# Usage: verify-ca-fingerprint.sh DOWNLOADED_FILE EXPECTED_SHA256_FINGERPRINT NORMALIZED_FILE
#   EXPECTED_SHA256_FINGERPRINT is 32 colon-separated hex bytes, as printed by
#   `openssl x509 -noout -fingerprint -sha256`; letter case is ignored.
#   NORMALIZED_FILE receives the certificate as one plain "BEGIN CERTIFICATE" block.
set -eu

if [ "$#" -ne 3 ]; then
  echo "usage: $0 DOWNLOADED_FILE EXPECTED_SHA256_FINGERPRINT NORMALIZED_FILE" >&2
  exit 2
fi
downloaded_file="$1"
expected=$(printf '%s' "$2" | tr 'a-f' 'A-F')
normalized_file="$3"

if ! printf '%s' "$expected" | grep -Eq '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'; then
  echo "verify-ca-fingerprint: invalid expected fingerprint '$2': expected 32 colon-separated hex bytes" >&2
  exit 2
fi

if [ ! -r "$downloaded_file" ]; then
  echo "verify-ca-fingerprint: certificate file '$downloaded_file' is missing or not readable" >&2
  exit 1
fi

# OpenSSL loads every PEM block it can parse as a CA, including "X509 CERTIFICATE" and
# "TRUSTED CERTIFICATE" blocks, while openssl x509 checks only the first one. So any second
# block of any label is rejected.
pem_block_count=$(grep -c -- '-----BEGIN ' "$downloaded_file" || true)
if [ "$pem_block_count" -ne 1 ]; then
  echo "verify-ca-fingerprint: '$downloaded_file' contains $pem_block_count PEM blocks, expected exactly 1 certificate" >&2
  exit 1
fi

# The normalized copy contains only the parsed certificate: no text around the block, no
# trust settings and no other label.
if ! openssl x509 -in "$downloaded_file" -out "$normalized_file"; then
  echo "verify-ca-fingerprint: '$downloaded_file' is not a PEM certificate" >&2
  exit 1
fi

# OpenSSL prints "sha256 Fingerprint=AA:BB:..." (3.x) or "SHA256 Fingerprint=AA:BB:..." (1.1).
fingerprint_line=$(openssl x509 -in "$normalized_file" -noout -fingerprint -sha256)
actual=$(printf '%s' "${fingerprint_line#*=}" | tr 'a-f' 'A-F')

if [ "$actual" != "$expected" ]; then
  rm -f "$normalized_file"
  echo "verify-ca-fingerprint: SHA-256 fingerprint mismatch for '$downloaded_file'" >&2
  echo "  expected: $expected" >&2
  echo "  actual:   $actual" >&2
  exit 1
fi
echo "verify-ca-fingerprint: '$normalized_file' matches SHA-256 fingerprint $expected"
