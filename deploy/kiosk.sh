#!/bin/sh
# The till full screen at log-in (install.sh --kiosk): waits for the server, then opens Chromium as a
# kiosk with its own sign-in, translation and update prompts off. Nothing is loaded from the internet.
URL="${LUKLUK_KIOSK_URL:-http://127.0.0.1:5000/till}"
i=0
while [ "$i" -lt 120 ]; do
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null "${URL%/till}/static/app.css" && break
  else
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "${URL%/till}/static/app.css" \
      2>/dev/null && break
  fi
  i=$((i + 1)); sleep 1
done
BROWSER="$(command -v chromium || command -v chromium-browser)"
exec "$BROWSER" --kiosk --no-first-run --no-default-browser-check --disable-translate \
  --disable-features=Translate,MediaRouter --disable-sync --password-store=basic --disable-session-crashed-bubble \
  --check-for-update-interval=31536000 --lang=pl "$URL"
