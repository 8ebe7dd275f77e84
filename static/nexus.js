// NexusLite page behaviour on top of htmx. Everything works without this file:
// it only tidies filter URLs and says when the dashboard itself stops answering.
(function () {
  "use strict";

  // Leave empty filter fields out of the request, so the URL put in the address
  // bar (and bookmarked) names only the filters in use.
  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.matches("form.filters")) return;
    var params = event.detail.parameters;
    ["status", "role", "pool", "q"].forEach(function (name) {
      if (params[name] === "") delete params[name];
    });
  });

  function showConnection(text) {
    var conn = document.getElementById("conn");
    if (!conn) return;
    conn.textContent = text;
    conn.classList.toggle("down", text !== "");
  }

  // htmx keeps the last good content on an error answer or a network failure;
  // this tells the operator that what they see is no longer refreshing.
  document.addEventListener("htmx:responseError", function (event) {
    showConnection("Dashboard answered " + event.detail.xhr.status + "; showing the last content");
  });
  document.addEventListener("htmx:sendError", function () {
    showConnection("Dashboard unreachable; showing the last content");
  });
  document.addEventListener("htmx:timeout", function () {
    showConnection("Dashboard too slow; showing the last content");
  });
  document.addEventListener("htmx:afterSwap", function () {
    showConnection("");
  });
})();
