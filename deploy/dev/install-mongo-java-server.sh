#!/usr/bin/env bash
# Installs mongo-java-server (de.bwaldvogel, Maven Central), the Mongo-wire
# server of the embedded read store, with Ledger's launcher compiled beside
# it. Needs a JDK (17+) and Maven; both are Debian packages. Idempotent.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/mongo-java-server" && pwd)"
DEST="${LEDGER_TOOLS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/ledger}/mongo-java-server"
if [ -f "$DEST/classes/MongoWireServer.class" ] && [ "$DEST/classes/MongoWireServer.class" -nt "$HERE/MongoWireServer.java" ] \
  && [ "$DEST/lib/.complete" -nt "$HERE/pom.xml" ]; then echo "mongo-java-server present: $DEST"; exit 0; fi
mkdir -p "$DEST/lib" "$DEST/classes"
mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DEST/lib" -DincludeScope=runtime
touch "$DEST/lib/.complete"
javac -d "$DEST/classes" -cp "$DEST/lib/*" "$HERE/MongoWireServer.java"
echo "mongo-java-server installed: $DEST"
