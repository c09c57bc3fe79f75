/* Passkey ceremonies on the sign-in, invitation and passkeys pages.
 * Each <form data-passkey="sign-in|enrol|add|confirm"> fetches its options from
 * data-options-url, runs the ceremony with SimpleWebAuthn (vendored) and posts the result to its
 * action as JSON; the server answers with where to go next, or a message to show. */
(function () {
  "use strict";
  var lib = window.SimpleWebAuthnBrowser;
  var CREATES_A_PASSKEY = { enrol: true, add: true };

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.message || "");
          error.fromServer = true;
          throw error;
        }
        return data;
      });
    });
  }

  function statusOf(form) {
    return form.querySelector("[data-passkey-status]");
  }

  function show(form, text, kind) {
    var status = statusOf(form);
    status.textContent = text;
    status.setAttribute("data-kind", kind || "error");
    if (kind !== "working") status.focus();
  }

  function messageFor(form, error) {
    var texts = statusOf(form).dataset;
    if (error.fromServer && error.message) return error.message;
    if (error instanceof TypeError) return texts.networkText; // fetch could not reach the server
    return texts.cancelledText; // the person closed the prompt, or the device refused
  }

  function isAbort(error) {
    return error && (error.name === "AbortError" || error.code === "ERROR_CEREMONY_ABORTED");
  }

  // Stops a ceremony between its steps once its signal is aborted (the browser's own prompt is
  // cancelled through SimpleWebAuthn's abort service).
  function unlessAborted(signal) {
    return function (value) {
      if (signal && signal.aborted) {
        var error = new Error("aborted");
        error.name = "AbortError";
        throw error;
      }
      return value;
    };
  }

  function ceremony(form, autofill, signal) {
    var kind = form.getAttribute("data-passkey");
    var nameField = form.querySelector("input[name=name]");
    return post(form.getAttribute("data-options-url"))
      .then(unlessAborted(signal))
      .then(function (options) {
        if (!autofill) show(form, statusOf(form).dataset.workingText, "working");
        return CREATES_A_PASSKEY[kind]
          ? lib.startRegistration({ optionsJSON: options })
          : lib.startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill });
      })
      .then(unlessAborted(signal))
      .then(function (credential) {
        if (autofill) form.querySelector("button[type=submit]").disabled = true; // this one signs in: no second
        return post(form.getAttribute("action"), {
          credential: credential,
          name: nameField ? nameField.value : "",
          next: form.getAttribute("data-next") || "",
        });
      })
      .then(function (result) {
        window.location.assign(result.redirect);
      });
  }

  function setUp(form) {
    var button = form.querySelector("button[type=submit]");
    if (!lib || !lib.browserSupportsWebAuthn()) {
      show(form, statusOf(form).dataset.unsupportedText);
      button.disabled = true;
      return;
    }
    // Signing in, passkeys are offered in the browser's autofill too: one ceremony at a time, so
    // that two sign-ins never race (the second would end the first one's session).
    var autofill = null; // the AbortController of the autofill's ceremony while it waits
    var offersAutofill = form.getAttribute("data-passkey") === "sign-in" ? lib.browserSupportsWebAuthnAutofill() : Promise.resolve(false);

    function offerAutofill() {
      offersAutofill.then(function (supported) {
        if (!supported || autofill) return;
        var controller = (autofill = new AbortController());
        ceremony(form, true, controller.signal).catch(function (error) {
          if (autofill !== controller) return; // aborted for the button's ceremony
          autofill = null;
          button.disabled = false;
          if (!isAbort(error)) show(form, messageFor(form, error));
        });
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (autofill) {
        autofill.abort();
        autofill = null;
        lib.WebAuthnAbortService.cancelCeremony();
      }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      ceremony(form, false).catch(function (error) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        show(form, messageFor(form, error));
        offerAutofill(); // the button's ceremony is over: the autofill may offer passkeys again
      });
    });
    offerAutofill();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-passkey]").forEach(setUp);
  });
})();
