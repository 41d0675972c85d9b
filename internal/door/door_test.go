package door_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/admit-org/admit/internal/door"
)

// get asks the scanner for path, with the request headers (name, value, …).
func get(t *testing.T, d http.Handler, method, path string, headers ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	d.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAssets(t *testing.T) {
	d := door.New(door.Config{})
	for _, tc := range []struct {
		path, contentType, contains string
	}{
		{"/door/", "text/html; charset=utf-8", `<script type="module" src="/door/app.js"></script>`},
		{"/door/app.js", "text/javascript; charset=utf-8", "navigator.serviceWorker.register"},
		{"/door/ticket.js", "text/javascript; charset=utf-8", "export async function decide"},
		{"/door/store.js", "text/javascript; charset=utf-8", "indexedDB.open"},
		{"/door/camera.js", "text/javascript; charset=utf-8", "getUserMedia"},
		{"/door/qrworker.js", "text/javascript; charset=utf-8", "importScripts"},
		{"/door/wasm_exec.js", "text/javascript; charset=utf-8", "globalThis.Go"},
		{"/door/qr.wasm", "application/wasm", "\x00asm"},
		{"/door/sw.js", "text/javascript; charset=utf-8", `"admit-door-" + VERSION`},
		{"/door/door.css", "text/css; charset=utf-8", ".door-result-ok"},
		{"/door/manifest.webmanifest", "application/manifest+json", `"start_url": "/door/"`},
		{"/door/icon.svg", "image/svg+xml", "<svg"},
		{"/door/icon-192.png", "image/png", "\x89PNG"},
		{"/door/icon-512.png", "image/png", "\x89PNG"},
	} {
		res := get(t, d, "GET", tc.path)
		b := body(t, res)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != tc.contentType || !bytes.Contains(b, []byte(tc.contains)) {
			t.Errorf("GET %s: %d %q, %d bytes; want 200 %q with %q", tc.path, res.StatusCode,
				res.Header.Get("Content-Type"), len(b), tc.contentType, tc.contains)
			continue
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache: files are revalidated on every load", tc.path, got)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval';") || !strings.Contains(csp, "style-src 'self';") ||
			strings.Contains(csp, "unsafe-inline") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", tc.path)
			continue
		}
		again := get(t, d, "GET", tc.path, "If-None-Match", etag)
		if again.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s: %d, want 304", tc.path, etag, again.StatusCode)
		}
		head := get(t, d, "HEAD", tc.path)
		if head.StatusCode != 200 || len(body(t, head)) != 0 || head.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("HEAD %s: %d %q", tc.path, head.StatusCode, head.Header.Get("Content-Type"))
		}
	}
}

func TestIcons(t *testing.T) {
	d := door.New(door.Config{})
	for path, size := range map[string]int{"/door/icon-192.png": 192, "/door/icon-512.png": 512} {
		img, err := png.Decode(bytes.NewReader(body(t, get(t, d, "GET", path))))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("%s is %v, want %d×%d", path, b, size, size)
		}
		// The corner is the blue background; the tick's middle is white.
		if r, g, bl, _ := img.At(1, 1).RGBA(); r>>8 != 0x1d || g>>8 != 0x4e || bl>>8 != 0xd8 {
			t.Errorf("%s: corner %x %x %x, want the accent blue", path, r>>8, g>>8, bl>>8)
		}
		if r, g, bl, _ := img.At(size*44/100, size*68/100).RGBA(); r>>8 != 0xff || g>>8 != 0xff || bl>>8 != 0xff {
			t.Errorf("%s: the tick's corner is %x %x %x, want white", path, r>>8, g>>8, bl>>8)
		}
	}
}

func TestManifest(t *testing.T) {
	d := door.New(door.Config{})
	var m struct {
		Name, ShortName, StartURL, Scope, Display string
		Icons                                     []struct{ Src, Sizes, Type string }
	}
	b := body(t, get(t, d, "GET", "/door/manifest.webmanifest"))
	if err := json.Unmarshal(bytes.ReplaceAll(bytes.ReplaceAll(b, []byte(`"short_name"`), []byte(`"shortname"`)),
		[]byte(`"start_url"`), []byte(`"starturl"`)), &m); err != nil {
		t.Fatal(err)
	}
	if m.Name == "" || m.ShortName == "" || m.StartURL != "/door/" || m.Scope != "/door/" || m.Display != "standalone" {
		t.Errorf("manifest %+v", m)
	}
	for _, icon := range m.Icons {
		res := get(t, d, "GET", icon.Src)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != icon.Type {
			t.Errorf("icon %s: %d %q, want 200 %q", icon.Src, res.StatusCode, res.Header.Get("Content-Type"), icon.Type)
		}
	}
	if len(m.Icons) < 3 {
		t.Errorf("%d icons, want an SVG and PNGs of 192 and 512", len(m.Icons))
	}
}

// TestServiceWorker checks the service worker's release and the app shell
// it caches: every file of it is served.
func TestServiceWorker(t *testing.T) {
	d := door.New(door.Config{})
	sw := string(body(t, get(t, d, "GET", "/door/sw.js")))
	if !strings.Contains(sw, `const VERSION = "`+d.Version()+`";`) || len(d.Version()) != 16 {
		t.Errorf("sw.js does not name the release %q:\n%s", d.Version(), sw)
	}
	_, rest, ok := strings.Cut(sw, "const SHELL = ")
	if !ok {
		t.Fatal("sw.js has no SHELL")
	}
	var shell []string
	if err := json.NewDecoder(strings.NewReader(rest)).Decode(&shell); err != nil {
		t.Fatalf("SHELL: %v", err)
	}
	for _, want := range []string{"/door/", "/door/app.js", "/door/qr.wasm", "/door/wasm_exec.js", "/door/qrworker.js", "/assets/shop.css"} {
		if !strings.Contains(strings.Join(shell, " ")+" ", want+" ") {
			t.Errorf("the shell %v lacks %s", shell, want)
		}
	}
	for _, path := range shell {
		if path == "/assets/shop.css" {
			continue // the shop's
		}
		if res := get(t, d, "GET", path); res.StatusCode != 200 {
			t.Errorf("the shell's %s: %d", path, res.StatusCode)
		}
	}
	index := string(body(t, get(t, d, "GET", "/door/")))
	if !strings.Contains(index, d.Version()) {
		t.Errorf("the page does not name the release %s", d.Version())
	}
}

func TestGzip(t *testing.T) {
	d := door.New(door.Config{})
	plain := body(t, get(t, d, "GET", "/door/qr.wasm"))
	res := get(t, d, "GET", "/door/qr.wasm", "Accept-Encoding", "br, gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	zb := body(t, res)
	zr, err := gzip.NewReader(bytes.NewReader(zb))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) {
		t.Fatalf("the gzipped wasm does not unzip to the wasm: %v", err)
	}
	if len(zb) > len(plain)/2 {
		t.Errorf("gzip: %d bytes of %d", len(zb), len(plain))
	}
	if res.Header.Get("ETag") == get(t, d, "GET", "/door/qr.wasm").Header.Get("ETag") {
		t.Error("the gzipped answer has the plain answer's ETag")
	}
	if got := get(t, d, "GET", "/door/qr.wasm", "Accept-Encoding", "gzip;q=0").Header.Get("Content-Encoding"); got != "" {
		t.Errorf("gzip;q=0: Content-Encoding %q", got)
	}
}

// TestNotFound: any other path is the shared "page not found" page, in
// HTML as the shop answers a person who mistyped an address.
func TestNotFound(t *testing.T) {
	d := door.New(door.Config{})
	for _, tc := range []struct{ method, path string }{
		{"GET", "/door/nothing.js"}, {"GET", "/door/assets/app.js"}, {"GET", "/door/app.js/"},
		{"POST", "/door/"}, {"DELETE", "/door/app.js"}, {"GET", "/door/sw.js.map"},
	} {
		res := get(t, d, tc.method, tc.path)
		b := string(body(t, res))
		if res.StatusCode != 404 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.Contains(b, "<h1>Page not found</h1>") || !strings.Contains(b, `href="/assets/shop.css"`) ||
			res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: %d %q\n%s", tc.method, tc.path, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
	}
}

func TestRedirect(t *testing.T) {
	d := door.New(door.Config{})
	res := get(t, d, "GET", "/door")
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/door/" {
		t.Errorf("GET /door: %d to %q, want 301 to /door/", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestPage checks that the page is the shared layout, with the settings
// the app reads.
func TestPage(t *testing.T) {
	d := door.New(door.Config{})
	page := string(body(t, get(t, d, "GET", "/door/")))
	for _, want := range []string{
		`<link rel="stylesheet" href="/assets/shop.css">`, `<a class="skip-link" href="#main">`, `<main id="main"`,
		`<link rel="manifest" href="/door/manifest.webmanifest">`, `<title>Door scanner – admit</title>`,
		`bundleEveryMs&#34;:60000`, `retryEveryMs&#34;:10000`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script>", "style=", " on" + "click="} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %q: its Content-Security-Policy forbids inline scripts and styles", bad)
		}
	}
}
