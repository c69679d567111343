// What the item page's media section (templates/studio/_videos.html) shares between its two
// scripts, loaded before them: studio-videos.js (the list) and studio-upload.js (the form).
// Plain script, no build step. Every string they show is translated by the template into
// data-messages. The two scripts talk through window.motpubMedia and events on the section.
(function () {
  "use strict";

  var section = document.getElementById("media");
  if (!section || !window.fetch || !window.XMLHttpRequest) return;

  var messages = JSON.parse(section.getAttribute("data-messages"));
  var csrf = section.getAttribute("data-csrf");
  var publicOrigin = originOf(section.getAttribute("data-public-url"));

  function t(key, values) {
    return messages[key].replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function videoUrl(id, suffix) {
    return section.getAttribute("data-video-url").replace("{id}", id) + (suffix || "");
  }

  function originOf(url) {
    try { return new URL(url).origin; } catch (error) { return null; }
  }

  // Our own URLs start with MOTPUB_PUBLIC_URL, which need not be the address this studio was
  // opened at: send those to this page's origin, where the session cookie and the CSP apply.
  // Storage URLs (S3 presigned) stay as they are.
  function local(url) {
    var parsed = new URL(url, location.href);
    return parsed.origin === publicOrigin ? parsed.pathname + parsed.search : url;
  }

  function httpError(status, message) {
    var error = new Error(message);
    error.status = status;  // 0: no answer at all
    return error;
  }

  function errorText(status, statusText, body) {
    try {
      var data = JSON.parse(body);
      if (data && data.error && data.error.message) return data.error.message;
    } catch (error) { /* not JSON */ }
    return status + " " + statusText;
  }

  // The API with the session cookie; a change needs the page's CSRF token in a header.
  function request(method, url, body) {
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json" };
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" })
      .catch(function () { throw httpError(0, messages.unreachable); })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            throw httpError(response.status,
                            errorText(response.status, response.statusText, text));
          }
          return text ? JSON.parse(text) : null;
        });
      });
  }

  // studio-videos.js adds refreshRow(id) and removeRow(id) to this.
  window.motpubMedia = {
    section: section, messages: messages, t: t, videoUrl: videoUrl, local: local,
    httpError: httpError, errorText: errorText, request: request,
  };
})();
