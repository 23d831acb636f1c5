// Small progressive enhancements. Everything works without this file.
(function () {
  "use strict";

  function say(message) {
    var region = document.getElementById("flashes");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.textContent = message;
    region.replaceChildren(p);
  }

  // htmx leaves the page as it is on 4xx/5xx answers; tell the person what happened.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) say("You can't do that here.");
    else if (status === 404) say("That is no longer there. Please reload the page.");
    else if (status === 429) say("Too many tries. Please wait a few minutes and try again.");
    else say("Something went wrong. Please try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    say("We couldn't reach Commons. Check your connection and try again.");
  });

  // Plain (non-htmx) forms that ask before doing something hard to undo.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !form.hasAttribute("hx-post") && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
