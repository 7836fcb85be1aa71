# Sourced by the VM test scripts (ci/vm.sh puts it in /data/): what they share.
# NAME must be set by the caller. Writes the 2 s steady scenario they all play to /tmp/steady2s.yaml.

# Waits up to $1 s for process $2 to end by itself, then sends SIGTERM (the device removes itself).
stop_after() {
  i=0
  while kill -0 "$2" 2>/dev/null && [ $i -lt $(( $1 * 10 )) ]; do sleep 0.1; i=$((i + 1)); done
  kill -0 "$2" 2>/dev/null && { echo "$NAME: stopping the device (pid $2)"; kill -TERM "$2"; }
}

# The FunctionFS device: the product's own command.
FFS_GADGET="usbsim gadget --backend ffs"

# A deep device FIFO: a busy host can stop the emulated CPU for hundreds of ms, and these tests
# check the paths carry every packet, not the host's scheduling.
cat >/tmp/steady2s.yaml <<'YAML'
name: steady-2s
duration_ms: 2000
device:
  fifo_packets: 256
YAML
