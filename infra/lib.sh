# Shared by infra.sh and services.sh (sourced; the caller defines log): processes behind pid files.

# process_state PID: running, dying or gone. A killed process stays visible to kill -0 while the kernel tears it down
# (a JVM with GBs of memory: a second or two) and, once dead, as a zombie until it is reaped. "dying" is the first
# (the kernel's PF_EXITING flag, field 9 of /proc/PID/stat): its ports may still be bound. A zombie holds nothing, so it
# counts as gone.
process_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return 0; }
  local -a f
  read -ra f <<<"${stat##*) }"  # fields from the 3rd on (the command name may hold spaces and parentheses)
  if [[ ${f[0]} == Z || ${f[0]} == X || ${f[0]} == x ]]; then echo gone
  elif (( f[6] & 0x4 )); then echo dying
  else echo running; fi
}

# wait_gone PID SECONDS: waits until the process is gone, at most SECONDS; true when it is.
wait_gone() {
  local _
  for _ in $(seq 1 $(($2 * 2))); do [[ $(process_state "$1") == gone ]] && return 0; sleep 0.5; done
  [[ $(process_state "$1") == gone ]]
}

# pidfile_alive PIDFILE: true while the pid file's process is running or still exiting.
pidfile_alive() {
  [[ -f "$1" ]] && [[ $(process_state "$(cat "$1")") != gone ]]
}

# pidfile_running LABEL PIDFILE: true when the pid file names a running process. One that is being killed is waited
# for (up to 30 s, saying so) and then counts as gone; the pid file of a gone process is removed.
pidfile_running() {
  local label=$1 f=$2 pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  case $(process_state "$pid") in
    running) return 0 ;;
    dying)
      log "waiting for the previous $label (pid $pid) to finish exiting"
      if wait_gone "$pid" 30; then log "the previous $label (pid $pid) has exited"
      else log "$label (pid $pid) is still exiting after 30 s; starting a new one"; fi ;;
    gone) log "the previous $label (pid $pid) is gone; starting a new one" ;;
  esac
  rm -f "$f"
  return 1
}

# stop_pidfile LABEL PIDFILE: TERM, up to 30 s for it to go, then KILL; idempotent; removes the pid file.
stop_pidfile() {
  local label=$1 f=$2
  if [[ ! -f "$f" ]]; then log "$label not running"; return 0; fi
  local pid; pid=$(cat "$f")
  if [[ $(process_state "$pid") != gone ]]; then
    kill "$pid" 2>/dev/null || true
    wait_gone "$pid" 30 || { log "$label did not stop in 30s; killing"; kill -9 "$pid" 2>/dev/null || true; wait_gone "$pid" 10 || true; }
    log "$label stopped"
  else
    log "$label not running (stale pid file removed)"
  fi
  rm -f "$f"
}

# glibc malloc settings for processes that run the model (clinlora's commands and the services): tensors of up to
# 32 MiB come from the heap rather than fresh mmaps, and up to 1 GiB of freed heap is kept rather than handed back, so
# a step reuses the previous step's pages instead of faulting in new ones (on a 2-core VM: 4,400 -> 190 page faults
# and 0.08 -> 0.045 s per tiny classification step); larger blocks are madvised for transparent huge pages.
CLINLORA_MALLOC_TUNABLES="glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=67108864"

# mkl_avx512_preload: prints an LD_PRELOAD value that lets libtorch's oneMKL use its AVX-512 kernels on a non-Intel
# CPU with AVX-512 (see native/mkl-vendor-shim.c; ~2.4x the fp32 matmul on AMD Zen 5), or the current LD_PRELOAD
# unchanged where it does not apply: an Intel CPU or one without AVX-512, CLINLORA_MKL_AVX512=off, or no C compiler
# to build the shim (built once into .run/native from the source beside this file).
mkl_avx512_preload() {
  local root=${CLINLORA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
  local src="$root/infra/native/mkl-vendor-shim.c" out="$root/.run/native/libclinlora-mkl-vendor-shim.so"
  local current=${LD_PRELOAD:-}
  if [[ "${CLINLORA_MKL_AVX512:-auto}" == off ]] || grep -qm1 GenuineIntel /proc/cpuinfo 2>/dev/null \
     || ! grep -qm1 -w avx512f /proc/cpuinfo 2>/dev/null; then
    printf '%s' "$current"; return 0
  fi
  if [[ ! -f "$out" || "$src" -nt "$out" ]]; then
    local cc; cc=$(command -v cc || command -v gcc || true)
    if [[ -z "$cc" ]]; then printf '%s' "$current"; return 0; fi
    mkdir -p "$(dirname "$out")"
    "$cc" -shared -fPIC -O2 -o "$out.tmp.$$" "$src" 2>/dev/null && mv -f "$out.tmp.$$" "$out" || { rm -f "$out.tmp.$$"; printf '%s' "$current"; return 0; }
  fi
  printf '%s' "${current:+$current:}$out"
}
