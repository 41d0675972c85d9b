// Package tracing sends OpenTelemetry traces of requests, from the HTTP
// request through the box office to the ledger's acknowledgement, when the
// standard OTEL_* environment variables ask for it, and costs next to
// nothing when they do not. docs/operating.md says what is traced.
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/admit-org/admit/internal/httpstatus"
)

// Name is the instrumentation scope of admit's spans.
const Name = "github.com/admit-org/admit"

// enabled is set once a tracer provider that records is in place: until
// then nothing starts a span, not even a no-op one.
var enabled atomic.Bool

// Enabled reports whether spans are recorded.
func Enabled() bool { return enabled.Load() }

// Tracer is admit's tracer from the global provider.
func Tracer() trace.Tracer { return otel.Tracer(Name) }

// Wanted reports whether the environment asks for traces: an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or
// OTEL_TRACES_EXPORTER=otlp, unless OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none.
func Wanted(getenv func(string) string) bool {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false
	}
	switch strings.ToLower(getenv("OTEL_TRACES_EXPORTER")) {
	case "none":
		return false
	case "otlp":
		return true
	case "":
	default:
		return false // only OTLP is built in
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Start sets up an OTLP/HTTP exporter configured by the OTEL_* variables
// (endpoint, headers, timeout, sampler, service name and resource
// attributes), as the global tracer provider, with W3C Trace Context and
// Baggage propagation. The returned function flushes and stops it.
func Start(ctx context.Context, version string) (shutdown func(context.Context) error, err error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", "admit"), attribute.String("service.version", version)))
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	// Environment attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) win.
	if env, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, env); err == nil {
			res = merged
		}
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	Use(tp)
	return func(ctx context.Context) error {
		enabled.Store(false)
		return tp.Shutdown(ctx)
	}, nil
}

// Use makes tp the global tracer provider, with W3C Trace Context and
// Baggage propagation, and turns the spans on; restore puts back what was
// there before. Tests use it with an in-memory exporter.
func Use(tp trace.TracerProvider) (restore func()) {
	prevTP, prevProp, prevOn := otel.GetTracerProvider(), otel.GetTextMapPropagator(), enabled.Load()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	enabled.Store(true)
	return func() {
		enabled.Store(prevOn)
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
	}
}

// Middleware gives each request next answers a server span, the child of
// the caller's when the request carries a traceparent header. next must be
// an http.ServeMux, or set Request.Pattern as one does: the span is named
// by the route the request matched.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !Enabled() {
			next.ServeHTTP(w, r)
			return
		}
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := Tracer().Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		defer span.End()
		sw := httpstatus.Wrap(w)
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		if r.Pattern != "" {
			span.SetName(r.Pattern)
			span.SetAttributes(attribute.String("http.route", r.Pattern))
		}
		code := sw.Code()
		span.SetAttributes(attribute.Int("http.response.status_code", code))
		if code >= 500 {
			span.SetStatus(codes.Error, http.StatusText(code))
		}
	})
}
