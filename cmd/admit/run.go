package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
)

// errHelp means help was printed: exit 0 quietly.
var errHelp = errors.New("help printed")

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u *usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

const usage = `admit is an open-source ticketing platform.

Usage:
  admit serve [flags]             run the server (API on http://127.0.0.1:8080)
  admit organizer create [flags]  add an organizer (tenant) and print its API token
  admit token create [flags]      make another API token for an organizer
  admit reindex [flags]           rebuild the read model from the ledger
  admit worker parked|retry ID    list the entries the workers parked; retry one
  admit bench onsale|chaos        measure an on-sale; kill the server under load and audit
  admit ticket verify [flags] S   check a ticket secret offline with the event's public key
  admit sandbox stripe [flags]    a Stripe API on a local stripe-mock, to try card payments
  admit help [command]            show help for a command

Every flag can also be set by an environment variable, shown in each
command's help (flags win). Run "admit serve --help" to start.
`

// run is the whole program: main only adds the process around it. Tests
// call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "token":
		if len(rest) == 0 || rest[0] != "create" {
			return &usageError{`"admit token" needs a subcommand: admit token create --organizer ID`}
		}
		return tokenCreate(ctx, rest[1:], getenv, stdout, stderr)
	case "organizer":
		if len(rest) == 0 || rest[0] != "create" {
			return &usageError{`"admit organizer" needs a subcommand: admit organizer create --name NAME`}
		}
		return organizerCreate(ctx, rest[1:], getenv, stdout, stderr)
	case "reindex":
		return reindex(ctx, rest, getenv, stdout, stderr)
	case "worker":
		return workerCmd(ctx, rest, getenv, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, getenv, stdout, stderr)
	case "ticket":
		if len(rest) == 0 || rest[0] != "verify" {
			return &usageError{`"admit ticket" needs a subcommand: admit ticket verify --public-key KEY 'AT1:…'`}
		}
		return ticketVerify(ctx, rest[1:], getenv, stdout, stderr)
	case "sandbox":
		if len(rest) == 0 || rest[0] != "stripe" {
			return &usageError{`"admit sandbox" needs a subcommand: admit sandbox stripe`}
		}
		return sandboxStripe(ctx, rest[1:], getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run(ctx, []string{rest[0], "--help"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return errHelp
	}
	fmt.Fprint(stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// flags is a flag set whose flags default to environment variables.
type flags struct {
	*flag.FlagSet
	getenv func(string) string
	bad    []string // environment variables that did not parse
}

func newFlags(name, summary string, getenv func(string) string, stderr io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: admit %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs, getenv: getenv}
}

func (f *flags) string(name, env, def, help string) *string {
	if v := f.getenv(env); v != "" {
		def = v
	}
	return f.String(name, def, help+" ($"+env+")")
}

func (f *flags) int(name, env string, def int, help string) *int {
	if v := f.getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.bad = append(f.bad, env+"="+v+" (want a whole number)")
		}
		def = n
	}
	return f.Int(name, def, help+" ($"+env+")")
}

func (f *flags) bool(name, env string, def bool, help string) *bool {
	if v := f.getenv(env); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.bad = append(f.bad, env+"="+v+" (want true or false)")
		}
		def = b
	}
	return f.Bool(name, def, help+" ($"+env+")")
}

// parse parses args, turning -h into errHelp and mistakes into usage errors.
func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return &usageError{err.Error()}
	}
	if len(f.bad) > 0 {
		return &usageError{"bad environment variable: " + strings.Join(f.bad, ", ")}
	}
	if f.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", f.Arg(0))}
	}
	return nil
}

// parseArgs is parse for a command that takes exactly n arguments after its
// flags.
func (f *flags) parseArgs(args []string, n int) ([]string, error) {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, &usageError{err.Error()}
	}
	if len(f.bad) > 0 {
		return nil, &usageError{"bad environment variable: " + strings.Join(f.bad, ", ")}
	}
	if f.NArg() != n {
		return nil, &usageError{fmt.Sprintf("want %d argument(s) after the flags, got %d", n, f.NArg())}
	}
	return f.Args(), nil
}

// newLogger logs text on a terminal and JSON otherwise.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, &usageError{fmt.Sprintf("log level %q: want debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, &usageError{fmt.Sprintf("log format %q: want auto, text or json", format)}
}
