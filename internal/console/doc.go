// Package console is the organizers' web console at /manage: server-rendered
// pages (html/template, the shop's layout and stylesheet) that work without
// JavaScript, for the people of an organizer to sign in, run their events
// and manage their team.
//
// Members sign in with their e-mail and password; a session is a random
// secret in an HttpOnly, SameSite=Lax cookie (Secure and __Host- behind
// TLS), made anew at every sign-in. Every form is refused unless the
// browser says it comes from this site (net/http's CrossOriginProtection)
// and, once signed in, unless it carries the session's form secret. What a
// member may see and do is decided by access.Allow from their role as the
// read model has it at that request, the same decision the API makes for
// tokens.
package console
