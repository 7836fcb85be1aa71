# bash completion for usbsim (installed as share/bash-completion/completions/usbsim).
# Kept in step with `usbsim help COMMAND` by tests/cli_docs.sh (make cli-check).
_usbsim()
{
    local cur prev cmd sub words opts
    local commands="run validate plan gadget fuzz verify import driver bench help"
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    sub=${COMP_WORDS[2]}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version -V" -- "$cur"))
        return
    fi
    # the values of enumerated options, per command
    case $cmd:$prev in
        run:--backend|fuzz:--backend) words="usbip kernel attach vm" ;;
        gadget:--backend) words="usbip ffs" ;;
        driver:--source) words="usbip libusb" ;;
        driver:--overflow) words="block drop-newest drop-oldest" ;;
        driver:--doorbell) words="suppressed always" ;;
    esac
    if [ -n "$words" ]; then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return
    fi
    case $prev in
        --json|--junit|--html|--pcap|--log|--trace|--socket|--output|-o)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --out)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --scenario)
            COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur")); return ;;
        --seed|--time-scale|--listen|--udc|--app|--exec|--runs|--budget-s|--shard|--shrink-runs|--max-failures|\
        --seconds|--connect|--busid|--device|--slots|--packet-size)
            return ;;
    esac
    case $cmd in
        run) opts="--backend --udc --seed --time-scale --json --junit --html --pcap --keep-logs --quiet --verbose --app --exec --precise --help" ;;
        validate) opts="--explain --quiet --help" ;;
        plan) opts="--csv --seed --time-scale --help" ;;
        gadget) opts="--backend --udc --listen --log --pcap --seed --time-scale --quiet --help" ;;
        verify) opts="--scenario --trace --seed --time-scale --json --junit --html --quiet --help" ;;
        import) opts="--device --output --quiet --help" ;;
        fuzz) opts="--seed --runs --budget-s --time-scale --shard --out --json --shrink-runs --max-failures --list --app --exec --quiet --backend --precise --help" ;;
        driver) opts="--socket --source --connect --busid --device --slots --packet-size --overflow --doorbell --raw --help" ;;
        bench)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "ring e2e scale --help" -- "$cur"))
                return
            fi
            case $sub in
                ring) opts="--json --runs --packets --help" ;;
                e2e) opts="--json --runs --seconds --help" ;;
                scale) opts="--json --html --seconds --max-rate --runs --help" ;;
                *) return ;;
            esac ;;
        help)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "$commands --help" -- "$cur"))
            elif [ "$COMP_CWORD" -eq 3 ] && [ "$sub" = bench ]; then
                COMPREPLY=($(compgen -W "ring e2e scale" -- "$cur"))
            fi
            return ;;
        *) return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [ "$cmd" = run ] || [ "$cmd" = validate ] || [ "$cmd" = plan ] || [ "$cmd" = gadget ]; then
        COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))
    elif [ "$cmd" = import ]; then
        COMPREPLY=($(compgen -f -X '!*.pcap*' -- "$cur") $(compgen -d -- "$cur"))
    fi
}
complete -F _usbsim usbsim
