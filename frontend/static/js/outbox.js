// The reports kept on this device (outbox-store.js), on every page: the list of them, and their
// sending when the connection returns: on the "online" event, when any Minsheng page opens, or
// by the service worker's background sync, which asks an open page to send or, with none open,
// sends them itself. Keeping them is photo-form.js's part, on the pages with the report form.
(function () {
  "use strict";

  var outbox = window.minshengOutbox;

  function panel() { return document.getElementById("outbox"); }

  function text(name, values) {
    var template = (panel() && panel().getAttribute("data-" + name + "-text")) || "";
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values && key in values ? values[key] : ""; });
  }

  function dismissButton(report) {
    var dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "secondary outline";
    dismiss.setAttribute("data-outbox-dismiss", report.key);
    dismiss.textContent = text("dismiss");
    return dismiss;
  }

  // The list of kept reports, on every page that has the panel.
  function render() {
    var box = panel();
    if (!box || !window.indexedDB) return Promise.resolve();
    return outbox.all().then(function (reports) {
      var list = box.querySelector("ol");
      list.replaceChildren();
      reports.sort(function (a, b) { return a.savedAt - b.savedAt; }).forEach(function (report) {
        var item = document.createElement("li");
        item.setAttribute("data-outbox-state", report.state);
        var title = document.createElement("strong");
        title.textContent = report.title || "…";
        item.append(title, " — ");
        if (report.state === "sent") {
          var link = document.createElement("a");
          link.href = report.followUrl;
          link.textContent = text("sent", { number: report.number });
          item.append(link, " ", dismissButton(report));
        } else if (report.state === "refused" || report.state === "correcting") {
          var correct = document.createElement("a");
          correct.href = "/report?restore=" + encodeURIComponent(report.key);
          correct.textContent = text("correct");
          item.append(text("refused"), " ", report.problem || "", " ", correct, " ", dismissButton(report));
        } else {
          item.append(text(sending ? "sending" : "waiting"));
        }
        list.append(item);
      });
      box.hidden = reports.length === 0;
    });
  }

  var sending = null;
  function sendAll() {
    if (!window.indexedDB || !navigator.onLine) return render();
    if (sending) return sending;
    sending = outbox.sendWaiting()
      .catch(function () {})
      .then(function () { sending = null; return render(); });
    render();
    return sending;
  }

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-outbox-dismiss]");
    if (dismiss) outbox.remove(dismiss.getAttribute("data-outbox-dismiss")).then(render);
  });

  // For photo-form.js: the panel's words and its refresh.
  outbox.text = text;
  outbox.render = render;

  window.addEventListener("online", sendAll);
  window.addEventListener("offline", render);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-changed") sendAll();
    });
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }
  document.addEventListener("DOMContentLoaded", sendAll);
})();
