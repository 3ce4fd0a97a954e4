#!/usr/bin/env bash
# Create .venv with the given Python, making sure the interpreter can create
# virtual environments first. Debian splits `venv`/`ensurepip` into the
# python3-venv package; as root we install it, otherwise we say what is missing.
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"

if ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "spacepool: $python cannot create virtual environments; installing python3-venv" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3-venv
    else
        echo "spacepool: $python cannot create virtual environments." >&2
        echo "           Install Debian's python3-venv package (sudo apt-get install python3-venv)." >&2
        exit 1
    fi
fi
rm -rf "$venv"
"$python" -m venv "$venv"
