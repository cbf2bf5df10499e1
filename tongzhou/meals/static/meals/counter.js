// The counter page: talks to the checkout API as its terminal. A sale attempt keeps one
// Idempotency-Key until it succeeds or is refused, so a double tap or a retry after a lost
// answer never charges twice.
"use strict";
(function () {
  const text = JSON.parse(document.getElementById("counter-text").textContent);
  const $ = (id) => document.getElementById(id);
  const state = { credential: localStorage.getItem("tongzhou.terminal") || "", today: null,
                  session: null, order: [], inFlight: false, lastReceipt: null, receiptSeq: 0 };
  const yuan = (fen) => (fen / 100).toFixed(2);

  function api(method, path, body, key) {
    const headers = { "Authorization": "Bearer " + state.credential, "Content-Type": "application/json" };
    if (key) headers["Idempotency-Key"] = key;
    return fetch("/api/v1" + path, { method, headers, body: body ? JSON.stringify(body) : undefined })
      .then((response) => response.json().then((data) => ({ status: response.status, data })));
  }

  function beep(ok) {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      tone.frequency.value = ok ? 880 : 220;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + (ok ? 0.15 : 0.5));
    } catch (error) { /* no sound device: the colours still tell */ }
  }

  function show(kind, html) {
    const box = $("result");
    box.className = "result " + kind;
    box.innerHTML = html;
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }

  function renderOrder() {
    const list = $("order-lines");
    list.innerHTML = "";
    let total = 0;
    state.order.forEach((line) => {
      total += line.price_fen * line.quantity;
      const item = document.createElement("li");
      item.textContent = line.name + " × " + line.quantity + "  " + yuan(line.price_fen * line.quantity);
      list.appendChild(item);
    });
    $("order-total").textContent = yuan(total);
  }

  function renderSessions() {
    const nav = $("sessions");
    nav.innerHTML = "";
    state.today.sessions.forEach((session) => {
      const button = document.createElement("button");
      button.textContent = (text.sessions[session.kind] || session.kind) + " " + session.starts_at + "-" + session.ends_at;
      button.setAttribute("aria-pressed", String(session.kind === state.session));
      button.addEventListener("click", () => { state.session = session.kind; state.order = []; renderAll(); });
      nav.appendChild(button);
    });
  }

  function renderDishes() {
    const box = $("dishes");
    box.innerHTML = "";
    const session = state.today.sessions.find((s) => s.kind === state.session);
    (session ? session.items : []).forEach((dish) => {
      const button = document.createElement("button");
      button.innerHTML = escapeHtml(dish.name) + "<small>" + yuan(dish.price_fen) + " " + text.yuan + "</small>";
      button.addEventListener("click", () => {
        const line = state.order.find((l) => l.id === dish.id);
        if (line) line.quantity += 1; else state.order.push({ ...dish, quantity: 1 });
        renderOrder();
        $("scan").focus();
      });
      box.appendChild(button);
    });
  }

  function renderAll() { renderSessions(); renderDishes(); renderOrder(); $("scan").focus(); }

  function receiptHtml(r) {
    const rows = [
      [text.subsidy, yuan(r.subsidy.total_fen + r.subsidy.delivery_subsidy_fen) + " (" + escapeHtml(r.subsidy.rule || "—") + ")"],
      [text.paid, yuan(r.paid.own_fen + r.paid.subsidy_purse_fen + r.paid.charity_purse_fen)],
      [text.balance, yuan(r.own_balance_fen)],
    ];
    return '<div class="big-line">' + text.sold + " · " + yuan(r.total_fen) + " " + text.yuan + "</div>" +
      "<div>" + escapeHtml(r.elder.name) + " · " + escapeHtml(r.elder.age_band) + " " +
      escapeHtml(r.elder.categories.join("、")) + "</div><table>" +
      rows.map(([k, v]) => "<tr><td>" + k + "</td><td>" + v + "</td></tr>").join("") + "</table>";
  }

  function sell(credential, acceptFullPrice) {
    if (state.inFlight) return;  // a double tap while a sale is on its way does nothing
    if (!state.order.length) { show("bad", text.chooseFirst); beep(false); return; }
    $("rate").hidden = true;
    state.inFlight = true;
    state.receiptSeq += 1;
    const attempt = {
      key: (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()),
      body: {
        card: credential, session: state.session, accept_full_price: !!acceptFullPrice,
        receipt_no: state.today.terminal.slice(0, 8) + "-" + Date.now() + "-" + state.receiptSeq,
        lines: state.order.map((l) => ({ menu_item_id: l.id, quantity: l.quantity })),
        device_time: new Date().toISOString(),
      },
    };
    if (!navigator.onLine) { state.inFlight = false; sellOffline(attempt); return; }
    show("busy", text.working);
    submit(attempt, 0);
  }

  // After a sale the elder may say in one tap how the meal was (once per meal).
  function offerRating(receiptNo) {
    const box = $("rate");
    box.hidden = false;
    box.querySelectorAll("[data-stars]").forEach((button) => {
      button.disabled = false;
      button.onclick = () => {
        box.querySelectorAll("[data-stars]").forEach((b) => { b.disabled = true; });
        api("POST", "/meals/" + encodeURIComponent(receiptNo) + "/rating",
            { stars: Number(button.dataset.stars) }).then(({ status }) => {
          box.hidden = true;
          if (status === 201) show("ok", '<div class="big-line">' + escapeHtml(box.dataset.thanks) + "</div>");
          $("scan").focus();
        }).catch(() => { box.hidden = true; });
      };
    });
  }

  function submit(attempt, tries) {
    api("POST", "/checkout", attempt.body, attempt.key).then(({ status, data }) => {
      state.inFlight = false;
      $("full-price").hidden = true;
      if (status === 201) {
        state.lastReceipt = data.receipt_no;
        state.lastSale = { receipt: data, lines: state.order.map((l) => ({ ...l })) };
        $("void-last").disabled = false;
        $("print-receipt").hidden = false;
        show("ok", receiptHtml(data));
        offerRating(data.receipt_no);
        beep(true);
        state.order = [];
        renderOrder();
      } else {
        const error = data.error || {};
        show("bad", '<div class="big-line">' + escapeHtml(error.message || status) + "</div>");
        beep(false);
        if (error.code === "subsidy_already_used") {
          const button = $("full-price");
          button.textContent = text.fullPrice + " " + yuan(error.details.full_price_fen) + " " + text.yuan;
          button.hidden = false;
          button.onclick = () => { button.hidden = true; sell(attempt.body.card, true); };
        }
      }
      $("scan").focus();
    }).catch(() => {
      // No answer. Offline: keep selling from the queue (same id and receipt number, so the
      // server posts it once even if this attempt did arrive). Otherwise retry the same key.
      if (!navigator.onLine || tries >= 2) { state.inFlight = false; sellOffline(attempt); return; }
      show("busy", text.offline);
      setTimeout(() => submit(attempt, tries + 1), 1000 * (tries + 1));
    });
  }

  // --- Offline selling ---------------------------------------------------------------
  // The pack (identity/offline.py) lists the canteen's regular elders: slow hashes of their
  // cards and printed codes, and day keys for their rotating QR codes. Sales wait in a
  // queue in this browser and are uploaded when the network is back.
  const QUEUE = "tongzhou.queue", PACK = "tongzhou.pack", TODAY = "tongzhou.today";
  const NAMES = "tongzhou.queue.names";  // whom each queued sale was for (masked), on this tablet only
  const queue = () => JSON.parse(localStorage.getItem(QUEUE) || "[]");
  const saveQueue = (items) => { localStorage.setItem(QUEUE, JSON.stringify(items)); renderBanner(); };
  const b64 = (value) => Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
  const hex = (buffer) => Array.from(new Uint8Array(buffer)).map((b) => b.toString(16).padStart(2, "0")).join("");

  function renderBanner() {
    const waiting = queue().length;
    $("offline-banner").hidden = navigator.onLine && !waiting;
    $("offline-state").textContent = navigator.onLine ? text.syncing : text.offlineMode;
    $("queue-length").textContent = String(waiting);
  }

  async function slowHash(pack, value) {
    const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(value), "PBKDF2", false, ["deriveBits"]);
    const bits = await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: "SHA-256", salt: b64(pack.salt), iterations: pack.iterations }, material, 128);
    return hex(bits);
  }

  async function qrSignedBy(dayKey, body, mac) {
    const key = await crypto.subtle.importKey("raw", b64(dayKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
    const offset = digest[31] & 0x0f;
    const number = ((digest[offset] & 0x7f) << 24) | (digest[offset + 1] << 16) | (digest[offset + 2] << 8) | digest[offset + 3];
    return String(number % 100000000).padStart(8, "0") === mac;
  }

  async function identifyOffline(raw) {
    const pack = JSON.parse(localStorage.getItem(PACK) || "null");
    if (!pack || new Date(pack.valid_until) < new Date()) return null;
    const value = raw.trim().replace(/ /g, "").toUpperCase();
    if (/^28\d{21}$/.test(value)) {
      const entry = pack.rotating[value.slice(2, 11)];
      if (!entry) return null;
      const now = Math.floor(Date.now() / 60000), counter = Number(value.slice(11, 15));
      for (const step of [now - 1, now, now + 1]) {
        const dayKey = entry.keys[String(Math.floor(step / 1440))];
        if (step % 10000 === counter && dayKey && await qrSignedBy(dayKey, value.slice(0, 15), value.slice(15))) {
          return pack.elders[entry.elder];
        }
      }
      return null;
    }
    const index = pack.verifiers[await slowHash(pack, value)];
    return index === undefined ? null : pack.elders[index];
  }

  async function sellOffline(attempt) {
    const who = await identifyOffline(attempt.body.card);
    if (!who) { show("bad", '<div class="big-line">' + text.offlineUnknown + "</div>"); beep(false); return; }
    const total = attempt.body.lines.reduce((sum, line) => {
      const dish = state.order.find((d) => d.id === line.menu_item_id);
      return sum + (dish ? dish.price_fen * line.quantity : 0);
    }, 0);
    const names = JSON.parse(localStorage.getItem(NAMES) || "{}");
    names[attempt.key] = who.name;
    localStorage.setItem(NAMES, JSON.stringify(names));
    saveQueue(queue().concat([{ client_id: attempt.key, receipt_no: attempt.body.receipt_no,
      device_time: attempt.body.device_time, card: attempt.body.card, session: attempt.body.session,
      lines: attempt.body.lines, accept_full_price: attempt.body.accept_full_price }]));
    show("ok", '<div class="big-line">' + text.queued + "</div><div>" + text.menuTotal + " " + yuan(total) + " " + text.yuan + " · " +
      escapeHtml(who.name) + " · " + escapeHtml(who.age_band) + "</div><div>" + text.settledLater + "</div>");
    beep(true);
    state.order = [];
    renderOrder();
    $("scan").focus();
  }

  let syncing = false;
  function syncQueue() {
    const waiting = queue();
    renderBanner();
    if (syncing || !waiting.length || !navigator.onLine) return;
    syncing = true;
    api("POST", "/terminal/offline-sales", { sales: waiting }).then(({ status, data }) => {
      syncing = false;
      if (status !== 200) return;
      const done = new Set(data.results.map((r) => r.client_id));
      saveQueue(queue().filter((sale) => !done.has(sale.client_id)));
      const names = JSON.parse(localStorage.getItem(NAMES) || "{}");
      const review = data.results.filter((r) => r.outcome === "review");
      const full = data.results.filter((r) => r.outcome === "full_price").length;
      // Each sale sent to review by whom it was for and why, so the cashier can follow up.
      const why = review.map((r) => (names[r.client_id] || r.receipt_no) + "：" + r.reason).join("；");
      $("sync-report").textContent = text.synced.replace("%s", data.results.length) +
        (full ? " " + text.syncedFull.replace("%s", full) : "") +
        (review.length ? " " + text.syncedReview.replace("%s", review.length) + " " + why : "");
      done.forEach((id) => { delete names[id]; });
      localStorage.setItem(NAMES, JSON.stringify(names));
    }).catch(() => { syncing = false; });
  }

  function refreshPack() {
    if (!navigator.onLine) return;
    api("GET", "/terminal/offline-pack").then(({ status, data }) => {
      if (status === 200) localStorage.setItem(PACK, JSON.stringify(data));
    }).catch(() => {});
  }

  window.addEventListener("online", () => { syncQueue(); refreshPack(); });
  window.addEventListener("offline", renderBanner);
  setInterval(syncQueue, 10000);
  setInterval(refreshPack, 10 * 60 * 1000);

  function topUp(credential, amountFen) {
    if (state.inFlight) return;
    state.inFlight = true;
    const key = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    show("busy", text.working);
    api("POST", "/topups", { card: credential, amount_fen: amountFen }, key).then(({ status, data }) => {
      state.inFlight = false;
      if (status === 201) {
        show("ok", '<div class="big-line">' + text.toppedUp + " " + yuan(data.amount_fen) + " " + text.yuan +
          "</div><div>" + escapeHtml(data.elder_name) + " · " + text.balance + " " + yuan(data.balance_fen) + "</div>");
        beep(true);
        $("topup-amount").value = "";
        $("topup-amount").closest("details").open = false;
      } else {
        show("bad", '<div class="big-line">' + escapeHtml((data.error || {}).message || status) + "</div>");
        beep(false);
      }
      $("scan").focus();
    }).catch(() => { state.inFlight = false; show("bad", text.offline); });
  }

  // Voiding asks first, with the reason kept on the sale; "Do not void" changes nothing.
  function askVoid() {
    if (!state.lastReceipt || state.inFlight) return;
    const sale = state.lastSale ? state.lastSale.receipt : null;
    $("void-what").textContent = sale
      ? sale.elder.name + " · " + yuan(sale.total_fen) + " " + text.yuan + " · " + sale.receipt_no
      : state.lastReceipt;
    $("void-dialog").hidden = false;
    $("void-keep").focus();
  }

  function voidLast(reason) {
    if (!state.lastReceipt || state.inFlight) return;
    $("void-dialog").hidden = true;
    state.inFlight = true;
    api("POST", "/meals/" + encodeURIComponent(state.lastReceipt) + "/void", { reason: reason }).then(({ status, data }) => {
      state.inFlight = false;
      if (status === 200) {
        show("ok", '<div class="big-line">' + text.voided + " " + escapeHtml(data.receipt_no) + "</div>");
        state.lastReceipt = null;
        state.lastSale = null;
        $("void-last").disabled = true;
        $("print-receipt").hidden = true;
      } else {
        show("bad", escapeHtml((data.error || {}).message || status));
      }
    }).catch(() => { state.inFlight = false; show("bad", text.offline); });
  }

  function showCounter(data) {
    state.today = data;
    state.session = state.session || data.current_session || (data.sessions[0] || {}).kind || "lunch";
    $("canteen-name").textContent = data.canteen;
    $("terminal-name").textContent = data.terminal;
    // The business day as people say it (12月8日 星期二), not as the API writes it.
    const [y, m, d] = data.business_date.split("-").map(Number);
    $("today").textContent = new Date(y, m - 1, d).toLocaleDateString(document.documentElement.lang || "zh-Hans",
      { month: "long", day: "numeric", weekday: "long" });
    $("setup").hidden = true;
    $("counter").hidden = false;
    renderAll();
    renderBanner();
  }

  function start() {
    api("GET", "/terminal/today").catch(() => {
      // Opened without a network: the menu and the pack kept from the last visit serve.
      const kept = localStorage.getItem(TODAY);
      if (kept) showCounter(JSON.parse(kept));
      return { status: 0 };
    }).then(({ status, data }) => {
      if (status === 0) return;
      if (status !== 200) {
        $("setup").hidden = false;
        $("counter").hidden = true;
        $("setup-error").textContent = (data.error || {}).message || "";
        return;
      }
      localStorage.setItem(TODAY, JSON.stringify(data));
      showCounter(data);
      if (data.credential_renew_due) renewCredential();
      refreshPack();
      syncQueue();
    });
  }

  // The server keeps the replaced credential valid for a while, so requests already sent
  // with it still succeed; a renewal that fails simply happens at the next start.
  function renewCredential() {
    api("POST", "/terminal/credential").then(({ status, data }) => {
      if (status !== 200) return;
      state.credential = data.credential;
      localStorage.setItem("tongzhou.terminal", data.credential);
    }).catch(() => {});
  }

  $("save-credential").addEventListener("click", () => {
    state.credential = $("credential").value.trim();
    localStorage.setItem("tongzhou.terminal", state.credential);
    start();
  });
  $("scan").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const value = event.target.value.trim();
    event.target.value = "";
    if (!value) return;
    const amount = parseFloat(($("topup-amount").value || "").replace(",", "."));
    if ($("topup-amount").closest("details").open && amount > 0) topUp(value, Math.round(amount * 100));
    else sell(value, false);
  });
  // Face: a picture, a candidate, and the cashier's confirmation before any charge.
  let stream = null;
  function closeCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    $("camera").hidden = true;
  }
  $("face").addEventListener("click", () => {
    if (!state.order.length) { show("bad", text.chooseFirst); beep(false); return; }
    navigator.mediaDevices.getUserMedia({ video: true }).then((media) => {
      stream = media;
      $("video").srcObject = media;
      $("camera").hidden = false;
    }).catch(() => { show("bad", text.noCamera); beep(false); });
  });
  $("camera-cancel").addEventListener("click", () => { closeCamera(); $("scan").focus(); });
  // Liveness: the first frame as the elder looks at the camera, then three more while they
  // turn their head the way the server asked (a photo or a screen cannot turn).
  const FRAME_GAP_MS = 800;  // an elder turns slowly: four frames over 2.4 s
  function grab(video) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return canvas.toDataURL("image/jpeg", 0.85);
  }
  function refuse(data, status) {
    show("bad", '<div class="big-line">' + escapeHtml((data.error || {}).message || status) + "</div>");
    beep(false);
  }
  $("shoot").addEventListener("click", () => {
    const video = $("video");
    $("shoot").disabled = true;
    const finish = () => { $("shoot").disabled = false; $("camera-prompt").textContent = text.facePrompt; };
    api("POST", "/face/challenge").then(({ status, data }) => {
      if (status !== 200) { finish(); closeCamera(); refuse(data, status); return; }
      const frames = [grab(video)];
      $("camera-prompt").textContent = data.turn === "left" ? text.turnLeft : text.turnRight;
      const timer = setInterval(() => {
        frames.push(grab(video));
        if (frames.length < 4) return;
        clearInterval(timer);
        finish();
        closeCamera();
        identify(frames, data.challenge);
      }, FRAME_GAP_MS);
    }).catch(() => { finish(); closeCamera(); show("bad", text.offline); });
  });
  function identify(frames, challenge) {
    show("busy", text.looking);
    api("POST", "/face/identify", { challenge, frames_base64: frames }).then(({ status, data }) => {
      if (status !== 200) { refuse(data, status); return; }
      show("idle", "");
      $("confirm-who").textContent = data.name + " · " + text.age + " " + data.age;
      const photo = $("confirm-photo");
      photo.hidden = !data.photo_base64;
      if (data.photo_base64) photo.src = "data:image/jpeg;base64," + data.photo_base64;
      $("confirm").hidden = false;
      $("confirm-yes").onclick = () => { $("confirm").hidden = true; sell(data.token, false); };
      $("confirm-no").onclick = () => { $("confirm").hidden = true; $("scan").focus(); };
    }).catch(() => show("bad", text.offline));
  }

  // Kept by a service worker, the page opens again after a reload with no network.
  if ("serviceWorker" in navigator && document.body.dataset.worker) {
    navigator.serviceWorker.register(document.body.dataset.worker, { scope: "/terminal/" }).catch(() => {});
  }

  $("clear-order").addEventListener("click", () => { state.order = []; renderOrder(); $("scan").focus(); });
  $("void-last").addEventListener("click", askVoid);
  $("void-keep").addEventListener("click", () => { $("void-dialog").hidden = true; $("scan").focus(); });
  document.querySelectorAll("#void-dialog [data-reason]").forEach((button) => {
    button.addEventListener("click", () => voidLast(button.dataset.reason));
  });

  // A receipt on the 58 mm roll, printed from the browser (print CSS keeps only this).
  function printOut(html) {
    $("print-area").innerHTML = html;
    window.print();
  }
  $("print-receipt").addEventListener("click", () => {
    if (!state.lastSale) return;
    const r = state.lastSale.receipt;
    const lines = state.lastSale.lines.map((l) => "<tr><td>" + escapeHtml(l.name) + " ×" + l.quantity +
      "</td><td>" + yuan(l.price_fen * l.quantity) + "</td></tr>").join("");
    printOut("<h3>" + escapeHtml(state.today.canteen) + "</h3><p>" + escapeHtml(state.today.terminal) + "<br>" +
      text.time + " " + new Date().toLocaleString("zh-CN", { hour12: false }) + "<br>" + text.receipt + " " +
      escapeHtml(r.receipt_no) + "</p><table>" + lines + "</table>" + receiptHtml(r));
  });

  // The end of the day: this counter's sales per meal and by who paid, from the server.
  function summaryHtml(data) {
    const order = ["breakfast", "lunch", "dinner"];
    const rows = data.sessions.slice().sort((a, b) => order.indexOf(a.session) - order.indexOf(b.session));
    const cells = (label, row) => "<tr><td>" + label + "</td><td>" + row.meals + "</td>" +
      ["total_fen", "own", "subsidy_purse", "charity_purse", "subsidy", "charity"].map((k) => "<td>" + yuan(row[k]) + "</td>").join("") + "</tr>";
    const table = !rows.length ? "<p>" + text.summaryNone + "</p>" :
      '<div class="scroll"><table class="summary-table"><thead><tr>' + text.summaryHead.map((h) => "<th>" + h + "</th>").join("") +
      "</tr></thead><tbody>" + rows.map((row) => cells(text.sessions[row.session] || row.session, row)).join("") +
      "</tbody><tfoot>" + cells(text.summaryTotal, data.totals) + "</tfoot></table></div>";
    return table + "<p>" + text.summaryVoided.replace("%s", data.voided).replace("%s", yuan(data.voided_fen)) + "</p>" +
      (queue().length ? '<p class="bad">' + text.summaryQueued.replace("%s", queue().length) + "</p>" : "");
  }
  $("day-summary").addEventListener("click", () => {
    api("GET", "/terminal/summary").then(({ status, data }) => {
      if (status !== 200) { show("bad", escapeHtml((data.error || {}).message || status)); return; }
      $("summary-body").innerHTML = "<p>" + escapeHtml(state.today.canteen) + " · " + escapeHtml(state.today.terminal) +
        " · " + escapeHtml($("today").textContent) + "</p>" + summaryHtml(data);
      $("summary").hidden = false;
      $("summary").scrollIntoView({ block: "nearest" });
    }).catch(() => show("bad", text.offline));
  });
  $("summary-close").addEventListener("click", () => { $("summary").hidden = true; $("scan").focus(); });
  $("summary-print").addEventListener("click", () => printOut($("summary-body").innerHTML));
  if (state.credential) start(); else $("setup").hidden = false;
})();
