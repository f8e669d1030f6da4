# Process helpers shared by pg-node.sh and the local runner (sourced).

# alive PID...: true while any of them runs. A zombie has exited (only its parent has not reaped it yet).
alive() {
  local pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] && return 0
  done
  return 1
}
