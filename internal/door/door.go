package door

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/admit-org/admit/internal/links"
	"github.com/admit-org/admit/internal/shop"
)

//go:embed assets
var assetFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

// Config is what New needs. The zero Config is the scanner as it runs at
// a door.
type Config struct {
	// BundleEvery is how often the scanner fetches the event's bundle
	// while it is online; 0 is every minute.
	BundleEvery time.Duration
	// RetryEvery is how often it tries again to upload the scans that are
	// waiting, besides when the browser says it is back online; 0 is every
	// 10 seconds.
	RetryEvery time.Duration
}

// Door is the scanner's http.Handler; safe for concurrent use.
type Door struct {
	csp      string
	version  string           // a hash of everything served: the service worker's cache name
	files    map[string]*file // by path: "/door/", "/door/app.js", …
	notFound []byte           // the page for any other path
}

// file is one answer of the scanner: an asset or its page.
type file struct {
	contentType string
	etag        string
	body        []byte
	compress    bool // worth answering gzip-encoded to a browser that takes it

	gzipOnce sync.Once
	gzipped  []byte
}

// contentTypes are the types of the assets, by extension: set here rather
// than taken from the system's MIME table, which differs between machines.
var contentTypes = map[string]string{
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".wasm":        "application/wasm",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".html":        "text/html; charset=utf-8",
	"/":            "text/html; charset=utf-8",
}

// New returns the scanner. It panics if its embedded files are broken,
// which the package's tests rule out.
func New(c Config) *Door {
	if c.BundleEvery <= 0 {
		c.BundleEvery = time.Minute
	}
	if c.RetryEvery <= 0 {
		c.RetryEvery = 10 * time.Second
	}
	d := &Door{files: map[string]*file{},
		// The page's scripts and the QR reader (WebAssembly, which needs
		// 'wasm-unsafe-eval') come from here and nowhere else; it talks
		// only to this origin's API; nothing may frame it.
		csp: "default-src 'self'; img-src 'self' data: blob:; script-src 'self' 'wasm-unsafe-eval'; " +
			"style-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; media-src 'self' blob:; " +
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"}

	fixed := loadFixed()
	maps.Copy(d.files, fixed.files)

	settings := map[string]any{
		"bundleEveryMs": c.BundleEvery.Milliseconds(),
		"retryEveryMs":  c.RetryEvery.Milliseconds(),
	}
	index := func() []byte {
		cfg, err := json.Marshal(settings)
		if err != nil {
			panic(err)
		}
		return render("index.html", view{Title: "Door scanner", Config: string(cfg)})
	}
	d.add("/door/", index())
	d.notFound = render("notfound.html", view{Title: "Page not found"})

	// The version covers every file and the service worker's own code, so
	// any change to what is served installs a new service worker, which
	// caches the new files. The page is hashed before it names the version.
	names := slices.Sorted(maps.Keys(d.files))
	h := sha256.New()
	h.Write(fixed.sum[:])
	h.Write(d.files["/door/"].body)
	d.version = hex.EncodeToString(h.Sum(nil))[:16]
	settings["version"] = d.version
	d.add("/door/", index())

	// The app shell the service worker keeps: every file here but the
	// larger icon (the page never loads it), and the shop's stylesheet,
	// which the layout links.
	shell := []string{"/assets/shop.css"}
	for _, name := range names {
		if name != "/door/icon-512.png" {
			shell = append(shell, name)
		}
	}
	shellJSON, err := json.Marshal(shell)
	if err != nil {
		panic(err)
	}
	sw := bytes.ReplaceAll(fixed.sw, []byte(`"__DOOR_VERSION__"`), []byte(`"`+d.version+`"`))
	sw = bytes.ReplaceAll(sw, []byte(`["__DOOR_SHELL__"]`), shellJSON)
	d.add("/door/sw.js", sw)
	return d
}

// add serves body at name.
func (d *Door) add(name string, body []byte) { d.files[name] = newFile(name, body) }

// newFile is body served at name, typed by name's extension.
func newFile(name string, body []byte) *file {
	ext := path.Ext(name)
	if strings.HasSuffix(name, "/") {
		ext = "/"
	}
	ct, ok := contentTypes[ext]
	if !ok {
		panic("door: no content type for " + name)
	}
	sum := sha256.Sum256(body)
	return &file{contentType: ct, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		compress: ext != ".png" && len(body) > 1024}
}

// fixed are the files that are the same for every Door: the embedded
// assets and the icons, a hash of them, and the service worker's code
// before the version and shell are filled in.
type fixed struct {
	files map[string]*file // never changed after loadFixed
	sum   [sha256.Size]byte
	sw    []byte
}

// loadFixed makes the fixed files once per process and shares them
// between Doors, so that the wasm's gzip encoding (a quarter of a second)
// and the icons are made once. A file is safe for concurrent use.
var loadFixed = sync.OnceValue(func() *fixed {
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	f := &fixed{files: map[string]*file{}}
	err = fs.WalkDir(assets, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		body, err := fs.ReadFile(assets, name)
		if err != nil {
			return err
		}
		if name == "sw.js" {
			f.sw = body // each Door completes it with its version
			return nil
		}
		f.files["/door/"+name] = newFile("/door/"+name, body)
		return nil
	})
	if err != nil {
		panic(err)
	}
	f.files["/door/icon-192.png"] = newFile("/door/icon-192.png", iconPNG(192))
	f.files["/door/icon-512.png"] = newFile("/door/icon-512.png", iconPNG(512))
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(f.files)) {
		fmt.Fprintf(h, "%s %s\n", name, f.files[name].etag)
	}
	h.Write(f.sw)
	h.Sum(f.sum[:0])
	return f
})

// view is what the scanner's pages show through the shared layout.
type view struct {
	Title  string
	Errors []struct{ ID, Message string } // the layout's error summary: the page fills its own
	Notice string
	Script bool   // the shop's script: never
	Config string // the app's settings, JSON
}

func render(name string, v view) []byte {
	t := template.Must(shop.Layout().ParseFS(templateFS, "templates/"+name))
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		panic(fmt.Sprintf("door: render %s: %v", name, err))
	}
	return b.Bytes()
}

// Version names the build of what the scanner serves; the service worker
// caches it under this name.
func (d *Door) Version() string { return d.version }

// ServeHTTP serves the scanner's page at /door/ (links.Door; /door
// redirects there), its files under /door/, and the shared "page not
// found" for any other path or method. Every answer carries the scanner's
// Content-Security-Policy. Files are revalidated on every load
// (Cache-Control: no-cache, with an ETag), so a new release is seen at
// once: offline, the service worker answers from its cache instead.
func (d *Door) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", d.csp)
	h.Set("Referrer-Policy", "no-referrer") // the page's address may carry the device's token
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	if r.URL.Path == "/door" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// The browser keeps the fragment, which holds the setup.
		http.Redirect(w, r, links.Door(), http.StatusMovedPermanently)
		return
	}
	f := d.files[r.URL.Path]
	if f == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNotFound)
		w.Write(d.notFound)
		return
	}
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.body, f.etag
	if f.compress {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gzip(), strings.TrimSuffix(f.etag, `"`)+`-gzip"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}

// gzip returns the body gzip-encoded, compressing it on first use.
func (f *file) gzip() []byte {
	f.gzipOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression) // a valid level: no error
		zw.Write(f.body)                                          // into a bytes.Buffer: no error
		zw.Close()
		f.gzipped = b.Bytes()
	})
	return f.gzipped
}
