// The pictures section of the studio's item and exhibition pages (templates/studio/_images.html):
// several files dropped or chosen at once, each uploaded through the image API's part
// protocol (POST a plan, PUT each part with studio-parts.js and keep its ETag, POST the ETags
// to complete_url) with its own progress and status, polled until the worker has made the
// pictures; then the page reloads to show them. Rows reorder by drag (PATCH position); deleting asks first, with the warning
// the template wrote when the article places the picture. Plain script, no build step.
(function () {
  "use strict";

  var section = document.getElementById("pictures");
  if (!section || !window.fetch || !window.motpubParts) return;

  var messages = JSON.parse(section.getAttribute("data-messages"));
  var csrf = section.getAttribute("data-csrf");
  var publicOrigin = originOf(section.getAttribute("data-public-url"));
  var zone = section.querySelector("[data-role=dropzone]");
  var input = zone.querySelector("input[type=file]");
  var uploads = section.querySelector("[data-role=uploads]");
  var list = section.querySelector("#picture-list");
  var POLL_MS = 1000;
  var MAX_ATTEMPTS = 6;
  var TYPES = { heic: "image/heic", heif: "image/heif", tif: "image/tiff", tiff: "image/tiff",
                avif: "image/avif", webp: "image/webp", png: "image/png", jpg: "image/jpeg",
                jpeg: "image/jpeg" };
  var pending = 0;    // uploads not yet ready or failed
  var readyOnes = 0;  // uploads of this batch made ready
  var creating = Promise.resolve();

  function t(key, values) {
    return messages[key].replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  }

  function originOf(url) {
    try { return new URL(url).origin; } catch (error) { return null; }
  }

  // Our own URLs start with the public URL: send them to this page's origin (the session and
  // the CSP apply there). Storage URLs (S3 presigned) stay as they are.
  function local(url) {
    var parsed = new URL(url, location.href);
    return parsed.origin === publicOrigin ? parsed.pathname + parsed.search : url;
  }

  function imageUrl(id) {
    return section.getAttribute("data-image-url").replace("{id}", id);
  }

  function request(method, url, body) {
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .catch(function () { throw new Error(messages.unreachable); })
      .then(function (response) {
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (error) { /* not JSON */ }
          if (!response.ok) {
            throw new Error(data && data.error && data.error.message
                            || response.status + " " + response.statusText);
          }
          return data;
        });
      });
  }

  // --- uploads: one row each, with its progress and status -----------------------------------

  function row(file) {
    var li = document.createElement("li");
    li.className = "picture-upload";
    var name = document.createElement("span");
    name.className = "filename";
    name.textContent = file.name;
    var progress = document.createElement("progress");
    progress.max = 1;
    progress.value = 0;
    var status = document.createElement("span");
    status.className = "badge status uploading";
    status.setAttribute("data-role", "status");
    status.textContent = messages.uploading;
    var note = document.createElement("p");
    note.className = "errors";
    note.hidden = true;
    li.append(name, " ", progress, " ", status, note);
    uploads.appendChild(li);
    return { li: li, progress: progress, status: status, note: note };
  }

  function show(view, status, error) {
    view.status.className = "badge status " + status;
    view.status.textContent = messages[status] || status;
    view.li.setAttribute("data-status", status);
    if (error) { view.note.textContent = error; view.note.hidden = false; }
  }

  function contentType(file) {
    var extension = file.name.split(".").pop().toLowerCase();
    return file.type || TYPES[extension] || "application/octet-stream";
  }

  // A part through studio-parts.js (shared with the videos' uploader), tried again after
  // network trouble or a busy server, up to MAX_ATTEMPTS times.
  function putPart(file, plan, part, onProgress) {
    var start = (part.number - 1) * plan.part_size_bytes;
    var body = file.slice(start, start + plan.part_size_bytes);
    return new Promise(function (resolve, reject) {
      var attempt = 0;
      function send() {
        window.motpubParts.putPart(local(part.url), body, {
          progress: onProgress,
          done: resolve,
          retry: function () {
            attempt += 1;
            if (attempt >= MAX_ATTEMPTS) reject(new Error(messages.unreachable));
            else setTimeout(send, window.motpubParts.backoffMs(attempt));
          },
          fail: function (xhr) {
            reject(new Error(xhr ? xhr.status + " " + xhr.statusText : messages.no_etag));
          },
        });
      }
      send();
    });
  }

  function upload(file) {
    var view = row(file);
    pending += 1;
    // Plans are asked for one after another, so that the gallery takes the files in the
    // order they came (the server numbers each new picture last); parts go in parallel.
    var created = creating.then(function () {
      return request("POST", section.getAttribute("data-create-url"), {
        filename: file.name, size_bytes: file.size, content_type: contentType(file),
      });
    });
    creating = created.catch(function () {});
    created.then(function (answer) {
      var plan = answer.upload, done = 0, etags = [];
      // Parts one after another: pictures are a part or two; several files go in parallel.
      return plan.parts.reduce(function (previous, part) {
        return previous.then(function () {
          return putPart(file, plan, part, function (loaded) {
            view.progress.value = file.size ? (done + loaded) / file.size : 1;
          }).then(function (etag) {
            etags.push({ number: part.number, etag: etag });
            done += Math.min(plan.part_size_bytes, file.size - done);
          });
        });
      }, Promise.resolve()).then(function () {
        view.progress.value = 1;
        return request("POST", local(plan.complete_url), { parts: etags });
      }).then(function () { poll(view, answer.image_id); });
    }).catch(function (error) {
      show(view, "failed", t("error", { reason: error.message }));
      settle(false);
    });
  }

  function poll(view, id) {
    request("GET", imageUrl(id)).then(function (image) {
      var error = image.error && (image.error[document.documentElement.lang] ||
                                  image.error[Object.keys(image.error)[0]]);
      show(view, image.status, error);
      if (image.status === "ready" || image.status === "failed") {
        settle(image.status === "ready");
      } else {
        setTimeout(function () { poll(view, id); }, POLL_MS);
      }
    }, function () { setTimeout(function () { poll(view, id); }, POLL_MS * 3); });
  }

  // When the whole batch has settled, the page shows the new pictures with their forms.
  function settle(isReady) {
    pending -= 1;
    if (isReady) readyOnes += 1;
    if (pending === 0 && readyOnes) location.reload();
  }

  function uploadAll(files) {
    Array.prototype.forEach.call(files, upload);
  }

  input.addEventListener("change", function () {
    uploadAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      if (!event.dataTransfer || event.dataTransfer.types.indexOf("Files") < 0) return;
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer && event.dataTransfer.files.length) uploadAll(event.dataTransfer.files);
  });

  // --- order by drag: the row dropped on another takes its place -----------------------------
  // Only a row's head (preview, name) drags, so that its text fields select as usual.

  var dragged = null;
  list.addEventListener("dragstart", function (event) {
    dragged = event.target.closest && event.target.closest(".picture");
    if (!dragged) return;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.getAttribute("data-image-id"));
  });
  list.addEventListener("dragover", function (event) {
    if (dragged) event.preventDefault();
  });
  list.addEventListener("drop", function (event) {
    var target = event.target.closest && event.target.closest(".picture");
    if (!dragged || !target || target === dragged) { dragged = null; return; }
    event.preventDefault();
    var rows = Array.prototype.slice.call(list.querySelectorAll(".picture"));
    var position = rows.indexOf(target);
    var id = dragged.getAttribute("data-image-id");
    dragged = null;
    request("PATCH", imageUrl(id), { position: position })
      .then(function () { location.reload(); })
      .catch(function (error) { alert(t("error", { reason: error.message })); });
  });
  list.addEventListener("dragend", function () { dragged = null; });

  // --- deleting asks first (the template says when the article places the picture) -----------

  list.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList.contains("picture-delete")
        && !confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
