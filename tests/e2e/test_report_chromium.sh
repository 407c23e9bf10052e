#!/usr/bin/env bash
# test_report_chromium.sh - the planners' report as a browser shows it. `hotspot run` on the
# demo writes out/demo/hotspots.html beside the GeoPackage; headless Chromium, with every host
# name resolving to nothing, renders it. Checks: the file is one self-contained page (CSP meta,
# no http(s) URL); the page renders (a screenshot of more than 20 kB with real colour variation,
# and the density pictures drawn: the same page with images switched off looks different); the
# maps and tables are in the DOM, one patrol table row per patrol area in the GeoPackage; the
# page makes no request (Chromium's network log holds no request started by the page, and the
# console shows no Content-Security-Policy refusal). Two control pages prove that these
# detectors see a request and a refusal when there is one.
# Needs Chromium (Debian package chromium; CHROMIUM overrides /usr/bin/chromium) and
# /usr/bin/python3 with GDAL's bindings (python3-gdal) and numpy.
source "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PY=/usr/bin/python3
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM (install the Debian package chromium)"

fresh_dir
mkdir -p data/demo
cp "$HS_SOURCE_DIR/data/demo/job.ini" data/demo/job.ini
run_rc "$HOTSPOT" run --no-progress -q
[ "$RC" -eq 0 ] || fail "hotspot run exited $RC"
gpkg=out/demo/hotspots.gpkg
html="$PWD/out/demo/hotspots.html"
[ -s "$html" ] || fail "the run wrote no report: expected $html beside $gpkg"
pass "the run wrote its report ($(stat -c %s "$html") bytes)"

# ---- the file --------------------------------------------------------------------------------
head -c 15 "$html" | grep -qx '<!DOCTYPE html>' || fail "the report does not start with <!DOCTYPE html>"
csp="<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
grep -qF "$csp" "$html" || fail "the report lacks the Content-Security-Policy meta tag"
# occurrences PATTERN FILE: how many times the extended regex matches (0 when none).
occurrences() { { grep -oE "$1" "$2" || true; } | wc -l; }
n_url=$(occurrences 'https?://' "$html")
[ "$n_url" -eq 0 ] || fail "the report holds $n_url http(s) URLs: $(grep -oE 'https?://[^" <]*' "$html" | head -n 3)"
n_png=$(occurrences 'data:image/png;base64,' "$html")
[ "$n_png" -ge 1 ] || fail "the report embeds no density picture"
pass "one self-contained file: CSP meta, no http(s) URL, $n_png embedded PNG"

# ---- Chromium --------------------------------------------------------------------------------
# browse NAME URL [ARGS...]: load URL headless, network log in NAME.netlog.json, stdout in
# NAME.out, log in NAME.err; a fresh profile each time.
browse() {
  local name=$1 url=$2
  shift 2
  local profile
  profile=$(mktemp -d "$HS_TEST_TMP_DIR/profile.XXXXXX")
  run_rc timeout 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0 \
    --user-data-dir="$profile" --log-net-log="$PWD/$name.netlog.json" "$@" "$url" \
    >"$name.out" 2>"$name.err"
  rm -rf "$profile"
  [ "$RC" -eq 0 ] || fail "chromium exited $RC on $url: $(tail -n 3 "$name.err")"
}

# page_requests NETLOG: the URLs of requests the page started (Chromium's own background
# requests carry the initiator "not an origin"), other than file: and data: URLs.
page_requests() {
  "$PY" - "$1" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
for e in log["events"]:
    p = e.get("params") or {}
    if names.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
        if p.get("initiator") != "not an origin" and not p["url"].startswith(("file:", "data:")):
            print(p["url"])
EOF
}

csp_refusals() { occurrences 'Content Security Policy' "$1"; }

# Controls: an outside image without CSP is requested by the page; with the CSP it is refused.
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>probe</title></head><body><img src="http://hs-probe.invalid/x.png"></body></html>\n' > control.html
sed "s|<title>|$csp<title>|" control.html > control_csp.html
browse control "file://$PWD/control.html" --dump-dom
[ -n "$(page_requests control.netlog.json)" ] || fail "control: the network log shows no request by the page"
browse control_csp "file://$PWD/control_csp.html" --dump-dom
[ "$(csp_refusals control_csp.err)" -ge 1 ] || fail "control: no CSP refusal in Chromium's log"
[ -z "$(page_requests control_csp.netlog.json)" ] || fail "control: the CSP did not stop the request"
pass "controls: the detectors see a page request and a CSP refusal"

browse shot "file://$html" --screenshot="$PWD/report.png" --window-size=1280,2000
[ -z "$(page_requests shot.netlog.json)" ] || fail "the report made requests: $(page_requests shot.netlog.json | head -n 3)"
[ "$(csp_refusals shot.err)" -eq 0 ] || fail "the report broke its CSP: $(grep 'Content Security Policy' shot.err | head -n 2)"
pass "no request and no CSP refusal while rendering"

[ -f report.png ] || fail "no screenshot"
size=$(stat -c %s report.png)
[ "$size" -gt 20000 ] || fail "the screenshot is only $size bytes"
browse noimg "file://$html" --screenshot="$PWD/noimg.png" --window-size=1280,2000 \
  --blink-settings=imagesEnabled=false
"$PY" - report.png noimg.png <<'EOF' || fail "the screenshot does not show the report"
import sys
import numpy as np
from osgeo import gdal
shot = gdal.Open(sys.argv[1]).ReadAsArray().astype(int)[:3]
noimg = gdal.Open(sys.argv[2]).ReadAsArray().astype(int)[:3]
colours = len(np.unique(shot.reshape(3, -1), axis=1).T)
spread = max(float(b.std()) for b in shot)
changed = int((np.abs(shot - noimg).sum(axis=0) > 0).sum())
print(f"screenshot: {shot.shape[2]} x {shot.shape[1]}, {colours} colours, largest band "
      f"std {spread:.1f}; {changed} pixels change without images")
sys.exit(0 if colours > 50 and spread > 10 and changed > 1000 else 1)
EOF
pass "the page renders ($size bytes), density pictures drawn"

# ---- the DOM ---------------------------------------------------------------------------------
browse dom "file://$html" --dump-dom
groups=$(ogrinfo -ro -so "$gpkg" wards | sed -n 's/^n_\([A-Za-z0-9_]*\): .*/\1/p' | grep -vx all)
[ -n "$groups" ] || fail "no groups in the wards layer"
for g in $groups; do
  want=$(sql1 "$gpkg" "SELECT COUNT(*) FROM patrol_areas WHERE group_name = '$g'")
  "$PY" - dom.out "$g" "$want" <<'EOF' || fail "group $g: the DOM lacks its map or patrol table"
import sys
from html.parser import HTMLParser
dom, group, want = sys.argv[1], sys.argv[2], int(sys.argv[3])

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.svg_paths, self.svg_images, self.rows = [], 0, 0, 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append((tag, a.get("id")))
        ids = {i for _, i in self.stack}
        if f"map-{group}" in ids and tag == "path":
            self.svg_paths += 1
        if f"map-{group}" in ids and tag == "image" and a.get("href", "").startswith("data:image/png;base64,"):
            self.svg_images += 1
        if f"patrol-{group}" in ids and tag == "tr" and any(t == "tbody" for t, _ in self.stack):
            self.rows += 1
    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

d = Dom()
d.feed(open(dom, encoding="utf-8").read())
print(f"{group}: map with {d.svg_paths} paths and {d.svg_images} picture(s), {d.rows} patrol rows (GeoPackage: {want})")
sys.exit(0 if d.svg_paths > 0 and d.svg_images == 1 and d.rows == want else 1)
EOF
done
pass "maps and patrol tables in the DOM for: $(echo $groups)"
