#!/usr/bin/env bash
# Lab only: create a self-signed certificate and import it into ACM, for when you have
# no domain to validate a public ACM certificate with. Browsers will warn; use curl -k.
# Usage: REGION={{region}} ./self-signed-cert.sh   (prints the certificate ARN)
set -euo pipefail
REGION="${REGION:-{{region}}}"
DIR="$(mktemp -d)"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
  -keyout "$DIR/key.pem" -out "$DIR/cert.pem" \
  -subj "/CN=shop.kubedojo.test" \
  -addext "subjectAltName=DNS:shop.kubedojo.test,DNS:*.elb.amazonaws.com" >/dev/null 2>&1
aws acm import-certificate --region "$REGION" \
  --certificate "fileb://$DIR/cert.pem" --private-key "fileb://$DIR/key.pem" \
  --tags Key=project,Value=kubedojo \
  --query CertificateArn --output text
rm -rf "$DIR"
