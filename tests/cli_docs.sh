#!/usr/bin/env bash
# cli_docs — the man page and the bash completion say what the program's help says.
# For every command (and bench's sub-commands) listed by `usbsim --help`, every option its
# `usbsim help CMD` prints must appear in docs/usbsim.1 twice (in the SYNOPSIS line of that
# command and in its entry under COMMANDS) and be offered by completion/usbsim.bash after
# `usbsim CMD -`; an enumerated option (shown as --opt a|b|c) must complete exactly its values;
# `usbsim ''` completes every command and `usbsim CMD ''` every sub-command.
# Usage: tests/cli_docs.sh [BUILD_DIR]   (run by `make cli-check`, part of `make check`)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
cd "$top"
usbsim=$build/usbsim
man=docs/usbsim.1
comp=completion/usbsim.bash
passed=0; failed=0
ok()  { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "cli-check: FAIL $*"; }

# The commands: the lower-case words after "usbsim" on the usage lines ("run", "bench ring").
mapfile -t cmds < <("$usbsim" --help | sed -n 's/^  usbsim \(\([a-z][a-z0-9]*\( \|$\)\)*\).*/\1/p' |
                    sed 's/ *$//' | grep -v '^$')
[ "${#cmds[@]}" -ge 9 ] || { echo "cli-check: only ${#cmds[@]} commands in usbsim --help"; exit 1; }
all=$(IFS='|'; echo "${cmds[*]}")

man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\(->/->/g' "$man")
# The SYNOPSIS lines of one command: from "usbsim CMD" to the next "usbsim " line.
man_synopsis() {
  awk -v want="usbsim $1" '/^\.SH/ { sec = $2 } sec != "SYNOPSIS" { next }
    /^usbsim / { on = ($0 == want || index($0, want " ") == 1) } on' <<<"$man_text"
}
# The entry of one command under COMMANDS: from the .TP whose tag is the command to the next.
man_entry() {
  awk -v want="$1" -v all="$all" 'BEGIN { n = split(all, names, "|") }
    /^\.SH/ { on = 0; sec = $2 }
    sec == "COMMANDS" && prev == ".TP" {
      for (i = 1; i <= n; i++) if ($0 == names[i] || index($0, names[i] " ") == 1) on = (names[i] == want)
    }
    on { print } { prev = $0 }' <<<"$man_text"
}
complete_words() { # COMP_WORDS... (the last is the word being completed)
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _usbsim; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$comp" "$@" | sort -u
}

top_words=$(complete_words usbsim '')
for c in "${cmds[@]}"; do
  first=${c%% *}
  grep -qx -- "$first" <<<"$top_words" && ok || bad "completion: 'usbsim ' does not offer $first"
  if [ "$first" != "$c" ]; then
    grep -qx -- "${c#* }" <<<"$(complete_words usbsim "$first" '')" && ok ||
      bad "completion: 'usbsim $first ' does not offer ${c#* }"
  fi
  # shellcheck disable=SC2086
  help=$("$usbsim" help $c)
  syn=$(man_synopsis "$c")
  entry=$(man_entry "$c")
  [ -n "$syn" ] && ok || bad "man page: no SYNOPSIS line 'usbsim $c'"
  [ -n "$entry" ] && ok || bad "man page: no entry for '$c' under COMMANDS"
  # shellcheck disable=SC2086
  offered=$(complete_words usbsim $c -)
  while read -r opt meta; do
    [ -n "$opt" ] || continue
    if [ "$opt" != --help ]; then
      grep -q -- "$opt\b" <<<"$syn" && ok || bad "man page: SYNOPSIS of '$c' lacks $opt"
      grep -q -- "$opt\b" <<<"$entry" && ok || bad "man page: the entry of '$c' lacks $opt"
    fi
    grep -qx -- "$opt" <<<"$offered" && ok || bad "completion: 'usbsim $c -' does not offer $opt"
    if [[ $meta == *'|'* ]]; then
      want=$(tr '|' '\n' <<<"$meta" | sort -u)
      # shellcheck disable=SC2086
      got=$(complete_words usbsim $c "$opt" '')
      [ "$got" = "$want" ] && ok ||
        bad "completion: 'usbsim $c $opt ' offers '$(echo $got)', not '$(echo $want)'"
    fi
  done < <(sed -n '/^options:/,$p' <<<"$help" | sed -n 's/^  \(-[a-zA-Z], \)\{0,1\} *\(--[a-z0-9-]*\) *\([^ ]*\).*/\2 \3/p')
done
echo "cli-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
