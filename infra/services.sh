#!/usr/bin/env bash
# The clinlora services (the four back-end services and the console) as separate processes, from the jars `mvn -B -DskipTests package` built
# (<svc>/target/quarkus-app/quarkus-run.jar), on ports 8081-8085 (docs/ARCHITECTURE.md, "Local defaults"), with pid files and logs in the run directory.
#
#   services.sh up [svc...]       start (idempotent), wait until /q/health/ready answers 200
#   services.sh down [svc...]     stop (idempotent): TERM, 30 s, then KILL
#   services.sh status [svc...]   exit 0 when every service asked for is running and ready, 3 otherwise
#
# svc is tokenizer, registry, trainer, scorer or console (default: all five). Ports: CLINLORA_{TOKENIZER,REGISTRY,TRAINER,SCORER,CONSOLE}_PORT
# (8081-8085). Extra JVM options: CLINLORA_SERVICE_JAVA_OPTS. Kafka and S3 settings come from the same CLINLORA_* variables
# the services read (see each application.properties).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN="${CLINLORA_RUN_DIR:-$ROOT/.run}"
READY_TIMEOUT="${CLINLORA_SERVICES_TIMEOUT:-120}"
ALL=(tokenizer registry trainer scorer console)

# shellcheck source=lib.sh
source "$ROOT/infra/lib.sh"
log() { echo "services: $*" >&2; }
die() { echo "services: error: $*" >&2; exit 2; }

port_of() {
  case "$1" in
    tokenizer) echo "${CLINLORA_TOKENIZER_PORT:-8081}" ;;
    registry) echo "${CLINLORA_REGISTRY_PORT:-8082}" ;;
    trainer) echo "${CLINLORA_TRAINER_PORT:-8083}" ;;
    scorer) echo "${CLINLORA_SCORER_PORT:-8084}" ;;
    console) echo "${CLINLORA_CONSOLE_PORT:-8085}" ;;
    *) die "service must be one of: ${ALL[*]}; got '$1'" ;;
  esac
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { pidfile_alive "$RUN/$1-svc.pid"; }
ready() { curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$1/q/health/ready"; }

start_one() {
  local svc=$1 port; port=$(port_of "$1")
  local jar="$ROOT/$svc-svc/target/quarkus-app/quarkus-run.jar"
  if pidfile_running "$svc-svc" "$RUN/$svc-svc.pid"; then log "$svc-svc already running (pid $(cat "$RUN/$svc-svc.pid"))"; return 0; fi
  [[ -f "$jar" ]] || die "$jar is missing; build first: mvn -B -DskipTests package"
  port_open "$port" && die "port $port is taken by another process; stop it or set CLINLORA_${svc^^}_PORT"
  mkdir -p "$RUN/logs" "$RUN/djl-cache"
  # oneMKL's reproducible mode for the trainer (a run, and a resumed one, repeats bit for bit on the same CPU).
  local cbwr=""
  [[ $svc == trainer && -z "${MKL_CBWR:-}" ]] && cbwr=AUTO,STRICT
  # Offline: libtorch unpacks from the pytorch-native-cpu jar into the run directory's DJL cache.
  # Security is on: the services verify bearer tokens against the development public key under $RUN/auth (or the
  # CLINLORA_JWT_* settings given), and each calls the others with its own least-privilege token.
  CLINLORA_JWT_PUBLIC_KEY_LOCATION="${CLINLORA_JWT_PUBLIC_KEY_LOCATION:-file:$RUN/auth/jwt-public.pem}" \
  CLINLORA_SERVICE_TOKEN_FILE="$RUN/auth/$svc-svc.token" \
  DJL_CACHE_DIR="${DJL_CACHE_DIR:-$RUN/djl-cache}" OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" \
  LD_PRELOAD="$(mkl_avx512_preload)" GLIBC_TUNABLES="${GLIBC_TUNABLES:-$CLINLORA_MALLOC_TUNABLES}" \
    env ${cbwr:+MKL_CBWR=$cbwr} nohup java ${CLINLORA_SERVICE_JAVA_OPTS:-} -Dai.djl.offline=true -jar "$jar" >>"$RUN/logs/$svc-svc.log" 2>&1 </dev/null &
  echo $! >"$RUN/$svc-svc.pid"
}

wait_ready() {
  local svc=$1 port; port=$(port_of "$1")
  local deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    pid_alive "$svc" || { rm -f "$RUN/$svc-svc.pid"; die "$svc-svc exited during start-up; see $RUN/logs/$svc-svc.log"; }
    ready "$port" && { log "$svc-svc ready on http://127.0.0.1:$port (pid $(cat "$RUN/$svc-svc.pid"))"; return 0; }
    sleep 0.5
  done
  stop_one "$svc"
  die "$svc-svc not ready after ${READY_TIMEOUT}s (is ./clinlora infra up?); see $RUN/logs/$svc-svc.log"
}

stop_one() {
  stop_pidfile "$1-svc" "$RUN/$1-svc.pid"
}

action="${1:-}"; shift || true
svcs=("$@"); ((${#svcs[@]})) || svcs=("${ALL[@]}")
for s in "${svcs[@]}"; do port_of "$s" >/dev/null; done
case "$action" in
  up)
    # The development key pair and the services' own tokens (24 h, renewed at every up).
    CLINLORA_RUN_DIR="$RUN" "$ROOT/clinlora" token --service-tokens 2>/dev/null || die "could not mint the service tokens (is the project built?)"
    # Start all first (they boot in parallel), then wait for each.
    for s in "${svcs[@]}"; do start_one "$s"; done
    for s in "${svcs[@]}"; do wait_ready "$s"; done
    log "security is on: call them with a token, e.g. curl -H \"Authorization: Bearer \$(./clinlora token --role scorer-client)\" ..."
    if [[ " ${svcs[*]} " == *" console "* ]]; then
      log "console: http://127.0.0.1:$(port_of console)/ (sign in with a token: ./clinlora token --role registry-admin --role trainer --role scorer-client)"
    fi ;;
  down) for s in "${svcs[@]}"; do stop_one "$s"; done ;;
  status)
    rc=0
    for s in "${svcs[@]}"; do
      p=$(port_of "$s")
      if pid_alive "$s" && ready "$p"; then echo "$s-svc: running (pid $(cat "$RUN/$s-svc.pid"), http://127.0.0.1:$p)"
      elif pid_alive "$s"; then echo "$s-svc: running, not ready (pid $(cat "$RUN/$s-svc.pid"))"; rc=3
      else echo "$s-svc: stopped"; rc=3; fi
    done
    exit $rc ;;
  -h|--help|help|"") sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; [[ -n "$action" ]] ;;
  *) die "usage: services.sh up|down|status [tokenizer|registry|trainer|scorer|console ...]" ;;
esac
