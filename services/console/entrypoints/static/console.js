/*
 * つなぎ console: small improvements over pages that work without JavaScript.
 *  0. While a form takes the person to another page, background refreshes (htmx) pause.
 *  1. A form that posts is sent once: its submit buttons are disabled after the first
 *     submit, and enabled again when the page comes back from the back/forward cache or
 *     when htmx has its answer. (Opt out with data-no-submit-guard, e.g. a download.)
 *  2. On load the error summary takes the focus (screen readers read it first); failing
 *     that, an element marked data-autofocus.
 *  3. [data-dialog-open="id"] opens <dialog id="id"> (it is a link to a full page too);
 *     [data-print] prints the page (the browser's own print works without it);
 *     [data-dialog-close] closes its dialog, and the focus goes back to the opener.
 * No inline handlers, no eval: the Content-Security-Policy allows neither.
 */
(function () {
  "use strict";

  var SUBMITS = 'button:not([type]), button[type="submit"], input[type="submit"], input[type="image"]';

  function posts(form) {
    return (form.getAttribute("method") || "").toLowerCase() === "post" ||
      ["hx-post", "hx-put", "hx-patch", "hx-delete"].some(function (name) { return form.hasAttribute(name); });
  }

  function submitButtons(form) {
    var inside = Array.prototype.slice.call(form.querySelectorAll(SUBMITS));
    var outside = form.id ? Array.prototype.slice.call(
      document.querySelectorAll('[form="' + CSS.escape(form.id) + '"]')).filter(function (el) { return el.matches(SUBMITS); }) : [];
    return inside.concat(outside);
  }

  function release(form) {
    if (!form || !form.hasAttribute("data-submitting")) return;
    form.removeAttribute("data-submitting");
    submitButtons(form).forEach(function (button) {
      if (button.hasAttribute("data-guard-disabled")) {
        button.removeAttribute("data-guard-disabled");
        button.disabled = false;
      }
    });
  }

  // Capture phase: this runs before htmx's own listener on the form, so a second submit
  // is stopped before htmx (or the browser) can send it again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !posts(form) || form.hasAttribute("data-no-submit-guard")) return;
    if (form.hasAttribute("data-submitting")) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    form.setAttribute("data-submitting", "");
    // Disabled after this task: the browser has then already read the clicked button's
    // name and value into the submission.
    window.setTimeout(function () {
      if (!form.hasAttribute("data-submitting")) return;
      submitButtons(form).forEach(function (button) {
        if (!button.disabled) {
          button.disabled = true;
          button.setAttribute("data-guard-disabled", "");
        }
      });
    }, 0);
  }, true);

  // While the page is being left (a form sent the ordinary way), its background refreshes
  // stop: an answer to one arriving late must not send the person somewhere else.
  var leaving = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && !event.defaultPrevented && !form.hasAttribute("hx-post")
        && !form.hasAttribute("hx-get")) {
      leaving = true;
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (leaving) event.preventDefault();
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      leaving = false;
      document.querySelectorAll("form[data-submitting]").forEach(release);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!(elt instanceof Element)) return;
    release(elt instanceof HTMLFormElement ? elt : elt.closest("form"));
  });

  function focusFirst(root) {
    var summary = root.querySelector("[data-error-summary]");
    // A link to a place in the page (#…) wins over data-autofocus, not over errors.
    var target = summary || (window.location.hash ? null : root.querySelector("[data-autofocus]"));
    if (target) target.focus();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusFirst(document); });
  } else {
    focusFirst(document);
  }

  // A form re-rendered by htmx with errors: its summary takes the focus too.
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt instanceof Element && elt.querySelector) {
      var summary = elt.matches("[data-error-summary]") ? elt : elt.querySelector("[data-error-summary]");
      if (summary) summary.focus();
    }
  });

  var opener = null;

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) return;
    var open = event.target.closest("[data-dialog-open]");
    if (open) {
      var dialog = document.getElementById(open.getAttribute("data-dialog-open"));
      if (dialog instanceof HTMLDialogElement && typeof dialog.showModal === "function" && !dialog.open) {
        event.preventDefault();
        opener = open;
        dialog.showModal();
      }
      return;
    }
    if (event.target.closest("[data-print]")) {
      window.print();
      return;
    }
    var close = event.target.closest("[data-dialog-close]");
    if (close) {
      var id = close.getAttribute("data-dialog-close");
      var target = id ? document.getElementById(id) : close.closest("dialog");
      if (target instanceof HTMLDialogElement && target.open) {
        event.preventDefault();
        target.close();
      }
    }
  });

  // Esc, a close button or a form with method="dialog": the focus returns to the opener.
  document.addEventListener("close", function (event) {
    if (event.target instanceof HTMLDialogElement && opener && document.contains(opener)) {
      opener.focus();
      opener = null;
    }
  }, true);
})();
