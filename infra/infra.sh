#!/usr/bin/env bash
# Local infrastructure for clinlora: a single-node Kafka 4.1.2 in KRaft mode and S3Proxy 4.1.0 (filesystem backend),
# both on 127.0.0.1, fetched from Maven Central on first use. State, pid files and logs live under the run directory.
# On request only, an OpenID Connect provider (NAV's mock-oauth2-server 2.1.10, issuer http://127.0.0.1:PORT/clinlora,
# a login form taking any user name and claims) for signing in to the console through the authorization code flow.
#
#   infra.sh up [kafka|s3|oidc]      start (idempotent), wait until ready; no component: kafka and s3
#   infra.sh down [kafka|s3|oidc]    stop (idempotent); no component: all three
#   infra.sh status [kafka|s3|oidc]  exit 0 when everything asked for is running, 3 otherwise; no component: kafka, s3
#
# Defaults follow docs/ARCHITECTURE.md ("Local defaults") and can be overridden by environment variables:
#   CLINLORA_RUN_DIR (.run at the repo root), CLINLORA_KAFKA_PORT (9092), CLINLORA_KAFKA_CONTROLLER_PORT (9093),
#   CLINLORA_KAFKA_SASL_PORT (9094, SASL_PLAINTEXT with SCRAM-SHA-512),
#   CLINLORA_S3_PORT (9000), CLINLORA_S3_ACCESS_KEY / CLINLORA_S3_SECRET_KEY (minioadmin), CLINLORA_S3_BUCKET (clinlora),
#   CLINLORA_OIDC_PORT (9080)
#
# TLS mode, on request only (CLINLORA_INFRA_TLS=1; the integration tests always ask for it): the same transport the k8s
# overlays use, beside the plain listeners. A throwaway CA and a certificate for 127.0.0.1/localhost are made once with
# the JDK's keytool under $CLINLORA_RUN_DIR/tls (ca.crt; ca.p12 + ca.password, the truststore, laid out as Strimzi's
# cluster CA Secret; server.p12, the servers' keystore: local development material, never a real secret); Kafka gains a
# SASL_SSL listener with SCRAM-SHA-512 (CLINLORA_KAFKA_SSL_PORT, default the SASL port + 1: 9095) and S3Proxy an https
# endpoint (CLINLORA_S3_TLS_PORT, default the S3 port + 443: 9443). A component already running without TLS is not
# changed: `down` it first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${CLINLORA_RUN_DIR:-$ROOT/.run}"
KAFKA_PORT="${CLINLORA_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${CLINLORA_KAFKA_CONTROLLER_PORT:-9093}"
# A second listener with SASL/SCRAM-SHA-512, to exercise the services' Kafka authentication settings locally
# (users are added with the Admin API; the services' default stays the PLAINTEXT listener).
KAFKA_SASL_PORT="${CLINLORA_KAFKA_SASL_PORT:-9094}"
S3_PORT="${CLINLORA_S3_PORT:-9000}"
# The TLS ports follow the ports above, so a run with moved ports moves them too.
TLS="${CLINLORA_INFRA_TLS:-0}"
KAFKA_SSL_PORT="${CLINLORA_KAFKA_SSL_PORT:-$((KAFKA_SASL_PORT + 1))}"
S3_TLS_PORT="${CLINLORA_S3_TLS_PORT:-$((S3_PORT + 443))}"
S3_ACCESS="${CLINLORA_S3_ACCESS_KEY:-minioadmin}"
S3_SECRET="${CLINLORA_S3_SECRET_KEY:-minioadmin}"
S3_BUCKET="${CLINLORA_S3_BUCKET:-clinlora}"
OIDC_PORT="${CLINLORA_OIDC_PORT:-9080}"
KAFKA_VERSION=4.1.2
MOCK_OAUTH2_VERSION=2.1.10
S3PROXY_VERSION=4.1.0
READY_TIMEOUT="${CLINLORA_INFRA_TIMEOUT:-90}"

# shellcheck source=lib.sh
source "$ROOT/infra/lib.sh"
log() { echo "infra: $*" >&2; }
die() { echo "infra: error: $*" >&2; exit 2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { pidfile_alive "$RUN/$1.pid"; }

# fetch NAME VERSION MAVEN-ARGS...: jars into $RUN/lib/NAME-VERSION once; a marker file says the copy is complete
fetch() {
  local name=$1 version=$2 lib="$RUN/lib/$1-$2"; shift 2
  if [[ ! -f "$lib/.complete" ]]; then
    command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch $name $version from Maven Central"
    log "fetching $name $version through Maven (first use only)"
    rm -rf "$lib"
    mvn -B -q "$@" -DoutputDirectory="$lib" >"$RUN/logs/fetch-$name.log" 2>&1 \
      || die "fetching $name failed; see $RUN/logs/fetch-$name.log"
    touch "$lib/.complete"
  fi
  echo "$lib"
}

tls_on() { [[ $TLS == 1 || $TLS == true ]]; }

# tls_material: the TLS mode's CA and server certificate under $RUN/tls, made once (a marker says the set is complete).
tls_material() {
  local dir="$RUN/tls"
  [[ -f "$dir/.complete" ]] && return 0
  command -v keytool >/dev/null || die "the JDK's keytool is needed for CLINLORA_INFRA_TLS=1"
  log "making a throwaway local CA and a certificate for 127.0.0.1 under $dir (first TLS use only)"
  rm -rf "$dir"; mkdir -p "$dir"; chmod 700 "$dir"
  local pw; pw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  local k=(keytool -storetype PKCS12 -storepass "$pw") out="$RUN/logs/tls.log"
  # Chained: under `||` a failing step would not stop a plain list.
  { "${k[@]}" -genkeypair -keystore "$dir/ca-key.p12" -alias ca -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=clinlora local development CA" -ext bc:c \
    && "${k[@]}" -exportcert -keystore "$dir/ca-key.p12" -alias ca -rfc -file "$dir/ca.crt" \
    && "${k[@]}" -genkeypair -keystore "$dir/server.p12" -alias server -keyalg RSA -keysize 2048 -validity 3650 \
      -dname "CN=127.0.0.1" \
    && "${k[@]}" -certreq -keystore "$dir/server.p12" -alias server -file "$dir/server.csr" \
    && "${k[@]}" -gencert -keystore "$dir/ca-key.p12" -alias ca -infile "$dir/server.csr" -outfile "$dir/server.crt" \
      -rfc -validity 3650 -ext san=ip:127.0.0.1,dns:localhost -ext ku:c=digitalSignature,keyEncipherment \
      -ext eku=serverAuth \
    && "${k[@]}" -importcert -keystore "$dir/server.p12" -alias ca -file "$dir/ca.crt" -noprompt \
    && "${k[@]}" -importcert -keystore "$dir/server.p12" -alias server -file "$dir/server.crt" \
    && "${k[@]}" -importcert -keystore "$dir/ca.p12" -alias ca -file "$dir/ca.crt" -noprompt
  } >"$out" 2>&1 || die "keytool failed making the TLS material; see $out"
  printf '%s' "$pw" >"$dir/ca.password"
  printf '%s' "$pw" >"$dir/server.password"
  chmod 600 "$dir"/*.p12 "$dir"/*.password
  rm -f "$dir/server.csr"
  touch "$dir/.complete"
}

# tls_check NAME CONFIG MARKER: a running component asked for TLS must have been started with it.
tls_check() {
  tls_on || return 0
  grep -q "$3" "$2" 2>/dev/null && return 0
  die "$1 is running without its TLS endpoint (it was started without CLINLORA_INFRA_TLS=1); stop it first (infra.sh down ${1%proxy}) and start it again with CLINLORA_INFRA_TLS=1"
}

fetch_kafka() { fetch kafka "$KAFKA_VERSION" -f "$ROOT/infra/pom.xml" dependency:copy-dependencies; }

fetch_s3proxy() {
  fetch s3proxy "$S3PROXY_VERSION" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies"
}

fetch_oidc() { fetch mock-oauth2-server "$MOCK_OAUTH2_VERSION" -f "$ROOT/infra/oidc-pom.xml" dependency:copy-dependencies; }

# wait_ready NAME PORT: the port answers while the process lives
wait_ready() {
  local name=$1 port=$2 deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    pid_alive "$name" || { rm -f "$RUN/$name.pid"; die "$name exited during start-up; see $RUN/logs/$name.log"; }
    port_open "$port" && { log "$name ready on 127.0.0.1:$port (pid $(cat "$RUN/$name.pid"))"; return 0; }
    sleep 0.5
  done
  stop_one "$name"
  die "$name not ready on port $port after ${READY_TIMEOUT}s; see $RUN/logs/$name.log"
}

start_kafka() {
  if pidfile_running kafka "$RUN/kafka.pid"; then
    tls_check kafka "$RUN/kafka/server.properties" "^listener.name.sasl_ssl"
    log "kafka already running (pid $(cat "$RUN/kafka.pid"))"; return 0
  fi
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process; stop it or set CLINLORA_KAFKA_PORT"
  port_open "$KAFKA_SASL_PORT" && die "port $KAFKA_SASL_PORT is taken by another process; stop it or set CLINLORA_KAFKA_SASL_PORT"
  if tls_on; then
    port_open "$KAFKA_SSL_PORT" && die "port $KAFKA_SSL_PORT is taken by another process; stop it or set CLINLORA_KAFKA_SSL_PORT"
    tls_material
  fi
  local lib; lib=$(fetch_kafka)
  local dir="$RUN/kafka" cp="$lib/*"
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$KAFKA_SASL_PORT"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT" ssl=""
  if tls_on; then
    listeners+=",SASL_SSL://127.0.0.1:$KAFKA_SSL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
    # SCRAM-SHA-512 over TLS, as Strimzi's tls listener with scram-sha-512 authentication in k8s/base/kafka.yaml.
    ssl="listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.location=$RUN/tls/server.p12
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.password=$(cat "$RUN/tls/server.password")"
  fi
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
# single-node KRaft: one process is broker and controller
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=$listeners,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=$listeners
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
$ssl
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local id; id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>>"$RUN/logs/kafka.log" | tail -n 1)
    java -cp "$cp" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" >>"$RUN/logs/kafka.log" 2>&1 \
      || die "formatting Kafka storage failed; see $RUN/logs/kafka.log"
  fi
  nohup java -Xms128m -Xmx512m -cp "$cp" kafka.Kafka "$dir/server.properties" >>"$RUN/logs/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN/kafka.pid"
  wait_ready kafka "$KAFKA_PORT"
  if tls_on; then wait_ready kafka "$KAFKA_SSL_PORT"; fi
}

start_s3() {
  if pidfile_running s3proxy "$RUN/s3proxy.pid"; then
    tls_check s3proxy "$RUN/s3/s3proxy.conf" "^s3proxy.secure-endpoint"
    log "s3proxy already running (pid $(cat "$RUN/s3proxy.pid"))"; return 0
  fi
  port_open "$S3_PORT" && die "port $S3_PORT is taken by another process; stop it or set CLINLORA_S3_PORT"
  local secure=""
  if tls_on; then
    port_open "$S3_TLS_PORT" && die "port $S3_TLS_PORT is taken by another process; stop it or set CLINLORA_S3_TLS_PORT"
    tls_material
    # One process, one data directory: the https endpoint serves the same buckets as the http one.
    secure="s3proxy.secure-endpoint=https://127.0.0.1:$S3_TLS_PORT
s3proxy.keystore-path=$RUN/tls/server.p12
s3proxy.keystore-password=$(cat "$RUN/tls/server.password")"
  fi
  local lib; lib=$(fetch_s3proxy)
  local dir="$RUN/s3"
  # The filesystem backend keeps each bucket as a directory: the default bucket exists from the start.
  mkdir -p "$dir/data/$S3_BUCKET"
  cat >"$dir/s3proxy.conf" <<PROPS
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS
s3proxy.credential=$S3_SECRET
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$dir/data
$secure
PROPS
  nohup java -Xms64m -Xmx512m -jar "$lib/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar" --properties "$dir/s3proxy.conf" \
    >>"$RUN/logs/s3proxy.log" 2>&1 </dev/null &
  echo $! >"$RUN/s3proxy.pid"
  wait_ready s3proxy "$S3_PORT"
  if tls_on; then wait_ready s3proxy "$S3_TLS_PORT"; fi
}

# The provider signs RS256 tokens with a key of its own (published at its jwks_uri); the audience of every token is
# "clinlora", the services' mp.jwt.verify.audiences, and the claims (groups ...) are what the login form is given.
start_oidc() {
  if pidfile_running mock-oauth2-server "$RUN/mock-oauth2-server.pid"; then
    log "mock-oauth2-server already running (pid $(cat "$RUN/mock-oauth2-server.pid"))"; return 0
  fi
  port_open "$OIDC_PORT" && die "port $OIDC_PORT is taken by another process; stop it or set CLINLORA_OIDC_PORT"
  local lib; lib=$(fetch_oidc)
  local config='{"interactiveLogin":true,"httpServer":"NettyWrapper","tokenCallbacks":[{"issuerId":"clinlora",
    "tokenExpiry":3600,"requestMappings":[{"requestParam":"grant_type","match":"*","claims":{"aud":["clinlora"]}}]}]}'
  SERVER_HOSTNAME=127.0.0.1 SERVER_PORT="$OIDC_PORT" JSON_CONFIG="$config" nohup java -Xms64m -Xmx256m -cp "$lib/*" \
    no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt >>"$RUN/logs/mock-oauth2-server.log" 2>&1 </dev/null &
  echo $! >"$RUN/mock-oauth2-server.pid"
  wait_ready mock-oauth2-server "$OIDC_PORT"
}

stop_one() {
  stop_pidfile "$1" "$RUN/$1.pid"
}

# status_one NAME PORT...: running when the process lives and every port answers.
status_one() {
  local name=$1 port; shift
  if pid_alive "$name"; then
    for port in "$@"; do port_open "$port" || { echo "$name: stopped (nothing on 127.0.0.1:$port)"; return 3; }; done
    echo "$name: running (pid $(cat "$RUN/$name.pid"), 127.0.0.1:$(IFS=,; echo "$*"))"
  else
    echo "$name: stopped"; return 3
  fi
}

action="${1:-}"; what="${2:-all}"
case "$what" in all|kafka|s3|oidc) ;; *) die "component must be kafka, s3 or oidc, got '$what'";; esac
mkdir -p "$RUN/logs"
# One start or stop at a time: test JVMs forked side by side may each find a component down and start it; the second
# waits here and then finds it running. flock -o: the servers started do not inherit (and hold) the lock.
# Without util-linux's flock (or with one that has no -o), starts and stops go unlocked, as before.
if [[ ($action == up || $action == down) && -z ${CLINLORA_INFRA_LOCKED:-} ]] && flock -o -n /dev/null true 2>/dev/null; then
  CLINLORA_INFRA_LOCKED=1 exec flock -o "$RUN/infra.lock" "$BASH" "${BASH_SOURCE[0]}" "$@"
fi
case "$action" in
  up)
    if [[ $what == all || $what == kafka ]]; then start_kafka; fi
    if [[ $what == all || $what == s3 ]]; then start_s3; fi
    if [[ $what == oidc ]]; then start_oidc; fi
    ;;
  down)
    if [[ $what == all || $what == kafka ]]; then stop_one kafka; fi
    if [[ $what == all || $what == s3 ]]; then stop_one s3proxy; fi
    if [[ $what == all || $what == oidc ]]; then stop_one mock-oauth2-server; fi
    ;;
  status)
    rc=0
    kafka_ports=("$KAFKA_PORT") s3_ports=("$S3_PORT")
    if tls_on; then kafka_ports+=("$KAFKA_SSL_PORT"); s3_ports+=("$S3_TLS_PORT"); fi
    if [[ $what == all || $what == kafka ]]; then status_one kafka "${kafka_ports[@]}" || rc=3; fi
    if [[ $what == all || $what == s3 ]]; then status_one s3proxy "${s3_ports[@]}" || rc=3; fi
    if [[ $what == oidc ]]; then status_one mock-oauth2-server "$OIDC_PORT" || rc=3; fi
    exit $rc
    ;;
  -h|--help|help|"")
    sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; [[ -n "$action" ]] ;;
  *) die "usage: infra.sh up|down|status [kafka|s3|oidc]" ;;
esac
