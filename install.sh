#!/usr/bin/env bash
# Install LukLuk POS on the shop's counter PC (Debian 12 / Ubuntu 24.04 / Mint), as root:
#
#   sudo ./install.sh            the program in /opt/lukluk, its data in /var/lib/lukluk, started at boot
#   sudo ./install.sh --kiosk    also opens the till full screen when someone logs in to the desktop
#   sudo ./install.sh --uninstall [--purge]   removes the program; --purge removes the shop's data too
#
# Running it again repairs the installation and never touches the data. --root DIR installs under DIR
# (tests: nothing outside DIR changes; no packages, users or services); --no-packages skips apt-get;
# --no-venv skips building the program's virtualenv (tests: pip's own business).
set -euo pipefail

ROOT="" KIOSK=0 UNINSTALL=0 PURGE=0 PACKAGES=1 VENV=1 OWNER="lukluk"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="${2%/}"; shift ;;
    --kiosk) KIOSK=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    --no-packages) PACKAGES=0 ;;
    --no-venv) VENV=0 ;;
    --owner) OWNER="$2"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "Nieznana opcja: $1 (zobacz --help)" >&2; exit 2 ;;
  esac
  shift
done

SOURCE="$(cd "$(dirname "$0")" && pwd)"
APP="$ROOT/opt/lukluk"
DATA="$ROOT/var/lib/lukluk"
ETC="$ROOT/etc/lukluk"
UNIT="$ROOT/etc/systemd/system/lukluk.service"
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
    systemctl disable --now lukluk.service 2>/dev/null || true
  fi
  rm -rf "$APP" "$UNIT" "$AUTOSTART"
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
  apt-get install -y -q python3 python3-venv restic curl
  apt-get install -y -q chromium || apt-get install -y -q chromium-browser || say "Chromium: zainstaluj ręcznie."
fi

if [ "$SYSTEM" = 1 ] && ! id "$OWNER" >/dev/null 2>&1; then
  useradd --system --home-dir /var/lib/lukluk --no-create-home --shell /usr/sbin/nologin "$OWNER"
fi

VERSION="$(git -C "$SOURCE" describe --always --dirty 2>/dev/null || date +%Y%m%d%H%M%S)"
RELEASE="$APP/releases/$VERSION"
say "Instaluję wersję $VERSION w $APP…"
mkdir -p "$RELEASE"
for part in lukluk_pos migrations deploy config.py wsgi.py requirements.txt README.md babel.cfg; do
  rm -rf "${RELEASE:?}/$part"
  cp -a "$SOURCE/$part" "$RELEASE/$part"
done
find "$RELEASE" -name '__pycache__' -prune -exec rm -rf {} +
if [ "$VENV" = 1 ]; then
  python3 -m venv "$RELEASE/.venv"
  "$RELEASE/.venv/bin/pip" install -q --upgrade pip
  "$RELEASE/.venv/bin/pip" install -q -r "$RELEASE/requirements.txt"
  "$RELEASE/.venv/bin/pybabel" -q compile -d "$RELEASE/lukluk_pos/translations"
fi
ln -sfn "releases/$VERSION" "$APP/current"
chmod -R go-w "$APP"

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

mkdir -p "$(dirname "$UNIT")"
install -m 0644 "$SOURCE/deploy/lukluk.service" "$UNIT"
if [ "$KIOSK" = 1 ]; then
  mkdir -p "$(dirname "$AUTOSTART")"
  install -m 0644 "$SOURCE/deploy/lukluk-kiosk.desktop" "$AUTOSTART"
fi

chown -R "$OWNER:" "$DATA"
chown "root:$(id -gn "$OWNER")" "$ETC/lukluk.env" 2>/dev/null || chown "$OWNER:" "$ETC/lukluk.env"

if [ "$SYSTEM" = 1 ]; then
  systemctl daemon-reload
  systemctl enable lukluk.service
  systemctl restart lukluk.service
  say "LukLuk POS działa: http://127.0.0.1:5000/ (uruchamia się sam po włączeniu komputera)."
else
  say "Zainstalowano w $ROOT (bez usług systemowych)."
fi
