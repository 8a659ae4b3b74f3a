# Shared by setup.sh and teardown.sh (sourced): is a daemon's PID file live?

# alive PID : process exists and is not a zombie (PID 1 in some containers/VMs
# reaps orphans lazily, so a stopped daemon can linger as <defunct> for a while)
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# is_running PIDFILE BINARY : the PID file names a live process running BINARY.
# Compare fully resolved paths: on Debian /usr/sbin/slurmctld is a symlink to
# slurmctld-wlm (alternatives), so comparing base names silently fails -- and a
# second slurmctld/slurmd then kills the first ("killing old slurmctld[PID]"),
# whose exit removes the *new* PID file.
is_running() {
  local pf=$1 bin=$2 pid
  [ -s "$pf" ] || return 1
  pid=$(cat "$pf")
  alive "$pid" || return 1
  # (a binary replaced/removed by apt while running reads as "PATH (deleted)")
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null | sed 's/ (deleted)$//')" = "$(readlink -f "$bin")" ]
}
