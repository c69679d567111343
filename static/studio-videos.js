// The item page's list of videos and audio guides: live status while they are processed,
// previews, retry, delete, captions and dubs. Needs studio-media.js. A delete is announced to
// studio-upload.js by a "motpub:video-deleted" event on the section, a replace request by
// "motpub:replace".
(function () {
  "use strict";

  var media = window.motpubMedia;
  if (!media) return;

  var POLL_MS = 2000;

  var section = media.section;
  var request = media.request;
  var t = media.t;
  var videoUrl = media.videoUrl;
  var list = document.getElementById("video-list");
  var polling = {};       // video id -> poll timer

  function rowOf(id) { return document.getElementById("video-" + id); }

  function removeRow(id) {
    var row = rowOf(id);
    if (row) row.remove();
  }

  function rowMessage(row, text) {
    var box = row.querySelector(".row-message");
    box.textContent = text;
    box.hidden = !text;
  }

  // The server renders rows (templates/studio/_video.html); a row that changed is fetched
  // and swapped in whole, so the page and the script never disagree on how it looks.
  function refreshRow(id) {
    var url = section.getAttribute("data-row-url").replace("{id}", id);
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (response.status === 404) { removeRow(id); return null; }
      if (!response.ok) throw media.httpError(response.status, response.statusText);
      return response.text();
    }).then(function (html) {
      if (html === null) return;
      var holder = document.createElement("template");
      holder.innerHTML = html.trim();
      var row = holder.content.firstElementChild;
      var old = rowOf(id);
      if (old) old.replaceWith(row); else list.appendChild(row);
      watch(row);
      if (row.querySelector("[data-hls]")) activatePlayers();
    });
  }

  // player.js wires up the players present when it runs; run it again for a row swapped in
  // (it leaves alone the players it has already attached).
  function activatePlayers() {
    var original = document.querySelector("script[data-fallback]");
    if (!original) return;
    var tag = document.createElement("script");
    tag.src = original.src;
    tag.setAttribute("data-fallback", original.getAttribute("data-fallback"));
    document.body.appendChild(tag);
  }

  function isActive(status) { return status === "queued" || status === "processing"; }

  // A row is watched while its video or one of its dubs is being processed.
  function isBusy(row) {
    return isActive(row.getAttribute("data-status"))
      || (row.getAttribute("data-dubs") || "").split(",").some(isActive);
  }

  function dubStatuses(video) {
    return (video.audio_tracks || []).map(function (dub) { return dub.status; }).join(",");
  }

  function watch(row) {
    var id = row.getAttribute("data-video-id");
    if (isBusy(row) && !polling[id]) {
      polling[id] = setTimeout(function () { poll(id); }, POLL_MS);
    }
  }

  function poll(id) {
    var row = rowOf(id);
    if (!row || !isBusy(row)) { delete polling[id]; return; }
    request("GET", videoUrl(id)).then(function (video) {
      var hasStream = !!(video.hls_url || video.preview_url);
      if (video.status !== row.getAttribute("data-status")
          || dubStatuses(video) !== row.getAttribute("data-dubs")
          || hasStream !== (row.getAttribute("data-has-player") === "true")) {
        return refreshRow(id);
      }
      var bar = row.querySelector(".video-progress progress");
      if (bar) bar.value = video.progress;
      var text = row.querySelector("[data-role=progress]");
      if (text) text.textContent = Math.round(video.progress * 100) + " %";
    }).catch(function (error) {
      if (error.status === 404) removeRow(id);
      // Otherwise keep polling: a flaky network is expected at a venue.
    }).then(function () {
      polling[id] = setTimeout(function () { poll(id); }, POLL_MS);
    });
  }

  function announce(name, detail) {
    section.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var row = button.closest(".video");
    var id = row.getAttribute("data-video-id");
    var action = button.getAttribute("data-action");
    if (!confirm(button.getAttribute("data-confirm"))) return;
    rowMessage(row, "");
    if (action === "replace") { announce("motpub:replace", { row: row, button: button }); return; }
    var done;
    if (action === "delete") {
      done = request("DELETE", videoUrl(id)).then(function () {
        announce("motpub:video-deleted", { id: id });
        removeRow(id);
      });
    } else if (action === "retry") {
      done = request("POST", videoUrl(id, "/retry")).then(function () { return refreshRow(id); });
    } else if (action === "delete-dub") {
      done = request("DELETE", videoUrl(id, "/audio-tracks/" + button.getAttribute("data-language")))
        .then(function () { return refreshRow(id); });
    } else if (action === "delete-caption") {
      done = request("DELETE", videoUrl(id, "/captions/" + button.getAttribute("data-language")))
        .then(function () { return refreshRow(id); });
    } else {
      return;
    }
    button.disabled = true;
    done.catch(function (error) {
      button.disabled = false;
      rowMessage(row, t("request_failed", { reason: error.message }));
    });
  });

  // Captions and dubs: each form posts to the API and the row is drawn again.
  list.addEventListener("submit", function (event) {
    var form = event.target.closest(".caption-form, .dub-form");
    if (!form) return;
    event.preventDefault();
    var row = form.closest(".video");
    var id = row.getAttribute("data-video-id");
    var button = form.querySelector("button[type=submit]");
    var path = form.classList.contains("dub-form") ? "/audio-tracks" : "/captions";
    button.disabled = true;
    rowMessage(row, "");
    request("POST", videoUrl(id, path), new FormData(form))
      .then(function () { return refreshRow(id); })
      .catch(function (error) {
        button.disabled = false;
        rowMessage(row, t("request_failed", { reason: error.message }));
      });
  });

  Array.prototype.forEach.call(list.querySelectorAll(".video"), watch);
  media.refreshRow = refreshRow;
  media.removeRow = removeRow;
})();
