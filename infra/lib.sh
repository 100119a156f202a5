# Shared by infra.sh and services.sh (sourced; the caller defines log): processes behind pid files.

# stop_pidfile LABEL PIDFILE: TERM, up to 30 s for it to go, then KILL; idempotent; removes the pid file.
stop_pidfile() {
  local label=$1 f=$2
  if [[ ! -f "$f" ]]; then log "$label not running"; return 0; fi
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "$label did not stop in 30s; killing"; kill -9 "$pid" 2>/dev/null || true; }
    log "$label stopped"
  else
    log "$label not running (stale pid file removed)"
  fi
  rm -f "$f"
}
