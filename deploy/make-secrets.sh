#!/usr/bin/env bash
# Creates the compose stack's secrets in deploy/secrets/ (kept out of git): the
# Ed25519 signing key, random passwords and the /metrics token. Existing files are kept, so rerunning
# never rotates a key by accident (see docs/OPERATIONS.md for rotation).
# Compose outside swarm mounts secret files with their host permissions, and the
# containers run as non-root users, so the files are made readable (0644) inside this
# 0700 folder.
set -euo pipefail
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 0700 "$dir"
umask 022
[ -f "$dir/signing-key.pem" ] || openssl genpkey -algorithm ed25519 -out "$dir/signing-key.pem"
for name in admin-password postgres-password grafana-admin-password metrics-token; do
    [ -f "$dir/$name" ] || openssl rand -hex 24 | tr -d '\n' >"$dir/$name"
done
chmod 0644 "$dir"/*
echo "secrets in $dir: signing-key.pem admin-password postgres-password grafana-admin-password metrics-token"
