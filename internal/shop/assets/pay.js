// admit's card payment: Stripe's Payment Element on a card order's page.
// Loaded only when the organizer configured Stripe; the page explains what
// to do without it.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe !== "function") { return; }
  var message = document.getElementById("payment-message");
  var button = document.getElementById("pay-button");
  var stripe = Stripe(form.getAttribute("data-stripe-key"));
  var elements = stripe.elements({ clientSecret: form.getAttribute("data-client-secret") });
  elements.create("payment").mount("#payment-element");

  function show(text) {
    message.textContent = text;
    message.hidden = false;
    button.disabled = false;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.hidden = true;
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.getAttribute("data-return-url") } })
      .then(function (result) {
        // Only reached when the payment could not be confirmed: declined,
        // a mistake in the card details, or the network.
        if (result.error) {
          show((result.error.message || "The payment did not go through.") +
            " Nothing was charged; check the details or try another card.");
        }
      });
  });
})();
