#!/usr/bin/env bash
# One-time set-up of a development machine (also what CI runs): node modules,
# Debian's redis-server (and openssl), mongo-java-server (the embedded read store,
# Maven Central) and FerretDB (a second Mongo-wire server for the tests) built with Go.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm ci --no-audit --no-fund
# openssl makes the throwaway CA of the Redis-over-TLS test.
missing=""
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $missing >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq $missing >/dev/null; fi
fi
# mongo-java-server (Maven Central) is the embedded read store; it needs a JDK and Maven.
if ! command -v javac >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq default-jdk-headless maven >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq default-jdk-headless maven >/dev/null; fi
fi
bash deploy/dev/install-mongo-java-server.sh
# FerretDB stays in the test matrix (the read-model tests run on both servers).
if command -v go >/dev/null 2>&1; then bash deploy/dev/install-ferretdb.sh
else echo "Go is missing: FerretDB cannot be built; set MONGO_URL to a MongoDB server" >&2; fi

# --- Clients in other languages (test/clients, README "Clients in other languages") ---
# Appended by the clients' owner. Python: grpcio, grpcio-status,
# googleapis-common-protos and grpcio-tools (whose protoc and grpc_python
# generator test/clients/buf.gen.clients.yaml calls). Go: the two protoc
# plugins, pinned, into $(go env GOPATH)/bin, and the client module's
# dependencies. Each step is a no-op when already done. Without Go the
# clients' e2e test fails (it does not skip).
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r test/clients/python/requirements.txt
if command -v go >/dev/null 2>&1; then
  go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
  go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
  # Download the client module's dependencies and compile them into the build
  # cache (minutes cold on 2 cores, a second warm), so the e2e test only
  # builds the client itself.
  (cd test/clients/go && go mod download && go build google.golang.org/grpc \
    google.golang.org/grpc/credentials/insecure google.golang.org/grpc/status \
    google.golang.org/genproto/googleapis/rpc/errdetails google.golang.org/protobuf/runtime/protoimpl)
else echo "Go is missing: the Go client of test/clients cannot be built" >&2; fi

# --- grpcurl (issue 12): test/e2e/grpcurl-reflection.e2e.test.ts drives the API through server reflection only. ---
if command -v go >/dev/null 2>&1; then go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
else echo "Go is missing: grpcurl cannot be installed (the reflection e2e test fails)" >&2; fi

# --- The Python KurrentDB client (issue 16): test/esdb/python-client.e2e.test.ts runs
# PyPI's kurrentdbclient against the embedded event store. Its own virtualenv,
# since its grpcio[protobuf] requirement would move test/clients' pinned grpcio.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  # Debian ships venv's pip bootstrap separately.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv >/dev/null; fi
fi
[ -x test/esdb/python/.venv/bin/python ] || python3 -m venv test/esdb/python/.venv
test/esdb/python/.venv/bin/pip install -q --disable-pip-version-check -r test/esdb/python/requirements.txt
