# Sourced: a private PulseAudio daemon with a null sink `vsink` (16 kHz mono) whose monitor is
# the default source, so PortAudio (through ALSA's pulse plugin) has a real capture device on a
# machine with no sound hardware. Tests play audio into vsink and capture it back.
audio_sandbox_start() {
  if ! command -v pulseaudio >/dev/null; then
    echo "audio-sandbox: pulseaudio not installed; audio tests will report no device" >&2
    return 0
  fi
  export XDG_RUNTIME_DIR=$(mktemp -d /tmp/pa-rt.XXXXXX)
  export OMNISPARSE_AUDIO_HOME_SAVED=${HOME:-}
  export HOME=$XDG_RUNTIME_DIR
  pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n \
    --load="module-native-protocol-unix" \
    --load="module-null-sink sink_name=vsink rate=16000 channels=1" \
    --log-target=file:$XDG_RUNTIME_DIR/pulse.log || { echo "audio-sandbox: pulseaudio failed" >&2; return 0; }
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  pactl set-default-sink vsink && pactl set-default-source vsink.monitor
  export OMNISPARSE_TEST_SINK=vsink
  echo "audio-sandbox: PulseAudio null sink vsink ready ($XDG_RUNTIME_DIR)"
}

audio_sandbox_stop() {
  if [ -n "${OMNISPARSE_TEST_SINK:-}" ]; then
    pulseaudio --kill >/dev/null 2>&1 || true
    unset OMNISPARSE_TEST_SINK
  fi
  if [ -n "${OMNISPARSE_AUDIO_HOME_SAVED:-}" ]; then export HOME=$OMNISPARSE_AUDIO_HOME_SAVED; fi
}
