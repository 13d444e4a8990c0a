# fish completion for osconsole. Generated from the command tree by `osconsole completion fish`; do not edit.
# Install: osconsole completion fish > ~/.config/fish/completions/osconsole.fish

# The command path typed so far (options and their values skipped), and how many arguments follow it.
function __osconsole_parse
    set -l tokens (commandline -opc)
    set -l valued --timeout --os-cloud --os-auth-type --os-auth-url --os-username --os-user-id --os-password --os-user-domain-name --os-user-domain-id --os-project-name --os-project-id --os-project-domain-name --os-project-domain-id --os-domain-name --os-domain-id --os-system-scope --os-default-domain --os-default-domain-id --os-default-domain-name --os-token --os-application-credential-id --os-application-credential-name --os-application-credential-secret --os-passcode --os-auth-methods --os-region-name --os-interface --os-cacert --os-cert --os-key --os-compute-api-version --os-identity-api-version --type -t --protocol --wait --escape --log --for --viewer --vv --spice-ca --port --address
    set -l words login console status logout completion get attach view tunnel inspect check
    set -l cmd
    set -l nargs 0
    set -l skip 0
    for t in $tokens[2..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        if string match -q -- '--*=*' $t
            continue
        else if string match -q -- '-*' $t
            contains -- $t $valued; and set skip 1
        else if test $nargs -eq 0; and contains -- $t $words
            set cmd $cmd $t
        else
            set nargs (math $nargs + 1)
        end
    end
    echo (string join ' ' $cmd)
    echo $nargs
end

function __osconsole_at
    set -l parsed (__osconsole_parse)
    test "$parsed[1]" = "$argv[1]"
end

function __osconsole_no_args
    set -l parsed (__osconsole_parse)
    test "$parsed[2]" -eq 0
end

function __osconsole_complete
    set -l tokens (commandline -opc)
    set -l cloud
    set -l i (contains -i -- --os-cloud $tokens)
    and test $i -lt (count $tokens)
    and set cloud --os-cloud $tokens[(math $i + 1)]
    $tokens[1] __complete $argv $cloud 2>/dev/null
end

complete -c osconsole -f
complete -c osconsole -n '__osconsole_at ""' -a login -d 'log in to Keystone and cache the token for the console commands'
complete -c osconsole -n '__osconsole_at ""' -a console -d 'console URLs, the serial console, native viewers and tunnels, console tokens'
complete -c osconsole -n '__osconsole_at ""' -a status -d 'show the cached sessions and when their tokens expire'
complete -c osconsole -n '__osconsole_at ""' -a logout -d 'revoke the cached token and remove the session'
complete -c osconsole -n '__osconsole_at ""' -a completion -d 'print a shell completion script'
complete -c osconsole -n '__osconsole_at "console"' -a get -d 'create a remote console for a server and print its URL'
complete -c osconsole -n '__osconsole_at "console"' -a attach -d 'connect this terminal to a server\'s serial console'
complete -c osconsole -n '__osconsole_at "console"' -a view -d 'open a server\'s console in a native viewer (remote-viewer): SPICE direct, or VNC through a tunnel'
complete -c osconsole -n '__osconsole_at "console"' -a tunnel -d 'a local port for native VNC viewers, bridged to the server\'s noVNC console'
complete -c osconsole -n '__osconsole_at "console"' -a inspect -d 'show the host and ports behind a console token (GET /os-console-auth-tokens; admins)'
complete -c osconsole -n '__osconsole_at "console"' -a check -d 'probe a console end to end (page, websocket, protocol banner, token) and explain failures'
complete -c osconsole -n '__osconsole_at ""' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at ""' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at ""' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at ""' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at ""' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "login"' -l json -d 'print the session summary as JSON on stdout'
complete -c osconsole -n '__osconsole_at "login"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "login"' -l os-auth-type -x -a 'password v3password token v3token v3applicationcredential v3totp v3multifactor' -d 'auth plugin: password, token, v3applicationcredential, v3totp, v3multifactor'
complete -c osconsole -n '__osconsole_at "login"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "login"' -l os-username -x -d 'user name'
complete -c osconsole -n '__osconsole_at "login"' -l os-user-id -x -d 'user id'
complete -c osconsole -n '__osconsole_at "login"' -l os-password -x -d 'password (prefer the prompt: flags are visible to other users)'
complete -c osconsole -n '__osconsole_at "login"' -l os-user-domain-name -x -d 'the user\'s domain name'
complete -c osconsole -n '__osconsole_at "login"' -l os-user-domain-id -x -d 'the user\'s domain id'
complete -c osconsole -n '__osconsole_at "login"' -l os-project-name -x -d 'project to scope to, by name'
complete -c osconsole -n '__osconsole_at "login"' -l os-project-id -x -d 'project to scope to, by id'
complete -c osconsole -n '__osconsole_at "login"' -l os-project-domain-name -x -d 'the project\'s domain name'
complete -c osconsole -n '__osconsole_at "login"' -l os-project-domain-id -x -d 'the project\'s domain id'
complete -c osconsole -n '__osconsole_at "login"' -l os-domain-name -x -d 'domain to scope to, by name'
complete -c osconsole -n '__osconsole_at "login"' -l os-domain-id -x -d 'domain to scope to, by id'
complete -c osconsole -n '__osconsole_at "login"' -l os-system-scope -x -a 'all' -d 'system scope (all)'
complete -c osconsole -n '__osconsole_at "login"' -l os-default-domain -x -d 'domain id for user and project names given without one (default: default)'
complete -c osconsole -n '__osconsole_at "login"' -l os-token -x -d 'an existing token to rescope (auth type token)'
complete -c osconsole -n '__osconsole_at "login"' -l os-application-credential-id -x -d 'application credential id'
complete -c osconsole -n '__osconsole_at "login"' -l os-application-credential-name -x -d 'application credential name (with the user)'
complete -c osconsole -n '__osconsole_at "login"' -l os-application-credential-secret -x -d 'application credential secret'
complete -c osconsole -n '__osconsole_at "login"' -l os-passcode -x -d 'TOTP passcode (multi-factor auth)'
complete -c osconsole -n '__osconsole_at "login"' -l os-auth-methods -x -d 'methods for v3multifactor, e.g. v3password,v3totp'
complete -c osconsole -n '__osconsole_at "login"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "login"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "login"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "login"' -l os-cert -r -F -d 'client certificate for TLS'
complete -c osconsole -n '__osconsole_at "login"' -l os-key -r -F -d 'client certificate key for TLS'
complete -c osconsole -n '__osconsole_at "login"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "login"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "login"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "login"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "login"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "login"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "login"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console get"' -l type -s t -x -a 'novnc spice-html5 spice-direct serial webmks auto xvpvnc rdp-html5' -d 'console type; auto tries novnc, spice-html5, serial, webmks in turn'
complete -c osconsole -n '__osconsole_at "console get"' -l protocol -x -a 'vnc spice serial mks rdp' -d 'console protocol; follows from --type, must match if given'
complete -c osconsole -n '__osconsole_at "console get"' -l all-projects -d 'look the name up in every project (admins)'
complete -c osconsole -n '__osconsole_at "console get"' -l open -d 'open the URL in the default browser too (not for serial websockets)'
complete -c osconsole -n '__osconsole_at "console get"' -l json -d 'print {"server", "protocol", "type", "url", "microversion"[, "connection"]} on stdout'
complete -c osconsole -n '__osconsole_at "console get"' -l wait -x -d 'if the server is not ready (building, no host yet), poll it until ACTIVE for up to DURATION (default 10m)'
complete -c osconsole -n '__osconsole_at "console get"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "console get"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "console get"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "console get"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "console get"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "console get"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "console get"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "console get"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console get"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console get"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console get"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console get"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console get"; and __osconsole_no_args' -a '(__osconsole_complete servers)'
complete -c osconsole -n '__osconsole_at "console attach"' -l escape -x -d 'the key that ends the session: \'^]\' (Ctrl-]), \'^X\', ... or \'none\''
complete -c osconsole -n '__osconsole_at "console attach"' -l log -x -d 'append the console\'s output to FILE (created 0600)'
complete -c osconsole -n '__osconsole_at "console attach"' -l for -x -d 'end the session after DURATION (e.g. 30s, 5m)'
complete -c osconsole -n '__osconsole_at "console attach"' -l no-reconnect -d 'end when the console proxy closes, instead of reconnecting with a fresh console'
complete -c osconsole -n '__osconsole_at "console attach"' -l wait -x -d 'if the server is not ready (building, no host yet), poll it until ACTIVE for up to DURATION (default 10m)'
complete -c osconsole -n '__osconsole_at "console attach"' -l all-projects -d 'look the name up in every project (admins)'
complete -c osconsole -n '__osconsole_at "console attach"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "console attach"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "console attach"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "console attach"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "console attach"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "console attach"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "console attach"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "console attach"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console attach"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console attach"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console attach"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console attach"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console view"' -l type -s t -x -a 'auto spice-direct novnc' -d 'auto: spice-direct when the cloud offers it (compute 2.99), else novnc'
complete -c osconsole -n '__osconsole_at "console view"' -l viewer -x -d 'the viewer to run (default $OSCONSOLE_SPICE_VIEWER, else remote-viewer)'
complete -c osconsole -n '__osconsole_at "console view"' -l vv -x -d 'spice-direct: write the connection file to FILE (0600) instead of starting a viewer'
complete -c osconsole -n '__osconsole_at "console view"' -l print -d 'spice-direct: print the connection file on stdout instead of starting a viewer'
complete -c osconsole -n '__osconsole_at "console view"' -l direct -d 'spice-direct, admins: connect to the hypervisor\'s own SPICE ports, bypassing the proxy'
complete -c osconsole -n '__osconsole_at "console view"' -l spice-ca -x -d 'with --direct: the CA certificate (PEM) of the hypervisor\'s SPICE TLS port'
complete -c osconsole -n '__osconsole_at "console view"' -l wait -x -d 'if the server is not ready (building, no host yet), poll it until ACTIVE for up to DURATION (default 10m)'
complete -c osconsole -n '__osconsole_at "console view"' -l all-projects -d 'look the name up in every project (admins)'
complete -c osconsole -n '__osconsole_at "console view"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "console view"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "console view"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "console view"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "console view"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "console view"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "console view"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "console view"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console view"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console view"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console view"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console view"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l port -x -d 'local port (default: a free one)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l address -x -d 'local address to listen on; anything but loopback lets others in'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l once -d 'stop listening after the first connection, and end when it closes'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l json -d 'print {"server", "type", "listen": {"host", "port"}, "url"} on stdout'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l wait -x -d 'if the server is not ready (building, no host yet), poll it until ACTIVE for up to DURATION (default 10m)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l all-projects -d 'look the name up in every project (admins)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console tunnel"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console inspect"' -l json -d 'print Nova\'s console object on stdout'
complete -c osconsole -n '__osconsole_at "console inspect"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "console inspect"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "console inspect"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "console inspect"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "console inspect"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "console inspect"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "console inspect"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "console inspect"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console inspect"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console inspect"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console inspect"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console inspect"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "console check"' -l type -s t -x -a 'auto novnc spice-html5 spice-direct serial' -d 'console type: for a server, the console to make (default novnc; auto: the first the cloud offers); for a URL, overrides what the URL says'
complete -c osconsole -n '__osconsole_at "console check"' -l json -d 'print {"target", "type", "ok", "steps": [{"name", "ok", "detail", "cause", "hint"}]} on stdout'
complete -c osconsole -n '__osconsole_at "console check"' -l all-projects -d 'look the name up in every project (admins)'
complete -c osconsole -n '__osconsole_at "console check"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "console check"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "console check"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "console check"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "console check"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "console check"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "console check"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "console check"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "console check"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "console check"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "console check"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "console check"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "status"' -l json -d 'print {"current", "sessions": [...]} on stdout'
complete -c osconsole -n '__osconsole_at "status"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "status"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "status"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "status"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "status"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "logout"' -l all -d 'log out of every cached session'
complete -c osconsole -n '__osconsole_at "logout"' -l os-cloud -x -a '(__osconsole_complete clouds)' -d 'cloud from clouds.yaml, or the cached session to use'
complete -c osconsole -n '__osconsole_at "logout"' -l os-auth-url -x -d 'Keystone URL, with or without /v3'
complete -c osconsole -n '__osconsole_at "logout"' -l os-region-name -x -a '(__osconsole_complete regions)' -d 'region of the endpoints to use'
complete -c osconsole -n '__osconsole_at "logout"' -l os-interface -x -a 'public internal admin' -d 'endpoint interface: public, internal or admin (default: public)'
complete -c osconsole -n '__osconsole_at "logout"' -l os-cacert -r -F -d 'CA bundle to verify TLS with'
complete -c osconsole -n '__osconsole_at "logout"' -l insecure -d 'do not verify TLS certificates (warns every time)'
complete -c osconsole -n '__osconsole_at "logout"' -l os-compute-api-version -x -d 'pin the compute microversion (X.Y)'
complete -c osconsole -n '__osconsole_at "logout"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "logout"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "logout"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "logout"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "logout"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "completion"' -l help -s h -d 'show help for a command'
complete -c osconsole -n '__osconsole_at "completion"' -l version -s V -d 'print the version and exit'
complete -c osconsole -n '__osconsole_at "completion"' -l debug -d 'log requests and responses (credentials redacted) and stack traces to stderr'
complete -c osconsole -n '__osconsole_at "completion"' -l no-color -d 'never colour the output (NO_COLOR and TERM=dumb do the same)'
complete -c osconsole -n '__osconsole_at "completion"' -l timeout -x -d 'connect and response timeout for each request, 0.001 to 86400 (default: 30)'
complete -c osconsole -n '__osconsole_at "completion"; and __osconsole_no_args' -a 'bash zsh fish'
