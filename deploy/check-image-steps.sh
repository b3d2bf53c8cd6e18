#!/usr/bin/env bash
# The Dockerfile's steps, replayed without a container engine (CI has none), by a user who is
# not root, from a read-only copy of the tree:
#   build stage  the wheel, built from exactly the files the Dockerfile's build stage copies;
#   final stage  a clean venv, deploy/requirements.lock installed with its hashes checked,
#                the wheel without dependencies, `pip check`; the venv then made read-only;
#   run          from a /data-like folder holding deploy/bot.yaml as bot.yaml: --help,
#                db upgrade, directory import, export --format md; the database must land
#                in that folder itself (not in a data/ below it).
# Any failure ends the script with a non-zero status. As root, the steps run as `nobody`
# (or TRAAM_CHECK_USER, created if missing); otherwise as the calling user.
# Usage: deploy/check-image-steps.sh
set -euo pipefail

say() { printf 'check-image-steps: %s\n' "$*"; }
fail() { printf 'check-image-steps: ÉCHEC : %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- the steps (non-root)
steps() {
    local ctx=$1 out=$2 python=$3
    local build=$out/build dist=$out/dist venv=$out/venv data=$out/data
    [ "$(id -u)" -ne 0 ] || fail "les étapes ne doivent pas tourner en root"
    umask 022
    cd "$out"

    say "étape build : copie des sources comme le Dockerfile (COPY de la première étape)"
    mkdir "$build"
    local copied=0 line
    while IFS= read -r line; do
        read -r -a args <<<"$line"
        local dest=${args[-1]}
        unset 'args[-1]'
        dest=${dest#./}  # relative to WORKDIR, here the build folder
        [ "$dest" != "." ] || dest=""
        [[ $dest != /* && $dest != *..* ]] || fail "COPY vers $dest : chemin non géré"
        for src in "${args[@]}"; do
            [ -e "$ctx/$src" ] || fail "COPY $src : absent de l’arbre"
            if [ -d "$ctx/$src" ]; then
                mkdir -p "$build/$dest"
                cp -R "$ctx/$src/." "$build/$dest/"
            elif [[ $dest == */ || $dest == "" || ${#args[@]} -gt 1 ]]; then
                mkdir -p "$build/$dest"
                cp "$ctx/$src" "$build/$dest/"
            else
                mkdir -p "$(dirname "$build/$dest")"
                cp "$ctx/$src" "$build/$dest"
            fi
            copied=$((copied + 1))
        done
    done < <(awk '/^FROM /{stage++} stage == 1 && /^COPY / && !/--from/ {sub(/^COPY +/, ""); print}' \
                 "$ctx/Dockerfile")
    [ "$copied" -gt 0 ] || fail "aucune instruction COPY dans la première étape du Dockerfile"
    chmod -R u+w "$build"  # copies of read-only files; the build writes beside them

    say "étape build : pip wheel --no-deps"
    "$python" -m venv "$out/build-venv"
    "$out/build-venv/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$dist" "$build"
    local wheels=("$dist"/traam_bot-*.whl)
    [ -f "${wheels[0]}" ] && [ ${#wheels[@]} -eq 1 ] || fail "pas exactement une roue traam_bot"

    say "image : venv propre, dépendances verrouillées (empreintes vérifiées), roue, pip check"
    "$python" -m venv "$venv"
    # --use-pep517: how the image's newer pip builds the lock's one sdist (atomicwrites)
    "$venv/bin/python" -m pip install --quiet --require-hashes --no-deps --use-pep517 \
        -r "$ctx/deploy/requirements.lock"
    "$venv/bin/python" -m pip install --quiet --no-deps "${wheels[0]}"
    "$venv/bin/python" -m pip check
    chmod -R a-w "$venv"  # site-packages is not the bot's to write, as in the image

    say "exécution depuis un dossier comme /data, avec deploy/bot.yaml"
    mkdir -m 0700 "$data"
    cp "$ctx/deploy/bot.yaml" "$data/bot.yaml"
    cd "$data"
    export HOME=$data TRAAM_BOT_PASSWORD=un-secret-de-verification
    unset TRAAM_BOT_ACCESS_TOKEN TRAAM_BOT_DATABASE_URL TRAAM_BOT_RECOVERY_KEY
    local bot=$venv/bin/traam-bot where
    where=$("$venv/bin/python" -c 'import traam_bot; print(traam_bot.__file__)')
    [[ $where == "$venv"/* ]] || fail "traam_bot importé depuis $where, pas depuis le venv"
    "$bot" --help >/dev/null
    "$bot" db upgrade --config "$data/bot.yaml"
    local imported
    imported=$("$bot" directory import --config "$data/bot.yaml")
    printf '%s\n' "$imported"
    [[ $imported == *projets* ]] || fail "directory import n’a pas dit ce qu’il a importé"
    "$bot" export --config "$data/bot.yaml" --format md --out "$data/bilan.md"
    head -n 1 "$data/bilan.md" | grep -q '^# Bilan TraAM' || fail "bilan.md inattendu"
    [ -f "$data/traam.db" ] || fail "la base n’est pas $data/traam.db"
    [ ! -e "$data/data" ] || fail "deploy/bot.yaml écrit dans data/ sous /data"
}

if [ "${1:-}" = "--steps" ]; then
    steps "$2" "$3" "$4"
    exit 0
fi

# ---------------------------------------------------------------- set-up (any user)
started=$SECONDS
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/traam-image.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
chmod 0755 "$work"

if [ "$(id -u)" -eq 0 ]; then
    runner=${TRAAM_CHECK_USER:-nobody}
    if ! id -u "$runner" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$runner"
    fi
    as_runner() { runuser -u "$runner" -- "$@"; }
else
    runner=$(id -un)
    as_runner() { "$@"; }
fi

# The tree as the Docker build context would see it (tracked and new files, no venv, no
# .git), then read-only for everyone.
ctx=$work/context
mkdir "$ctx"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
        | grep -zv -e '^\.venv$' -e '^\.venv/' \
        | tar --null --no-recursion --ignore-failed-read -T - -cf -) | tar -xf - -C "$ctx"
else
    (cd "$repo" && tar --exclude=./.venv --exclude=./.git -cf - .) | tar -xf - -C "$ctx"
fi
chmod -R a-w "$ctx"

# A Python 3.11 (the image's) that the runner may execute, with venv.
python=""
for candidate in ${PYTHON:-} python3.11 /usr/bin/python3.11 /usr/local/bin/python3.11; do
    found=$(command -v "$candidate" 2>/dev/null) || continue
    real=$("$found" -c 'import sys; print(sys.executable)' 2>/dev/null) || continue
    if as_runner "$real" -c 'import sys, venv, ensurepip
assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
        python=$real
        break
    fi
done
[ -n "$python" ] || fail "aucun Python 3.11 avec venv exécutable par $runner"

out=$work/run
mkdir "$out"
[ "$(id -u)" -ne 0 ] || chown "$runner" "$out"
say "utilisateur $runner, $python, arbre en lecture seule dans $ctx"

as_runner env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV -u PYTHONSTARTUP -u PYTHONUSERBASE \
    HOME="$out" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    bash "$ctx/deploy/check-image-steps.sh" --steps "$ctx" "$out" "$python"
say "OK en $((SECONDS - started)) s"
