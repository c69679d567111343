// The item page's upload form: resumable uploads of videos and audio guides, with progress,
// speed, time left and cancel, and the replacement of a video's file. Needs studio-media.js;
// studio-videos.js shows the list it adds to.
//
// Upload protocol (src/motpub/web/api/videos.py): POST a plan, PUT each part to its URL and
// keep the ETag, POST the ETags to complete_url. The plan is kept in localStorage so that
// the same file chosen again after a reload or a crash sends only the parts the server lacks.
(function () {
  "use strict";

  var media = window.motpubMedia;
  if (!media || !window.motpubParts) return;
  var section = media.section;

  var PARALLEL_PARTS = 3;
  var MAX_ATTEMPTS = 8;              // per part; attempts made while offline do not count
  var MAX_BACKOFF_MS = 30000;
  // Part URLs expire after a day (PART_URL_EXPIRES_S); an older plan cannot be resumed.
  var RESUME_MAX_AGE_MS = 23 * 3600 * 1000;
  var STORE_PREFIX = "motpub.upload." + section.getAttribute("data-item-id") + ".";
  // Some systems give no MIME type for these; the server decides video or audio by it.
  var TYPES = { mp4: "video/mp4", m4v: "video/x-m4v", mov: "video/quicktime",
                mkv: "video/x-matroska", webm: "video/webm", mp3: "audio/mpeg",
                m4a: "audio/mp4", aac: "audio/aac", wav: "audio/wav" };

  var messages = media.messages;
  var t = media.t;
  var request = media.request;
  var videoUrl = media.videoUrl;
  var local = media.local;
  var form = document.getElementById("upload-form");
  var fileInput = form.querySelector("input[type=file]");
  var fileAccept = fileInput.accept;
  var languageSelect = form.querySelector("select");
  var languageBox = form.querySelector("[data-role=language]");
  var replaceNote = form.querySelector(".replace-note");
  var submitButton = form.querySelector("button[type=submit]");
  var progressBox = form.querySelector(".upload-progress");
  var progressBar = progressBox.querySelector("progress");
  var cancelButton = progressBox.querySelector("[data-role=cancel]");
  var messageBox = form.querySelector(".upload-message");
  var current = null;     // the upload in progress
  var replacing = null;   // the video whose file the form replaces, if it does

  function say(text, isError) {
    messageBox.textContent = text;
    messageBox.classList.toggle("error", !!isError);
  }

  // --- what survives a reload: one entry per file, keyed by what identifies it -------------

  function storeKey(file) {
    return STORE_PREFIX + [file.name, file.size, file.lastModified].join(":");
  }

  function loadSaved(key) {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key)); } catch (error) { /* none */ }
    if (saved && Date.now() - saved.saved_at < RESUME_MAX_AGE_MS) return saved;
    forget(key);
    return null;
  }

  function save(key, value) {
    // Without storage (private mode, quota) the upload still works; it just cannot resume.
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (error) { /* ignore */ }
  }

  function forget(key) {
    try { localStorage.removeItem(key); } catch (error) { /* ignore */ }
  }

  function savedKeys() {
    var keys = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        if (localStorage.key(i).indexOf(STORE_PREFIX) === 0) keys.push(localStorage.key(i));
      }
    } catch (error) { /* no storage */ }
    return keys;
  }

  function forgetVideo(id) {
    savedKeys().forEach(function (key) {
      var saved = loadSaved(key);
      if (saved && String(saved.video_id) === String(id)) forget(key);
    });
  }

  // --- the upload ---------------------------------------------------------------------------

  function contentType(file) {
    var extension = file.name.split(".").pop().toLowerCase();
    return file.type || TYPES[extension] || "application/octet-stream";
  }

  function partSize(up, number) {
    var size = up.plan.part_size_bytes;
    return Math.min(size, up.file.size - (number - 1) * size);
  }

  function startUpload(file) {
    if (current) { say(messages.busy, true); return; }
    var up = current = {
      file: file, key: storeKey(file), etags: {}, loaded: {}, xhrs: {}, attempts: {},
      queue: [], timers: [], afterOnline: [], inFlight: 0, doneBytes: 0, stopped: false,
      target: replacing,
    };
    setBusy(true);
    showProgress(up);
    say(messages.preparing);
    var saved = loadSaved(up.key);
    (saved ? resume(up, saved) : Promise.resolve(false))
      .then(function (resumed) { return resumed || create(up); })
      .then(function () { if (!up.stopped) send(up); })
      .catch(function (error) {
        // Network trouble keeps the saved plan for the next try; a refusal drops it.
        fail(up, t("failed", { reason: error.message }), !error.status || error.status >= 500);
      });
  }

  function adopt(up, saved) {
    up.videoId = saved.video_id;
    up.plan = saved.plan;
    up.isReplace = saved.is_replace;
  }

  // The server's list of parts is the truth: a part counts only if it arrived whole.
  function resume(up, saved) {
    return request("GET", videoUrl(saved.video_id)).then(function (video) {
      if (video.status !== "uploading") { forget(up.key); return false; }
      return request("GET", videoUrl(saved.video_id, "/parts")).then(function (answer) {
        adopt(up, saved);
        answer.parts.forEach(function (part) {
          if (part.number <= up.plan.parts.length
              && part.size_bytes === partSize(up, part.number)) {
            up.etags[part.number] = part.etag;
            up.doneBytes += part.size_bytes;
          }
        });
        up.resumed = true;
        say(t("resuming", { name: up.file.name, done: Object.keys(up.etags).length,
                            total: up.plan.parts.length }));
        return true;
      });
    }, function (error) {
      if (error.status === 404) { forget(up.key); return false; }  // deleted meanwhile
      throw error;
    });
  }

  function create(up) {
    var file = up.file;
    var url = up.target ? videoUrl(up.target.id, "/replace")
                        : section.getAttribute("data-create-url");
    return request("POST", url, {
      language: languageSelect.value || null, filename: file.name, size_bytes: file.size,
      content_type: contentType(file),
    }).then(function (answer) {
      if (up.stopped) {  // cancelled while the plan was on its way
        request("DELETE", videoUrl(answer.video_id, up.target ? "/upload" : ""))
          .catch(function () {}).then(function () { media.refreshRow(answer.video_id); });
        return;
      }
      var saved = { video_id: answer.video_id, plan: answer.upload, is_replace: !!up.target,
                    name: file.name, saved_at: Date.now() };
      adopt(up, saved);
      save(up.key, saved);
      media.refreshRow(answer.video_id);
    });
  }

  function send(up) {
    up.queue = up.plan.parts.filter(function (part) { return !up.etags[part.number]; });
    up.sample = { at: Date.now(), bytes: sentBytes(up) };
    up.speed = null;
    up.ticker = setInterval(function () { tick(up); }, 1000);
    if (!up.resumed) say(t("uploading", { name: up.file.name }));
    render(up);
    pump(up);
  }

  function pump(up) {
    if (up.stopped) return;
    if (!navigator.onLine) { say(messages.offline); return; }  // "online" calls us again
    while (up.inFlight < PARALLEL_PARTS && up.queue.length) sendPart(up, up.queue.shift());
    if (Object.keys(up.etags).length === up.plan.parts.length && !up.completing) complete(up);
  }

  // The PUT itself is static/studio-parts.js's, shared with the pictures' uploads.
  function sendPart(up, part) {
    var number = part.number;
    var start = (number - 1) * up.plan.part_size_bytes;
    up.inFlight += 1;
    function settle() {
      delete up.xhrs[number];
      up.loaded[number] = 0;
      up.inFlight -= 1;
    }
    up.xhrs[number] = window.motpubParts.putPart(
      local(part.url), up.file.slice(start, start + partSize(up, number)), {
        progress: function (loaded) { up.loaded[number] = loaded; render(up); },
        done: function (etag) {
          settle();
          up.etags[number] = etag;
          up.doneBytes += partSize(up, number);
          up.attempts[number] = 0;
          render(up);
          pump(up);
        },
        retry: function () {
          settle();
          backoff(up, number, function () { up.queue.unshift(part); pump(up); });
        },
        fail: function (xhr) {
          settle();
          fail(up, t("failed", { reason: xhr ? media.errorText(xhr.status, xhr.statusText,
                                                               xhr.responseText)
                                             : messages.no_etag }));
        },
        abort: settle,  // cancel() or going offline: they decide what happens next
      });
  }

  // Try `action` again later: at once when the network is back if it is gone, otherwise
  // after 1, 2, 4 ... 30 s with jitter, so parallel parts do not all retry in step.
  function backoff(up, key, action) {
    if (up.stopped) return;
    if (!navigator.onLine) { up.afterOnline.push(action); say(messages.offline); return; }
    var attempt = up.attempts[key] = (up.attempts[key] || 0) + 1;
    if (attempt >= MAX_ATTEMPTS) { fail(up, messages.gave_up, true); return; }
    var delay = window.motpubParts.backoffMs(attempt, MAX_BACKOFF_MS);
    say(t("retrying", { seconds: Math.ceil(delay / 1000) }));
    up.timers.push(setTimeout(function () {
      if (up.stopped) return;
      say(t("uploading", { name: up.file.name }));
      action();
    }, delay));
  }

  window.addEventListener("offline", function () {
    var up = current;
    if (!up || up.stopped || !up.plan) return;
    // The parts in flight are lost with the connection: queue them again now rather than
    // wait for each request to time out.
    Object.keys(up.xhrs).forEach(function (number) {
      var xhr = up.xhrs[number];
      up.queue.unshift(up.plan.parts[number - 1]);
      xhr.abort();
    });
    render(up);
    say(messages.offline);
  });

  window.addEventListener("online", function () {
    var up = current;
    if (!up || up.stopped || !up.plan) return;
    say(t("uploading", { name: up.file.name }));
    up.afterOnline.splice(0).forEach(function (action) { action(); });
    pump(up);
  });

  function complete(up) {
    up.completing = true;
    say(messages.completing);
    var parts = Object.keys(up.etags).map(function (number) {
      return { number: Number(number), etag: up.etags[number] };
    }).sort(function (a, b) { return a.number - b.number; });
    request("POST", local(up.plan.complete_url), { parts: parts }).then(function () {
      finish(up);
    }, function (error) {
      if (error.status === 0 || error.status >= 500) {
        backoff(up, "complete", function () { complete(up); });
      } else if (error.status === 409) {
        // An earlier attempt may have gone through with its answer lost on the way back.
        request("GET", videoUrl(up.videoId)).then(function (video) {
          if (video.status === "uploading") fail(up, t("failed", { reason: error.message }));
          else finish(up);
        }, function () { fail(up, t("failed", { reason: error.message }), true); });
      } else {
        fail(up, t("failed", { reason: error.message }));
      }
    });
  }

  function stop(up) {
    up.stopped = true;
    clearInterval(up.ticker);
    up.timers.forEach(clearTimeout);
    Object.keys(up.xhrs).forEach(function (number) { up.xhrs[number].abort(); });
    if (current === up) current = null;
    cancelButton.hidden = true;
    setBusy(false);
  }

  function finish(up) {
    stop(up);
    forget(up.key);
    progressBar.value = 1;
    progressBox.querySelector(".percent").textContent = "100 %";
    progressBox.querySelector(".eta").textContent = "";
    say(messages.done);
    fileInput.value = "";
    if (up.target) leaveReplace();
    media.refreshRow(up.videoId);
  }

  // `isResumable`: the same file chosen again carries on (network trouble); otherwise the
  // server refused, and the saved plan is dropped so that the next try starts afresh.
  function fail(up, message, isResumable) {
    if (up.stopped) return;
    stop(up);
    if (!isResumable) forget(up.key);
    say(message, true);
    if (up.videoId) media.refreshRow(up.videoId);
  }

  function cancel() {
    var up = current;
    if (!up || !confirm(messages.confirm_cancel)) return;
    stop(up);
    forget(up.key);
    progressBox.hidden = true;
    fileInput.value = "";
    if (up.target) leaveReplace();
    // A new video goes with its upload; a replaced one keeps its current file.
    say(up.isReplace || up.target ? messages.replace_cancelled : messages.cancelled);
    if (up.videoId && !up.isReplace) {
      request("DELETE", videoUrl(up.videoId)).then(function () { media.removeRow(up.videoId); },
        function (error) { say(t("request_failed", { reason: error.message }), true); });
    } else if (up.videoId) {  // back to the file in use, now rather than at the next cleanup
      request("DELETE", videoUrl(up.videoId, "/upload")).catch(function () {})
        .then(function () { media.refreshRow(up.videoId); });
    }
  }

  // --- progress, speed and time left --------------------------------------------------------

  function sentBytes(up) {
    var bytes = up.doneBytes;
    Object.keys(up.loaded).forEach(function (number) { bytes += up.loaded[number]; });
    return Math.min(bytes, up.file.size);
  }

  function showProgress(up) {
    progressBox.hidden = false;
    cancelButton.hidden = false;
    progressBar.value = 0;
    progressBox.querySelector(".percent").textContent = "0 %";
    progressBox.querySelector(".speed").textContent = "";
    progressBox.querySelector(".eta").textContent = "";
    progressBox.title = up.file.name;
  }

  function render(up) {
    var fraction = up.file.size ? sentBytes(up) / up.file.size : 1;
    progressBar.value = fraction;
    progressBox.querySelector(".percent").textContent = Math.floor(fraction * 100) + " %";
  }

  function duration(seconds) {
    var s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }

  function tick(up) {
    var now = Date.now(), bytes = sentBytes(up);
    var rate = Math.max(0, bytes - up.sample.bytes) / ((now - up.sample.at) / 1000);
    up.sample = { at: now, bytes: bytes };
    // A moving average: calm through Wi-Fi bursts and stalls, yet it follows a real change
    // within a few seconds.
    up.speed = up.speed === null ? rate : 0.3 * rate + 0.7 * up.speed;
    progressBox.querySelector(".speed").textContent =
      t("speed", { speed: (up.speed / 1e6).toFixed(1) });
    progressBox.querySelector(".eta").textContent = up.speed > 1000
      ? t("time_left", { time: duration((up.file.size - bytes) / up.speed) }) : "";
  }

  function setBusy(isBusy) {
    submitButton.disabled = isBusy;
    fileInput.disabled = isBusy;
    languageSelect.disabled = isBusy;
  }

  // --- the form -----------------------------------------------------------------------------

  function enterReplace(row, button) {
    if (current) { say(messages.busy, true); return; }
    replacing = { id: row.getAttribute("data-video-id") };
    replaceNote.querySelector("span").textContent =
      t("replacing", { name: button.getAttribute("data-filename") });
    replaceNote.hidden = false;
    languageBox.hidden = true;  // a replacement keeps the video's language
    fileInput.accept = button.getAttribute("data-kind") + "/*";
    progressBox.hidden = true;
    say("");
    form.scrollIntoView({ block: "center" });
    fileInput.focus();
  }

  function leaveReplace() {
    replacing = null;
    replaceNote.hidden = true;
    languageBox.hidden = false;
    fileInput.accept = fileAccept;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    if (!file) { say(messages.choose_file, true); return; }
    startUpload(file);
  });

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    // The file of an interrupted upload: carry on at once from the parts the server has.
    if (file && !current && loadSaved(storeKey(file))) startUpload(file);
  });

  cancelButton.addEventListener("click", cancel);
  replaceNote.querySelector("[data-role=stop-replace]").addEventListener("click", function () {
    leaveReplace();
  });

  // --- what the list asks for (studio-videos.js) ---------------------------------------------

  section.addEventListener("motpub:replace", function (event) {
    enterReplace(event.detail.row, event.detail.button);
  });

  section.addEventListener("motpub:video-deleted", function (event) {
    var id = event.detail.id;
    if (current && String(current.videoId) === id) {
      stop(current);
      progressBox.hidden = true;
      say("");
    }
    if (replacing && replacing.id === id) leaveReplace();
    forgetVideo(id);
  });

  // --- on load ------------------------------------------------------------------------------

  var pending = savedKeys().map(loadSaved).filter(Boolean)[0];
  if (pending) say(t("resumable", { name: pending.name }));
})();