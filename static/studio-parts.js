// One part of a resumable upload (the part protocol of videos and images, see
// media/services/uploads.py): PUT a slice of the file to its URL and keep the ETag the
// storage answers. Shared by static/studio-upload.js (videos) and studio-images.js
// (pictures), each with its own queue, retries and progress display.
(function () {
  "use strict";

  // XMLHttpRequest rather than fetch: only it reports upload progress. `body` is a slice of
  // the File, read from disk as it is sent. `on`: progress(loaded), done(etag), retry() for
  // network trouble or a busy server, fail(xhr) for a refusal (xhr null: no ETag came back),
  // abort(). Returns the request, for its abort().
  function putPart(url, body, on) {
    var xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = function (event) { on.progress(event.loaded); };
    xhr.onload = function () {
      if (xhr.status >= 200 && xhr.status < 300) {
        var etag = xhr.getResponseHeader("ETag");
        if (etag) on.done(etag); else on.fail(null);
      } else if (xhr.status >= 500 || xhr.status === 408 || xhr.status === 429) {
        on.retry();
      } else {
        on.fail(xhr);
      }
    };
    xhr.onerror = xhr.ontimeout = function () { on.retry(); };
    xhr.onabort = function () { if (on.abort) on.abort(); };
    xhr.send(body);
    return xhr;
  }

  // After `attempt` failures: 1, 2, 4 ... 30 s, with jitter so that parallel parts do not all
  // retry in step.
  function backoffMs(attempt, maxMs) {
    var delay = Math.min(maxMs || 30000, 1000 * Math.pow(2, attempt - 1));
    return delay * (0.5 + Math.random() / 2);
  }

  window.motpubParts = { putPart: putPart, backoffMs: backoffMs };
})();
