// Package browser is for tests that look at admit's pages in a real
// browser: Debian's Chromium, headless, driven over the DevTools protocol
// with chromedp, with axe-core injected to check pages against WCAG 2.2 AA.
//
// Start launches one browser for a test and its subtests (StartWith, one
// with more flags, such as a fake camera's); Tab opens a tab in it for one
// test. The checks (Axe, Controls, Focused, Reflow) read the page as it is
// now and change nothing in it, so a test can run them at every step of a
// flow. Shots saves the screenshots a test leaves behind.
//
// Tests without Chromium skip, saying so loudly; a test that has Chromium
// but cannot get axe-core fails. Nothing here downloads a browser: axe-core
// comes from the npm registry into the user's cache directory, once.
//
// The helpers take a testing.TB and are safe to use from parallel tests,
// each with its own tab.
package browser
