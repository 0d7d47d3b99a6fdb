#!/usr/bin/env bash
# Builds FerretDB v1.24.2 (the Mongo-wire test server) into $(go env GOPATH)/bin.
# A plain `go install` builds a binary that panics at start: the module ships
# without build/version/version.txt, which its build normally generates. So we
# build from a writable copy of the module with that file written.
set -euo pipefail
VERSION=v1.24.2
BIN="$(go env GOPATH)/bin/ferretdb"
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then echo "ferretdb present: $BIN"; exit 0; fi
go mod download "github.com/FerretDB/FerretDB@$VERSION"
SRC="$(go env GOMODCACHE)/github.com/!ferret!d!b/!ferret!d!b@$VERSION"
WORK="$(mktemp -d)"
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
echo "$VERSION" > "$WORK/build/version/version.txt"
(cd "$WORK" && GOFLAGS=-mod=mod go build -o "$BIN" ./cmd/ferretdb)
rm -rf "$WORK"
"$BIN" --version | head -1
