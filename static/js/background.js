// The background image of an event: crop it in a Bootstrap modal with Croppie,
// upload the result at once, remove it. Markup and script tags come from
// templates/events/includes/background_modal.html; needs Bootstrap's bundle
// and croppie.min.js (no jQuery).
//
// The endpoint (data-url: the API's /api/v1/events/<id>/background/, with the
// session) takes POST multipart "background" and DELETE, with the CSRF token
// in X-CSRFToken, and answers JSON: {"status": "ok",
// "background_url": ...} or, as every API error, {"detail": "..."}. XMLHttpRequest
// rather than fetch: only it reports upload progress. The preview changes only
// once the server said ok; any failure leaves the previous image in place.
(function () {
  "use strict";

  // The crop frame and the area around it on a wide screen; on a narrower one both shrink to fit (fitted()).
  const VIEWPORT = { width: 490, height: 245, type: "square" };
  const BOUNDARY = { width: 508, height: 350 };
  // The largest the server stores (events/background.py MAX_SIZE): a small
  // crop is scaled up to it, so the upload is never under the minimum size.
  const RESULT_SIZE = { width: 1960, height: 980 };
  const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp"];

  function csrfToken(area) {
    const cookie = document.cookie
      .split(";")
      .map((part) => part.trim())
      .find((part) => part.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : area.dataset.csrfToken;
  }

  // Resolve with {status, json} (json is null for a body that is not JSON); reject on a network error.
  function send(method, url, token, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 120000;
      if (onProgress) {
        xhr.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) {
            onProgress(event.loaded / event.total);
          }
        });
      }
      xhr.addEventListener("load", () => {
        let json = null;
        try {
          json = JSON.parse(xhr.responseText);
        } catch {
          // An HTML page: a proxy's 413, a server error, or the login page after a redirect.
        }
        resolve({ status: xhr.status, json: json });
      });
      xhr.addEventListener("error", () => reject(new Error("network")));
      xhr.addEventListener("timeout", () => reject(new Error("timeout")));
      xhr.send(body);
    });
  }

  function failure(answer, action) {
    if (answer.json && typeof answer.json.detail === "string") {
      return answer.json.detail;
    }
    if (answer.status === 413) {
      return "The image is too large to upload.";
    }
    if (answer.status >= 200 && answer.status < 300) {
      return `Unexpected answer from the server; the image was not ${action}. Are you still signed in? Reload the page.`;
    }
    return `The server answered ${answer.status}; the image was not ${action}.`;
  }

  // Resolve with the picture's own size in pixels; reject when the browser cannot decode it.
  function naturalSize(url) {
    return new Promise((resolve, reject) => {
      const picture = new Image();
      picture.addEventListener("load", () => resolve({ width: picture.naturalWidth, height: picture.naturalHeight }));
      picture.addEventListener("error", () => reject(new Error("decode")));
      picture.src = url;
    });
  }

  // The boundary and viewport for a stage this wide: as designed where there is room, scaled down on a phone.
  function fitted(available) {
    const scale = Math.min(1, Math.max(available, 200) / BOUNDARY.width);
    const boundary = { width: Math.floor(BOUNDARY.width * scale), height: Math.floor(BOUNDARY.height * scale) };
    const width = Math.floor(VIEWPORT.width * scale);
    return { boundary, viewport: { width, height: Math.floor(width / 2), type: VIEWPORT.type } };
  }

  function isOk(answer) {
    return answer.status === 200 && answer.json !== null && answer.json.status === "ok";
  }

  function setUp(area) {
    const modalElement = document.getElementById(area.dataset.modal);
    // Out of any surrounding form (the wizard's), as Bootstrap advises for modals.
    document.body.appendChild(modalElement);
    const modal = bootstrap.Modal.getOrCreateInstance(modalElement);
    const url = area.dataset.url;

    const image = area.querySelector("[data-background-image]");
    const empty = area.querySelector("[data-background-empty]");
    const choose = area.querySelector("[data-background-choose]");
    const remove = area.querySelector("[data-background-remove]");
    const areaError = area.querySelector("[data-background-error]");
    const status = area.querySelector("[data-background-status]");

    const fileInput = modalElement.querySelector("[data-background-file]");
    const stage = modalElement.querySelector("[data-background-stage]");
    const stagePlaceholder = stage.innerHTML;
    const done = modalElement.querySelector("[data-background-done]");
    const progress = modalElement.querySelector("[data-background-progress]");
    const bar = progress.querySelector(".progress-bar");
    const modalError = modalElement.querySelector("[data-background-modal-error]");
    // The smallest original the server keeps (events/background.py MIN_SIZE). The cropper uploads
    // its result scaled to RESULT_SIZE, so only here can a too small original still be seen.
    const minimum = { width: Number(area.dataset.minWidth), height: Number(area.dataset.minHeight) };

    let croppie = null;
    let objectUrl = null;
    let uploading = false;

    function showError(element, message) {
      element.textContent = message;
      element.hidden = !message;
    }

    function showBackground(backgroundUrl) {
      if (backgroundUrl) {
        image.src = backgroundUrl;
      } else {
        image.removeAttribute("src");
      }
      image.hidden = !backgroundUrl;
      empty.hidden = Boolean(backgroundUrl);
      remove.hidden = !backgroundUrl;
      choose.textContent = backgroundUrl ? "Change image…" : "Choose image…";
      area.dispatchEvent(new CustomEvent("background:changed", { bubbles: true, detail: { url: backgroundUrl } }));
    }

    function setProgress(fraction) {
      const percent = Math.round(fraction * 100);
      progress.setAttribute("aria-valuenow", String(percent));
      bar.style.width = `${percent}%`;
      // Every byte sent: the server still decodes and stores the image.
      const processing = percent >= 100;
      bar.textContent = processing ? "Saving…" : `${percent}%`;
      bar.classList.toggle("progress-bar-striped", processing);
      bar.classList.toggle("progress-bar-animated", processing);
    }

    function reset() {
      if (croppie) {
        croppie.destroy();
        croppie = null;
      }
      if (objectUrl) {
        URL.revokeObjectURL(objectUrl);
        objectUrl = null;
      }
      stage.innerHTML = stagePlaceholder;
      fileInput.value = "";
      done.disabled = true;
      progress.hidden = true;
      setProgress(0);
      showError(modalError, "");
    }

    fileInput.addEventListener("change", () => {
      showError(modalError, "");
      done.disabled = true;
      const file = fileInput.files[0];
      if (!file) {
        return;
      }
      if (!ACCEPTED_TYPES.includes(file.type)) {
        showError(modalError, "Choose a JPEG, PNG or WebP image.");
        return;
      }
      if (objectUrl) {
        URL.revokeObjectURL(objectUrl);
      }
      const url = URL.createObjectURL(file);
      objectUrl = url;
      naturalSize(url)
        .then((size) => {
          if (url !== objectUrl) {
            return; // another file was chosen meanwhile
          }
          if (size.width < minimum.width || size.height < minimum.height) {
            showError(
              modalError,
              `This image is ${size.width} × ${size.height} pixels: too small for a background. ` +
                `Choose one of at least ${minimum.width} × ${minimum.height} pixels.`,
            );
            return;
          }
          if (!croppie) {
            stage.innerHTML = "";
            const { boundary, viewport } = fitted(stage.clientWidth);
            croppie = new Croppie(stage, {
              viewport: viewport,
              boundary: boundary,
              showZoomer: true,
              enforceBoundary: true,
              mouseWheelZoom: "ctrl",
            });
            const slider = stage.querySelector(".cr-slider");
            if (slider) {
              slider.setAttribute("aria-label", "Zoom");
            }
          }
          return croppie.bind({ url: url, zoom: 0 }).then(() => {
            done.disabled = false;
          });
        })
        .catch(() => {
          showError(modalError, "This file could not be read as an image.");
        });
    });

    done.addEventListener("click", async () => {
      if (!croppie || uploading) {
        return;
      }
      uploading = true;
      done.disabled = true;
      fileInput.disabled = true;
      showError(modalError, "");
      setProgress(0);
      progress.hidden = false;
      try {
        const blob = await croppie.result({
          type: "blob",
          size: RESULT_SIZE,
          format: "jpeg",
          quality: 0.9,
          backgroundColor: "#ffffff",
        });
        const body = new FormData();
        body.append("background", blob, "background.jpg");
        const answer = await send("POST", url, csrfToken(area), body, setProgress);
        if (isOk(answer)) {
          showBackground(answer.json.background_url);
          showError(areaError, "");
          status.textContent = "Background image saved.";
          uploading = false;
          modal.hide();
          return;
        }
        showError(modalError, failure(answer, "saved"));
      } catch {
        showError(modalError, "The upload failed (network error); the image was not saved. Check your connection and try again.");
      }
      uploading = false;
      progress.hidden = true;
      done.disabled = false;
      fileInput.disabled = false;
    });

    remove.addEventListener("click", async () => {
      if (!window.confirm("Remove the background image?")) {
        return;
      }
      remove.disabled = true;
      showError(areaError, "");
      status.textContent = "";
      try {
        const answer = await send("DELETE", url, csrfToken(area), null, null);
        if (isOk(answer)) {
          showBackground(null);
          status.textContent = "Background image removed.";
        } else {
          showError(areaError, failure(answer, "removed"));
        }
      } catch {
        showError(areaError, "The request failed (network error); the image was not removed.");
      }
      remove.disabled = false;
    });

    modalElement.addEventListener("hide.bs.modal", (event) => {
      if (uploading) {
        event.preventDefault(); // closing would hide the answer, not stop the upload
      }
    });
    modalElement.addEventListener("hidden.bs.modal", () => {
      fileInput.disabled = false;
      reset();
    });
    modalElement.addEventListener("show.bs.modal", () => {
      status.textContent = "";
    });
  }

  document.querySelectorAll("[data-background]").forEach(setUp);
})();
