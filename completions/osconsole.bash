# bash completion for osconsole. Generated from the command tree by `osconsole completion bash`; do not edit.
# Install: osconsole completion bash > /etc/bash_completion.d/osconsole, or: source <(osconsole completion bash)

_osconsole_subcommands() {
  case "$1" in
    "") echo "login console status logout completion" ;;
    "console") echo "get attach view tunnel log inspect check" ;;
  esac
}

_osconsole_options() {
  case "$1" in
    "") echo "--version --debug --no-color --timeout --help -V -h" ;;
    "login") echo "--json --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --insecure --os-compute-api-version --help --version --debug --no-color --timeout -h -V" ;;
    "console") echo "--help --version --debug --no-color --timeout -h -V" ;;
    "console get") echo "--type --protocol --all-projects --open --json --wait --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -t -h -V" ;;
    "console attach") echo "--escape --log --for --no-reconnect --wait --all-projects --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -h -V" ;;
    "console view") echo "--type --viewer --vv --print --direct --spice-ca --wait --all-projects --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -t -h -V" ;;
    "console tunnel") echo "--port --address --once --json --wait --all-projects --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -h -V" ;;
    "console log") echo "--lines --follow --interval --until --for --wait --raw --json --all-projects --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -n -f -h -V" ;;
    "console inspect") echo "--json --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -h -V" ;;
    "console check") echo "--type --json --all-projects --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -t -h -V" ;;
    "status") echo "--json --help --version --debug --no-color --timeout -h -V" ;;
    "logout") echo "--all --os-cloud --os-auth-url --os-region-name --os-interface --os-cacert --insecure --os-compute-api-version --help --version --debug --no-color --timeout -h -V" ;;
    "completion") echo "--help --version --debug --no-color --timeout -h -V" ;;
  esac
}

_osconsole_valued() {
  case "$1" in
    "") echo "--timeout" ;;
    "login") echo "--os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console") echo "--timeout" ;;
    "console get") echo "--type -t --protocol --wait --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console attach") echo "--escape --log --for --wait --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console view") echo "--type -t --viewer --vv --spice-ca --wait --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console tunnel") echo "--port --address --wait --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console log") echo "--lines -n --interval --until --for --wait --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console inspect") echo "--os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "console check") echo "--type -t --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "status") echo "--timeout" ;;
    "logout") echo "--os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --timeout" ;;
    "completion") echo "--timeout" ;;
  esac
}

# Values from `osconsole __complete`, one per line (server names may hold spaces and
# glob characters): matched literally, and quoted for the command line.
_osconsole_dynamic() {
  local cur="$1" line
  shift
  while IFS= read -r line; do
    [[ "$line" == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$line")")
  done < <("$@" 2>/dev/null)
}

_osconsole() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local cmd="" cloud="" nargs=0 skip=0 i w
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --os-cloud) ((i + 1 < COMP_CWORD)) && cloud="--os-cloud ${COMP_WORDS[i+1]}"; skip=1 ;;
      --*=*) ;;
      -*) [[ " $(_osconsole_valued "$cmd") " == *" $w "* ]] && skip=1 ;;
      *)
        if [[ $nargs -eq 0 && " $(_osconsole_subcommands "$cmd") " == *" $w "* ]]; then
          cmd="${cmd:+$cmd }$w"
        else
          nargs=$((nargs + 1))
        fi
        ;;
    esac
  done
  case "$prev" in
    --os-cloud) _osconsole_dynamic "$cur" "${COMP_WORDS[0]}" __complete clouds $cloud; return 0 ;;
    --os-auth-type) COMPREPLY=($(compgen -W "password v3password token v3token v3applicationcredential v3totp v3multifactor" -- "$cur")); return 0 ;;
    --os-system-scope) COMPREPLY=($(compgen -W "all" -- "$cur")); return 0 ;;
    --os-region-name) _osconsole_dynamic "$cur" "${COMP_WORDS[0]}" __complete regions $cloud; return 0 ;;
    --os-interface) COMPREPLY=($(compgen -W "public internal admin" -- "$cur")); return 0 ;;
    --os-cacert) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --os-cert) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --os-key) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --type|-t) COMPREPLY=($(compgen -W "novnc spice-html5 spice-direct serial webmks auto xvpvnc rdp-html5" -- "$cur")); return 0 ;;
    --protocol) COMPREPLY=($(compgen -W "vnc spice serial mks rdp" -- "$cur")); return 0 ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_osconsole_options "$cmd")" -- "$cur"))
  elif [[ -n "$(_osconsole_subcommands "$cmd")" && $nargs -eq 0 ]]; then
    COMPREPLY=($(compgen -W "$(_osconsole_subcommands "$cmd")" -- "$cur"))
  elif [[ $nargs -eq 0 ]]; then
    case "$cmd" in
      "console get") _osconsole_dynamic "$cur" "${COMP_WORDS[0]}" __complete servers $cloud ;;
      "completion") COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
    esac
  fi
  return 0
}

complete -F _osconsole osconsole
