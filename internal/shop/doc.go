// Package shop is the buyer's web shop: server-rendered HTML pages for an
// event, the hold, checkout, and the order with its tickets. It works with
// JavaScript off (plain form posts, 303 redirects); a small script adds
// the hold's countdown. Pages are built from a typed view model each, with
// html/template and embedded templates and assets, and are meant to meet
// WCAG 2.2 AA: landmarks, labelled controls, an error summary tied to its
// fields, a polite live region for the hold's time, visible focus.
//
// Amounts, dates and times are written by package locale in the language
// the browser asks for (Accept-Language), with the event's time zone
// shown; "Free" is the shop's word for a price of 0. The pages' words are
// English.
//
// The shop talks to the box offices directly, like the API; it shares the
// API's rules, because they are the box office's.
package shop
