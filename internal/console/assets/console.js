// The console's one script, a progressive enhancement: on an event's page
// it keeps the numbers live. Every five seconds, while the page is shown
// and the updates are not paused, it fetches the page again and swaps the
// numbers in (not while the focus is among them). Without it the page shows
// the numbers as of its loading, and a reload brings the latest.
(function () {
  "use strict";
  var live = document.getElementById("live-numbers");
  if (!live || !window.fetch || !window.DOMParser) {
    return;
  }
  var paused = false;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button button-secondary live-toggle";
  button.textContent = "Pause live updates";
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", function () {
    paused = !paused;
    button.setAttribute("aria-pressed", String(paused));
  });
  live.parentNode.insertBefore(button, live);
  window.setInterval(function () {
    if (paused || document.hidden || live.contains(document.activeElement)) {
      return;
    }
    window.fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || live.contains(document.activeElement)) {
          return;
        }
        var fresh = new window.DOMParser().parseFromString(html, "text/html").getElementById("live-numbers");
        if (fresh) {
          live.innerHTML = fresh.innerHTML;
        }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }, 5000);
}());
