#!/usr/bin/env bash
# Runs Floodgate from this checkout: installs Node.js and npm with apt-get if they are
# missing (the web pages are built into the binary), then
# `cargo run --release -p server -- ARGS`. The README's first command is
#   scripts/run.sh --demo
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/web.sh
source scripts/lib/web.sh
web_install_build
exec cargo run --release -p server -- "$@"
