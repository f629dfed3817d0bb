#!/usr/bin/env bash
# Regenerates the README screenshots in assets/ from the demo data: runs the real binary in
# tmux, sends keys, captures the screen with colours, renders it with headless Chromium.
# Needs: tmux, aha, chromium, fonts-dejavu-core (Debian packages). Run from the repo root.
set -euo pipefail
bin=${BIN:-target/release/xray-tui}
out=${OUT:-assets}
work=$(mktemp -d)
trap 'rm -rf "$work"; tmux kill-session -t xray-shot 2>/dev/null || true' EXIT
cargo build --release --locked -q

# shot NAME KEYS...: the app on the demo data (ARGS overrides the arguments; BEFORE_KEYS runs
# a shell command after start-up, before the keys).
shot() {
  local name=$1; shift
  tmux kill-session -t xray-shot 2>/dev/null || true
  tmux new-session -d -s xray-shot -x 160 -y 45 "TERM=xterm-256color $bin ${ARGS:---demo}"
  sleep 1.5
  if [ -n "${BEFORE_KEYS:-}" ]; then bash -c "$BEFORE_KEYS"; sleep 1.5; fi
  for k in "$@"; do tmux send-keys -t xray-shot "$k"; sleep 0.4; done
  sleep 0.6
  tmux capture-pane -e -p -t xray-shot > "$work/$name.ansi"
  tmux kill-session -t xray-shot
  {
    echo '<html><head><meta charset="utf-8"><style>body{background:#000;margin:8px}'
    echo 'pre{font-family:"DejaVu Sans Mono",monospace;font-size:13px;line-height:1.2;color:#ddd;margin:0}</style></head><body><pre>'
    aha --black --no-header < "$work/$name.ansi"
    echo '</pre></body></html>'
  } > "$work/$name.html"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars --window-size=1300,760 \
    --screenshot="$out/$name.png" "file://$work/$name.html" >/dev/null 2>&1
  echo "$out/$name.png"
}

shot screen-trace-list f
shot screen-trace-view f T Enter ! 6
shot screen-help '?'
shot screen-service-map m
shot screen-filter-prompt / s e r v i c e '(' '"' p a
shot screen-palette C-p c h e c k o u t
shot screen-time-window w 5 m Enter
cat > "$work/groups.toml" <<'TOML'
[[groups]]
name = "payments-faults"
filter = 'service("payments") { fault }'

[[groups]]
name = "gold-customers"
filter = 'annotation.customer_tier = "gold"'

[[groups]]
name = "slow-checkout"
filter = 'service("checkout") AND responsetime > 0.3'
TOML
ARGS="--demo --config $work/groups.toml" shot screen-groups C-g j
shot screen-find f Enter / d y n a m o Enter
# The local daemon, live: the demo's documents sent as an SDK would (UDP, header line first),
# plus two damaged datagrams for the diagnostics pane.
send_demo='python3 - <<PY
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for line in open("assets/demo.ndjson").read().splitlines()[:400]:
    s.sendto(b"{\"format\":\"json\",\"version\":1}\n" + line.encode(), ("127.0.0.1", 2999))
s.sendto(b"{\"format\":\"json\",\"version\":1}\n{\"id\": oops", ("127.0.0.1", 2999))
s.sendto(b"no header at all", ("127.0.0.1", 2999))
PY'
ARGS="listen --bind 127.0.0.1:2999" BEFORE_KEYS="$send_demo" shot screen-listen
ARGS="listen --bind 127.0.0.1:2999" BEFORE_KEYS="$send_demo" shot screen-listen-diagnostics D
