/* Passkey ceremonies on the sign-in, invitation and passkeys pages.
 * Each <form data-passkey="sign-in|enrol|add|confirm"> fetches its options from
 * data-options-url, runs the ceremony with SimpleWebAuthn (vendored) and posts the result to its
 * action as JSON; the server answers with where to go next, or a message to show. */
(function () {
  "use strict";
  var lib = window.SimpleWebAuthnBrowser;
  var CREATES_A_PASSKEY = { enrol: true, add: true };

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["x-csrftoken"];
    } catch (error) {
      return "";
    }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json", "x-csrftoken": csrfToken() },
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

  function ceremony(form, autofill) {
    var kind = form.getAttribute("data-passkey");
    var nameField = form.querySelector("input[name=name]");
    return post(form.getAttribute("data-options-url"))
      .then(function (options) {
        if (!autofill) show(form, statusOf(form).dataset.workingText, "working");
        return CREATES_A_PASSKEY[kind]
          ? lib.startRegistration({ optionsJSON: options })
          : lib.startAuthentication({ optionsJSON: options, useBrowserAutofill: autofill });
      })
      .then(function (credential) {
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
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      ceremony(form, false).catch(function (error) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        show(form, messageFor(form, error));
      });
    });
    if (form.getAttribute("data-passkey") === "sign-in") {
      // Offer passkeys in the browser's autofill too; the button's ceremony cancels this one.
      lib.browserSupportsWebAuthnAutofill().then(function (supported) {
        if (!supported) return;
        ceremony(form, true).catch(function (error) {
          if (!isAbort(error)) show(form, messageFor(form, error));
        });
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-passkey]").forEach(setUp);
  });
})();
