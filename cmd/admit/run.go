package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/mattn/go-isatty"
)

// errHelp means help was printed: exit 0 quietly.
var errHelp = errors.New("help printed")

// helpError is a command's help, asked for with -h or --help: run prints it
// on stdout and returns errHelp.
type helpError struct{ text string }

func (e *helpError) Error() string        { return errHelp.Error() }
func (e *helpError) Is(target error) bool { return target == errHelp }

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
  admit organizer list [flags]    list the organizers: id, name, tokens
  admit token create [flags]      make another API token for an organizer (by id or name)
  admit token list [flags]        list API tokens: id, organizer, name, created, revoked
  admit token revoke [flags] ID   revoke an API token
  admit member invite [flags]     print a link that lets someone join an organizer's console
  admit member list [flags]       list an organizer's members and open invitations
  admit reindex [flags]           rebuild the read model from the ledger
  admit worker parked|retry ID    list the entries the workers parked; retry one
  admit flags list|set|unset      the feature flags: flip one on every node, no restart
  admit bench onsale|chaos        measure an on-sale; kill the server under load and audit
  admit ticket verify [flags] S   check a ticket secret offline with the event's public key
  admit sandbox stripe [flags]    a Stripe API on a local stripe-mock, to try card payments
  admit version                   print the version and the source revision it was built from
  admit help [command]            show help for a command

Every flag can also be set by an environment variable, shown in each
command's help (flags win). Run "admit serve --help" to start.
`

// run is the whole program: main only adds the process around it. Tests
// call it directly. Help goes to stdout, mistakes to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := command(ctx, args, getenv, stdout, stderr)
	var h *helpError
	if errors.As(err, &h) {
		fmt.Fprint(stdout, h.text)
		return errHelp
	}
	return err
}

func command(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stdout, stderr)
	case "token":
		switch sub(rest) {
		case "create":
			return tokenCreate(ctx, rest[1:], getenv, stdout, stderr)
		case "list":
			return tokenList(ctx, rest[1:], getenv, stdout, stderr)
		case "revoke":
			return tokenRevoke(ctx, rest[1:], getenv, stdout, stderr)
		}
		return &usageError{`"admit token" needs a subcommand: admit token create --organizer ID|NAME, admit token list, admit token revoke ID`}
	case "organizer":
		switch sub(rest) {
		case "create":
			return organizerCreate(ctx, rest[1:], getenv, stdout, stderr)
		case "list":
			return organizerList(ctx, rest[1:], getenv, stdout, stderr)
		}
		return &usageError{`"admit organizer" needs a subcommand: admit organizer create --name NAME, admit organizer list`}
	case "member":
		switch sub(rest) {
		case "invite":
			return memberInvite(ctx, rest[1:], getenv, stdout, stderr)
		case "list":
			return memberList(ctx, rest[1:], getenv, stdout, stderr)
		}
		return &usageError{`"admit member" needs a subcommand: admit member invite --organizer ID|NAME, admit member list --organizer ID|NAME`}
	case "reindex":
		return reindex(ctx, rest, getenv, stdout, stderr)
	case "worker":
		return workerCmd(ctx, rest, getenv, stdout, stderr)
	case "flags":
		return flagsCmd(ctx, rest, getenv, stdout, stderr)
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
	case "version", "-version", "--version":
		return version(rest, stdout)
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

// sub is the subcommand in args, or "".
func sub(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// version prints the module's version and the revision it was built from.
func version(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q: admit version takes none", args[0])}
	}
	fmt.Fprint(stdout, versionText())
	return nil
}

// mainVersion is the module version admit was built as, "(devel)" from a
// checkout.
func mainVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.Main.Version
	}
	return "unknown"
}

func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "admit: no build information (built without module support)\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "admit %s (%s)\n", info.Main.Version, info.GoVersion)
	set := map[string]string{}
	for _, s := range info.Settings {
		set[s.Key] = s.Value
	}
	if rev := set["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "revision %s", rev)
		if t := set["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " of %s", t)
		}
		if set["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("revision unknown (built outside a checkout, or with -buildvcs=false)\n")
	}
	return b.String()
}

// flags is a flag set whose flags default to environment variables.
type flags struct {
	*flag.FlagSet
	name, summary string
	// synopsis is the usage line after "Usage: "; default "admit NAME [flags]".
	synopsis string
	getenv   func(string) string
	stderr   io.Writer
	bad      []string // environment variables that did not parse
}

func newFlags(name, summary string, getenv func(string) string, stderr io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse prints: help on stdout, mistakes on stderr
	fs.Usage = func() {}
	return &flags{FlagSet: fs, name: name, summary: summary, synopsis: "admit " + name + " [flags]", getenv: getenv, stderr: stderr}
}

// usage is the command's help text.
func (f *flags) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n\nFlags:\n", f.synopsis, f.summary)
	f.SetOutput(&b)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
	return b.String()
}

// parseError turns a flag package error into errHelp (the help, for stdout)
// or a usage error (the help on stderr first).
func (f *flags) parseError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return &helpError{f.usage()}
	}
	fmt.Fprint(f.stderr, f.usage())
	return &usageError{err.Error()}
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
		return f.parseError(err)
	}
	if len(f.bad) > 0 {
		return &usageError{"bad environment variable: " + strings.Join(f.bad, ", ")}
	}
	if f.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", f.Arg(0))}
	}
	return nil
}

// parseArgs is parse for a command that takes exactly n arguments, before,
// between or after its flags ("--" ends the flags).
func (f *flags) parseArgs(args []string, n int) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, f.parseError(err)
		}
		rest := f.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...) // after "--", all are arguments
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(f.bad) > 0 {
		return nil, &usageError{"bad environment variable: " + strings.Join(f.bad, ", ")}
	}
	if len(pos) != n {
		return nil, &usageError{fmt.Sprintf("want %d argument(s), got %d (see %s --help)", n, len(pos), "admit "+f.name)}
	}
	return pos, nil
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
