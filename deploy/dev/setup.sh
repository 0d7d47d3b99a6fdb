#!/usr/bin/env bash
# One-time set-up of a development machine (also what CI runs): node modules,
# Debian's redis-server, and FerretDB (Mongo-wire test server) built with Go.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm ci --no-audit --no-fund
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq redis-server >/dev/null; fi
fi
if command -v go >/dev/null 2>&1; then bash deploy/dev/install-ferretdb.sh
else echo "Go is missing: FerretDB cannot be built; set MONGO_URL to a MongoDB server" >&2; fi
