// admit's shop: enhancements only. Every page works without this script.
(function () {
  "use strict";

  // The error summary takes focus, so screen readers and keyboards start there.
  // Its links move the focus to their field, as browsers do, but show the
  // field's label (or its group's legend) too: following the link alone
  // scrolls the field to the top of the window and its label out of sight.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (e) {
      var link = e.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      if (field.disabled && field.form) { // a disabled choice: the first one that can be made
        field = field.form.querySelector("input[name='" + field.name + "']:not(:disabled)") || field;
      }
      var fieldset = field.closest("fieldset");
      var legend = fieldset && fieldset.querySelector("legend");
      var label = field.type === "radio" || field.type === "checkbox" ? legend :
        document.querySelector("label[for='" + field.id + "']") || legend;
      e.preventDefault();
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  // The hold's countdown: the visible text updates every second; the polite
  // live region speaks only at a few moments, not every second.
  var el = document.querySelector("[data-countdown]");
  var announcer = document.getElementById("timer-announcer");
  if (!el) { return; }
  var expires = Date.parse(el.getAttribute("data-expires-at"));
  if (isNaN(expires)) { return; }
  var moreTime = document.querySelector("[data-more-time]"); // the button that asks for more, when allowed
  var moments = [300, 120, 60, 30]; // seconds left at which to announce
  var spoken = {};
  function say(text) { if (announcer) { announcer.textContent = text; } }
  function left(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function words(seconds) {
    if (seconds >= 60) {
      var m = Math.round(seconds / 60);
      return m + (m === 1 ? " minute" : " minutes");
    }
    return seconds + " seconds";
  }
  function tick() {
    var seconds = Math.max(0, Math.round((expires - Date.now()) / 1000));
    el.textContent = left(seconds);
    for (var i = 0; i < moments.length; i++) {
      var at = moments[i];
      if (seconds <= at && seconds > at - 5 && !spoken[at]) {
        spoken[at] = true;
        say("Your tickets are held for " + words(at) + " more." +
          (moreTime ? " If you need longer, choose \u201cI need more time\u201d." : ""));
      }
    }
    if (seconds === 0) {
      say("Your hold has ended. Reload the page to see your options.");
      clearInterval(timer);
    }
  }
  var timer = setInterval(tick, 1000);
  tick();
})();
