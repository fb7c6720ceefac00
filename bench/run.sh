#!/usr/bin/env bash
# Runs a benchmark harness of this module: bench/run.sh NAME [args], such as ApiOverheadBench or RemoteClientBench.
# Build first: ./mvnw -q -pl bench -am package -DskipTests
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cp="$here/target/classes:$(cat "$here/target/classpath.txt")"
main=$1
shift
exec java -Xmx2g -cp "$cp" "dev.locallm.bench.$main" "$@"
