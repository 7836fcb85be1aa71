#!/usr/bin/env bash
# Captures a steady run with --pcap and checks with tshark that the capture holds exactly as many
# IN completions with data as the packets the run delivered (steady: nothing is lost, so every
# packet that crossed the link was delivered). Also checks the control transfers decode: the
# driver's enumeration (GET_DESCRIPTOR device, configuration twice, strings) and SET_CONFIGURATION.
# Usage: tests/pcap_tshark.sh [BUILD_DIR]   (default build). Skips (exit 0) without tshark.
set -euo pipefail
build=${1:-build}
if ! command -v tshark >/dev/null; then
  echo "pcap_tshark: tshark is not installed (Debian package tshark); skipped"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/usbsim" run scenarios/steady.yaml --time-scale 5 --quiet --pcap "$tmp/run.pcap" \
  --json "$tmp/run.json"
delivered=$(grep -o '"delivered": *[0-9]*' "$tmp/run.json" | head -1 | grep -o '[0-9]*$')
count() { tshark -r "$tmp/run.pcap" -Y "$1" -T fields -e usb.urb_id 2>/dev/null | wc -l; }
in_data=$(count "usb.transfer_type == 0x01 && usb.urb_type == 'C' && usb.urb_status == 0 && usb.data_len > 0")
submits=$(count "usb.transfer_type == 0x01 && usb.urb_type == 'S' && usb.endpoint_address == 0x81")
config=$(count "usb.setup.bRequest == 9 && usb.urb_type == 'S'")
descs=$(count "usb.setup.bRequest == 6 && usb.urb_type == 'S'")
echo "pcap_tshark: delivered $delivered, IN completions with data $in_data, IN submits $submits, GET_DESCRIPTOR $descs, SET_CONFIGURATION $config"
[ "$in_data" -eq "$delivered" ] && [ "$delivered" -gt 0 ] || {
  echo "pcap_tshark: tshark counts $in_data packets, the report $delivered" >&2; exit 1; }
[ "$submits" -ge "$in_data" ] && [ "$config" -ge 1 ] && [ "$descs" -ge 3 ] || {
  echo "pcap_tshark: submits or control transfers missing from the capture" >&2; exit 1; }
echo "pcap_tshark: ok"
