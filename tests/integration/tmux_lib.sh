# Shared by the tmux tests (source it): a private tmux server and a deadline-bound poll.
# The sourcing script defines fail() and sets TMUX_SERVER before calling these.

# T ARGS...: tmux on this test's own server, without the user's configuration.
T() { tmux -L "$TMUX_SERVER" -f /dev/null "$@"; }

# wait_until DESCRIPTION SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_until() {
  local what=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "timed out waiting for $what"
    sleep 0.05
  done
}
