// "My cases on this device": the follow links a person chose to remember here, kept in this
// browser's storage alone (no account, nothing sent anywhere but to fetch each case's card).
(function () {
  "use strict";
  var KEY = "minsheng.myCases";
  var TOKEN = /^[A-Za-z0-9_-]{20,64}$/;  // a follow link's token, and nothing that could make another path
  var MOST = 50;

  function load() {
    try {
      var list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (token) { return TOKEN.test(token); }) : [];
    } catch (error) {
      return [];
    }
  }

  function save(list) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(list.slice(0, MOST)));
    } catch (error) { /* storage full or off: nothing is remembered */ }
  }

  function showRemembered(button) {
    button.hidden = true;
    var done = document.querySelector("[data-remembered]");
    if (done) done.hidden = false;
  }

  document.addEventListener("click", function (event) {
    var remember = event.target.closest("[data-remember-case]");
    if (remember) {
      var token = remember.getAttribute("data-remember-case");
      if (TOKEN.test(token)) {
        save([token].concat(load().filter(function (each) { return each !== token; })));
        showRemembered(remember);
      }
    }
    var forget = event.target.closest("[data-forget-case]");
    if (forget) {
      var gone = forget.getAttribute("data-forget-case");
      save(load().filter(function (each) { return each !== gone; }));
      var item = forget.closest("li");
      if (item) item.remove();
      showEmpty();
    }
  });

  function showEmpty() {
    var list = document.querySelector("[data-my-cases]");
    var empty = document.querySelector("[data-my-cases-empty]");
    if (list && empty) empty.hidden = list.children.length > 0;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var remember = document.querySelector("[data-remember-case]");
    if (remember && load().indexOf(remember.getAttribute("data-remember-case")) >= 0) showRemembered(remember);
    if (remember) remember.closest("[data-remember]").hidden = false;  // offered only where script runs
    var list = document.querySelector("[data-my-cases]");
    if (!list) return;
    load().forEach(function (token) {
      var item = document.createElement("li");
      item.setAttribute("hx-get", "/follow/" + token + "?part=card");
      item.setAttribute("hx-trigger", "load");
      item.setAttribute("data-token", token);
      item.setAttribute("aria-busy", "true");  // until its card comes
      list.appendChild(item);
    });
    showEmpty();
    if (window.htmx) window.htmx.process(list);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var item = event.detail.elt;
    if (item && item.closest && item.closest("[data-my-cases]")) item.removeAttribute("aria-busy");
  });

  // A link that no longer works (the case was erased, or mistyped): the server's answer is an
  // alert for the page; here the card says so instead, and offers to forget the link.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var item = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!item || !item.closest || !item.closest("[data-my-cases]") || event.detail.xhr.status < 400) return;
    event.detail.shouldSwap = false;
    var template = document.querySelector("[data-gone-template]");
    item.removeAttribute("aria-busy");
    item.textContent = template ? template.getAttribute("data-gone-template") : "";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary outline";
    button.setAttribute("data-forget-case", item.getAttribute("data-token"));
    button.textContent = template ? template.getAttribute("data-forget-label") : "×";
    item.appendChild(document.createTextNode(" "));
    item.appendChild(button);
  });
})();
