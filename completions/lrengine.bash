# bash completion for lrengine: commands, options, option values, schedule
# kinds and optimizers. The names come from the binary itself (its --help
# and `lrengine list --quiet`), so they follow the version installed.
# Installed as share/bash-completion/completions/lrengine.

# The command names, from the "commands:" block of `lrengine --help`.
_lrengine_commands()
{
    "$1" --help 2>/dev/null | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }'
}

_lrengine()
{
    local bin=${COMP_WORDS[0]} cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local word=$COMP_CWORD
    # --opt=value: bash splits at '=' (COMP_WORDBREAKS)
    if [[ $cur == = ]]; then
        cur=""
    elif [[ $prev == = ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    command -v "$bin" >/dev/null 2>&1 || bin=lrengine
    COMPREPLY=()
    if (( word == 1 )); then
        COMPREPLY=($(compgen -W "$(_lrengine_commands "$bin") --help --version" -- "$cur"))
        return 0
    fi
    local cmd=${COMP_WORDS[1]}
    case $prev in
        --format|-f)
            case $cmd in
                plot|find-lr) COMPREPLY=($(compgen -W "ascii csv json svg" -- "$cur")) ;;
                report) COMPREPLY=($(compgen -W "ascii svg" -- "$cur")) ;;
                *) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
            esac
            return 0 ;;
        --metrics|-m|--output|-o|--checkpoint|-c|--resume|-r|--write-config|-w|--curve|--resume-config|--events|--config)
            COMPREPLY=($(compgen -f -- "$cur"))
            return 0 ;;
        --dir|-d)
            COMPREPLY=($(compgen -d -- "$cur"))
            return 0 ;;
        --suggest)
            COMPREPLY=($(compgen -W "valley steepest minimum slide" -- "$cur"))
            return 0 ;;
        --allow|-a)
            COMPREPLY=($(compgen -W "warmup-too-long cosine-period far-from-floor jump rises-again patience-too-long" -- "$cur"))
            return 0 ;;
        --resume-hparams|--plan)
            COMPREPLY=($(compgen -W "checkpoint config" -- "$cur"))
            return 0 ;;
        --continue)
            COMPREPLY=($(compgen -W "extend cooldown rewarm replace" -- "$cur"))
            return 0 ;;
        --steps|-s|--epochs|-e|--seed|--threads|-t|--min|--max|--until|--jobs|-j|--step|-k|--tolerance|--max-jump)
            return 0 ;; # a number
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$("$bin" "$cmd" --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*' | sort -u)" -- "$cur"))
        return 0
    fi
    case $cmd in
        help) COMPREPLY=($(compgen -W "$(_lrengine_commands "$bin") $("$bin" list --quiet 2>/dev/null)" -- "$cur")) ;;
        list) COMPREPLY=($(compgen -W "schedules optimizers" -- "$cur")) ;;
        run) COMPREPLY=($(compgen -f -- "$cur")) ;;
        report) COMPREPLY=($(compgen -f -X '!*.jsonl' -- "$cur") $(compgen -d -- "$cur")) ;;
        *) COMPREPLY=($(compgen -f -X '!*.lua' -- "$cur") $(compgen -d -- "$cur")) ;;
    esac
    return 0
}

complete -o filenames -F _lrengine lrengine
