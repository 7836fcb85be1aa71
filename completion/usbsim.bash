# bash completion for usbsim (installed as share/bash-completion/completions/usbsim).
_usbsim()
{
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "run validate plan gadget verify fuzz bench --help --version" -- "$cur"))
        return
    fi
    case $prev in
        --backend)
            case $cmd in
                gadget) COMPREPLY=($(compgen -W "usbip ffs" -- "$cur")) ;;
                *) COMPREPLY=($(compgen -W "usbip" -- "$cur")) ;;
            esac
            return ;;
        --json|--junit|--html|--pcap|--log|--trace)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --out)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --scenario)
            COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur")); return ;;
        --seed|--time-scale|--listen|--udc|--runs|--budget-s|--shard|--shrink-runs|--max-failures|--seconds)
            return ;;
    esac
    local opts
    case $cmd in
        run) opts="--backend --seed --time-scale --json --junit --html --pcap --quiet --keep-logs --verbose --help" ;;
        validate) opts="--explain --quiet --help" ;;
        plan) opts="--csv --seed --time-scale --help" ;;
        gadget) opts="--backend --udc --listen --log --pcap --seed --time-scale --quiet --help" ;;
        verify) opts="--scenario --trace --seed --time-scale --json --junit --html --quiet --help" ;;
        fuzz) opts="--seed --runs --budget-s --time-scale --shard --out --json --shrink-runs --max-failures --list --quiet --backend --help" ;;
        bench)
            if [ "$COMP_CWORD" -eq 2 ]; then
                COMPREPLY=($(compgen -W "ring e2e --help" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "--json --runs --seconds --help" -- "$cur"))
            fi
            return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [ "$cmd" != verify ] && [ "$cmd" != fuzz ]; then
        COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))
    fi
}
complete -F _usbsim usbsim
