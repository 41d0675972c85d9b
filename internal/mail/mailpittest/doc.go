// Package mailpittest runs a real SMTP server, Mailpit, for tests, and reads
// what it received through Mailpit's REST API.
//
//	mp := mailpittest.Start(t)
//	// send to mp.SMTPHost:mp.SMTPPort, without TLS or authentication
//	msgs := mp.WaitMessages(t, 1, 10*time.Second)
//	d := mp.Message(t, msgs[0].ID)
//
// Mailpit (github.com/axllent/mailpit) is pinned by the tools module in
// tools/mailpit of this repository: it cannot be installed with
// `go install`, so Start builds it from there with `go build`, once per test
// process, into a directory under os.UserCacheDir() named after a hash of
// that module's go.mod and go.sum and of the Go version. The first build
// takes about a minute (a few minutes with an empty Go build cache); later
// test runs reuse the binary. If it cannot be built, Start fails the test
// and says how to build it by hand: it never skips.
//
// Each Start runs its own Mailpit, on free loopback ports, with its own
// database in a temporary directory, without version checks or reverse DNS
// look-ups, and stops it when the test ends. Extra command-line flags are
// passed through, for example to make Mailpit reject recipients
// ("--smtp-allowed-recipients", regexp) or fail on purpose
// ("--chaos-triggers", "Recipient:451:100"). Starting one takes about half
// a second.
package mailpittest
