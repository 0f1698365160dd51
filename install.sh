#!/usr/bin/env bash
# Install LukLuk POS on the shop's counter PC (Debian 12 / Ubuntu 24.04 / Mint), as root:
#
#   sudo ./install.sh            the program in /opt/lukluk, its data in /var/lib/lukluk, started at boot
#   sudo ./install.sh --kiosk    also opens the till full screen when someone logs in to the desktop
#   sudo ./install.sh --uninstall [--purge]   removes the program; --purge removes the shop's data too
#
# Running it again repairs the installation and never touches the data. Run from a newer version's
# folder, it upgrades (also: sudo lukluk upgrade FOLDER, make upgrade): a checked backup first, the new
# version beside the old one (its own venv), its migrations tried on a copy of the database, then the
# switch, a restart and a health check; any failure leaves the previous version and data running.
# --root DIR installs under DIR (tests: nothing outside DIR changes; no packages, users or services);
# --no-packages skips apt-get; --no-venv skips building the program's virtualenv; --venv-from DIR uses
# DIR as the release's virtualenv (tests: pip's own business).
set -euo pipefail

ROOT="" KIOSK=0 UNINSTALL=0 PURGE=0 PACKAGES=1 VENV=1 VENV_FROM="" OWNER="lukluk"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2%/}"; shift ;;
    --kiosk) KIOSK=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    --no-packages) PACKAGES=0 ;;
    --no-venv) VENV=0 ;;
    --venv-from) VENV_FROM="$2"; shift ;;
    --owner) OWNER="$2"; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "Nieznana opcja: $1 (zobacz --help)" >&2; exit 2 ;;
  esac
  shift
done

SOURCE="$(cd "$(dirname "$0")" && pwd)"
APP="$ROOT/opt/lukluk"
DATA="$ROOT/var/lib/lukluk"
ETC="$ROOT/etc/lukluk"
UNIT="$ROOT/etc/systemd/system/lukluk.service"
UNITS="$ROOT/etc/systemd/system"
COMMAND="$ROOT/usr/local/bin/lukluk"
AUTOSTART="$ROOT/etc/xdg/autostart/lukluk-kiosk.desktop"
SYSTEM=1
[ -n "$ROOT" ] && SYSTEM=0 && PACKAGES=0

say() { printf '%s\n' "$*"; }

if [ "$SYSTEM" = 1 ] && [ "$(id -u)" != 0 ]; then
  say "Uruchom jako root: sudo ./install.sh" >&2
  exit 1
fi

if [ "$UNINSTALL" = 1 ]; then
  if [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null; then
    systemctl disable --now lukluk.service lukluk-backup.timer 2>/dev/null || true
  fi
  rm -rf "$APP" "$UNIT" "$UNITS/lukluk-backup.service" "$UNITS/lukluk-backup.timer" "$COMMAND" "$AUTOSTART"
  [ "$SYSTEM" = 1 ] && command -v systemctl >/dev/null && systemctl daemon-reload || true
  if [ "$PURGE" = 1 ]; then
    rm -rf "$DATA" "$ETC"
    say "Usunięto program i dane sklepu."
  else
    say "Usunięto program. Dane sklepu zostały w $DATA (usuń je opcją --purge)."
  fi
  exit 0
fi

if [ "$PACKAGES" = 1 ]; then
  say "Instaluję pakiety systemowe (Python, restic, Chromium)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q python3 python3-venv restic curl postgresql-client
  apt-get install -y -q chromium || apt-get install -y -q chromium-browser || say "Chromium: zainstaluj ręcznie."
fi

if [ "$SYSTEM" = 1 ] && ! id "$OWNER" >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/lukluk --no-create-home --shell /usr/sbin/nologin "$OWNER"
fi

VERSION="$(cat "$SOURCE/VERSION" 2>/dev/null || git -C "$SOURCE" describe --always --dirty 2>/dev/null \
  || date +%Y%m%d%H%M%S)"
RELEASE="$APP/releases/$VERSION"
PREVIOUS=""
if [ -L "$APP/current" ] && [ "$(readlink "$APP/current")" != "releases/$VERSION" ] \
    && [ -d "$APP/$(readlink "$APP/current")" ]; then
  PREVIOUS="$APP/$(readlink "$APP/current")"
fi

# A command of a release as the service runs it: its folder, the PC's settings, the service's user.
# Under --root the settings' paths are moved under the throwaway root, where the data are.
app_exec() {  # (in a subshell of its own: it becomes the command)
  local release="$1"; shift
  set -a; . "$ETC/lukluk.env"; set +a
  if [ "$SYSTEM" = 0 ]; then
    LUKLUK_INSTANCE_PATH="${LUKLUK_INSTANCE_PATH//\/var\/lib\/lukluk/$DATA}"
    LUKLUK_DATABASE_URL="${LUKLUK_DATABASE_URL//\/var\/lib\/lukluk/$DATA}"
  fi
  cd "$release"
  if [ "$SYSTEM" = 1 ]; then exec runuser -u "$OWNER" -- "$@"; else exec "$@"; fi
}
app_run() { ( app_exec "$@" ); }

install_release() {
  say "Instaluję wersję $VERSION w $APP…"
  mkdir -p "$RELEASE"
  for part in lukluk_pos migrations deploy config.py wsgi.py requirements.txt README.md babel.cfg install.sh; do
    rm -rf "${RELEASE:?}/$part"
    cp -a "$SOURCE/$part" "$RELEASE/$part"
  done
  printf '%s\n' "$VERSION" > "$RELEASE/VERSION"
  find "$RELEASE" -name '__pycache__' -prune -exec rm -rf {} +
  if [ -n "$VENV_FROM" ]; then
    rm -rf "$RELEASE/.venv"; ln -s "$VENV_FROM" "$RELEASE/.venv"
  elif [ "$VENV" = 1 ]; then
    python3 -m venv "$RELEASE/.venv"
    "$RELEASE/.venv/bin/pip" install -q --upgrade pip
    "$RELEASE/.venv/bin/pip" install -q -r "$RELEASE/requirements.txt"
  fi
  if [ -x "$RELEASE/.venv/bin/pybabel" ]; then
    "$RELEASE/.venv/bin/pybabel" -q compile -d "$RELEASE/lukluk_pos/translations"
  fi
  chmod -R go-w "$RELEASE"
}

# Start the installed version and wait until it answers with its database at the program's schema.
start_and_check() {
  local release="$APP/current" port
  port="$(set -a; . "$ETC/lukluk.env"; echo "${LUKLUK_PORT:-5000}")"
  if [ "$SYSTEM" = 1 ]; then
    systemctl daemon-reload
    systemctl restart lukluk.service || return 1
  else
    # No systemd under --root: what the unit does, by hand — migrations, then the server.
    app_run "$release" "$release/.venv/bin/flask" --app wsgi db upgrade >"$ROOT/upgrade-start.log" 2>&1 || return 1
    ( app_exec "$release" "$release/.venv/bin/python" -m lukluk_pos.serve ) >>"$ROOT/upgrade-start.log" 2>&1 &
    SERVER_PID=$!
  fi
  "$release/.venv/bin/python" - "$port" "${SERVER_PID:-}" <<'PY'
import json, sys, time, urllib.request
from pathlib import Path
deadline = time.monotonic() + 90
while time.monotonic() < deadline:
    if sys.argv[2]:  # the server started by hand: gone (or a zombie) means it will not answer
        stat = Path(f"/proc/{sys.argv[2]}/stat")
        if not stat.exists() or stat.read_text().split(") ")[-1].startswith("Z"):
            sys.exit(1)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=5) as answer:
            checks = json.load(answer)["checks"]
        if checks["database"]["ok"] and checks["migrations"]["ok"]:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
}

stop_test_server() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  SERVER_PID=""
}

# The data: the instance folder (database, keys, backups), the user's alone. Never replaced here.
mkdir -p "$DATA"
chmod 0700 "$DATA"
mkdir -p "$ETC"
if [ ! -f "$ETC/lukluk.env" ]; then
  cat > "$ETC/lukluk.env" <<ENV
# LukLuk POS settings for this PC (read by the service). Change and: sudo systemctl restart lukluk
LUKLUK_INSTANCE_PATH=/var/lib/lukluk
LUKLUK_DATABASE_URL=sqlite:////var/lib/lukluk/lukluk.db
LUKLUK_HOST=127.0.0.1
LUKLUK_PORT=5000
ENV
fi
chmod 0640 "$ETC/lukluk.env"

install_units() {  # the service, the nightly backup and the lukluk command, from a release's deploy/
  mkdir -p "$UNITS" "$(dirname "$COMMAND")"
  install -m 0644 "$1/deploy/lukluk.service" "$UNIT"
  if [ -f "$1/deploy/lukluk-backup.timer" ]; then
    install -m 0644 "$1/deploy/lukluk-backup.service" "$UNITS/lukluk-backup.service"
    install -m 0644 "$1/deploy/lukluk-backup.timer" "$UNITS/lukluk-backup.timer"
    install -m 0755 "$1/deploy/lukluk" "$COMMAND"
  fi
}

chown -R "$OWNER:" "$DATA"
chown "root:$(id -gn "$OWNER")" "$ETC/lukluk.env" 2>/dev/null || chown "$OWNER:" "$ETC/lukluk.env"
if [ "$KIOSK" = 1 ]; then
  mkdir -p "$(dirname "$AUTOSTART")"
  install -m 0644 "$SOURCE/deploy/lukluk-kiosk.desktop" "$AUTOSTART"
fi

if [ -z "$PREVIOUS" ]; then  # a first install, or the same version again: a repair
  install_release
  ln -sfn "releases/$VERSION" "$APP/current"
  install_units "$RELEASE"
  if [ "$SYSTEM" = 1 ]; then
    systemctl daemon-reload
    systemctl enable lukluk.service lukluk-backup.timer
    systemctl restart lukluk.service
    systemctl start lukluk-backup.timer
    say "LukLuk POS działa: http://127.0.0.1:5000/ (uruchamia się sam po włączeniu komputera)."
  else
    say "Zainstalowano w $ROOT (bez usług systemowych)."
  fi
  exit 0
fi

# --- An upgrade from the running version -------------------------------------------------------------
OLD="$(basename "$PREVIOUS")"
say "Aktualizacja z wersji $OLD do $VERSION."
stopped=0
fail() {  # nothing switched yet: the previous version runs on, its data untouched
  rm -rf "${RELEASE:?}"
  [ "$SYSTEM" = 1 ] && [ "$stopped" = 1 ] && systemctl start lukluk.service
  say "Aktualizacja przerwana: $*" >&2
  say "Działa nadal wersja $OLD, z danymi jak przed aktualizacją." >&2
  exit 1
}
install_release || fail "nie udało się zainstalować wersji $VERSION (zob. komunikaty wyżej)"

# The till stops for the rest (a minute at most): nothing is sold between the backup and the switch.
if [ "$SYSTEM" = 1 ] && systemctl is-active --quiet lukluk.service; then
  systemctl stop lukluk.service
  stopped=1
fi
said="$(app_run "$RELEASE" "$RELEASE/.venv/bin/flask" --app wsgi backup --no-offsite 2>&1)" \
  || fail "nie udało się zrobić kopii zapasowej: $said"
BACKUP="$(printf '%s\n' "$said" | sed -n 's/^Kopia zapisana: \(.*\) ([0-9,]* B.*$/\1/p' | tail -n 1)"
[ -f "$BACKUP" ] || fail "nie udało się zrobić kopii zapasowej: $said"
say "Kopia zapasowa: $BACKUP"
said="$(app_run "$RELEASE" "$RELEASE/.venv/bin/flask" --app wsgi upgrade-check "$BACKUP" 2>&1)" \
  || fail "migracje nowej wersji nie przeszły na kopii bazy: $(printf '%s' "$said" | tail -n 3)"
say "Migracje sprawdzone na kopii bazy."

rollback() {  # the switch was made: the database back from the backup, the previous version started
  stop_test_server
  [ "$SYSTEM" = 1 ] && systemctl stop lukluk.service
  (
    set -a; . "$ETC/lukluk.env"; set +a
    url="${LUKLUK_DATABASE_URL:-sqlite:////var/lib/lukluk/lukluk.db}"
    if [ "$SYSTEM" = 0 ]; then url="${url//\/var\/lib\/lukluk/$DATA}"; fi
    case "$url" in
      sqlite:///*)
        file="${url#sqlite:///}"
        rm -f "$file-wal" "$file-shm"
        cp "$BACKUP" "$file.rollback" && chown "$OWNER:" "$file.rollback" && chmod 0600 "$file.rollback"
        mv -f "$file.rollback" "$file" ;;
      postgresql*)
        plain="postgresql://${url#*://}"
        pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --dbname "$plain" "$BACKUP" ;;
    esac
  ) || say "UWAGA: nie udało się przywrócić bazy z $BACKUP: zrób to poleceniem sudo lukluk restore $BACKUP --force" >&2
  ln -sfn "releases/$OLD" "$APP/current"
  install_units "$PREVIOUS"
  if [ "$SYSTEM" = 1 ]; then systemctl daemon-reload; systemctl start lukluk.service; fi
  rm -rf "${RELEASE:?}"
  say "Aktualizacja cofnięta: $*" >&2
  say "Działa wersja $OLD, z bazą z kopii sprzed aktualizacji ($BACKUP)." >&2
  exit 1
}

ln -sfn "releases/$VERSION" "$APP/current"
install_units "$RELEASE"
start_and_check || rollback "wersja $VERSION nie odpowiada po uruchomieniu (zob. journalctl -u lukluk)"
stop_test_server
if [ "$SYSTEM" = 1 ]; then
  systemctl enable lukluk.service lukluk-backup.timer
  systemctl start lukluk-backup.timer
fi
# One previous version is kept to go back to by hand; older ones are removed.
for old in "$APP"/releases/*; do
  name="$(basename "$old")"
  [ "$name" = "$VERSION" ] || [ "$name" = "$OLD" ] || rm -rf "$old"
done
say "Zaktualizowano do wersji $VERSION (poprzednia, $OLD, została w $APP/releases)."
