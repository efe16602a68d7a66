// The kubedojo live board: reads /api/workshops/ID/stream (server-sent events, sent with the
// instructor token in a header, so the token is never in a URL) and draws learners x steps.
// Every learner-provided text is set with textContent, never as HTML.
"use strict";

const workshop = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
const storageKey = "kubedojo-token-" + workshop;
let token = null;
let board = null;
let clockSkew = 0; // server now - our now, in ms
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "data") for (const [dk, dv] of Object.entries(v)) e.dataset[dk] = dv;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function minutes(ms) {
  const m = Math.floor(ms / 60000);
  return m < 60 ? m + " min" : Math.floor(m / 60) + " h " + (m % 60) + " min";
}

function setStatus(text, cls) {
  const s = $("status");
  s.textContent = text;
  s.className = cls || "";
}

function render() {
  if (!board) return;
  const w = board.workshop;
  const now = Date.now() + clockSkew;
  const stuckMs = w.stuck_after_secs * 1000;
  $("title").textContent = w.name + " (" + w.id + ")";
  document.title = w.name + " · kubedojo board";
  const done = board.learners.filter((l) => w.steps.every((s) => (l.cells[s.exercise + "/" + s.step] || {}).state === "done")).length;
  $("summary").textContent = board.learners.length + " learners · " + done + " finished" + (w.join_open ? "" : " · joining closed");

  // header: exercises over their steps
  const thead = $("grid").tHead;
  const groups = [];
  for (const s of w.steps) {
    const last = groups[groups.length - 1];
    if (last && last.exercise === s.exercise) last.n++;
    else groups.push({ exercise: s.exercise, n: 1 });
  }
  const row1 = el("tr", {}, el("th", { class: "name", rowspan: "2" }, "learner"));
  for (const g of groups) row1.append(el("th", { colspan: String(g.n), title: g.exercise }, (w.pacing.locked.includes(g.exercise) ? "🔒 " : "") + g.exercise));
  row1.append(el("th", { rowspan: "2" }, "done"));
  const row2 = el("tr", {});
  w.steps.forEach((s, i) => row2.append(el("th", { title: s.exercise + "/" + s.step + ": " + s.title }, String(i + 1))));
  thead.replaceChildren(row1, row2);

  const tbody = $("grid").tBodies[0];
  const rows = [];
  const stuck = [];
  for (const l of board.learners) {
    const tr = el("tr", { data: { learner: l.id } }, el("td", { class: "name", title: l.current ? "on " + l.current : "" }, l.name));
    let finished = 0;
    for (const s of w.steps) {
      const key = s.exercise + "/" + s.step;
      const c = l.cells[key];
      const state = c ? c.state : "none";
      if (state === "done") finished++;
      const td = el("td", { class: "cell", data: { learner: l.id, step: key, state } });
      let tip = l.name + " · " + key + " · " + state;
      if (c) {
        tip += " · " + c.checks + " check runs, " + c.hints + " hints" + (c.solution ? ", solution shown" : "");
        if (c.message) tip += "\n" + c.message;
        if (c.state === "failing" && c.failing_since && now - c.failing_since > stuckMs) {
          td.classList.add("stuck");
          stuck.push({ name: l.name, key, since: now - c.failing_since, message: c.message });
        }
      }
      td.title = tip;
      tr.append(td);
    }
    tr.append(el("td", {}, finished + "/" + w.steps.length));
    rows.push(tr);
  }
  tbody.replaceChildren(...rows);

  stuck.sort((a, b) => b.since - a.since);
  $("stuck").replaceChildren(...(stuck.length ? stuck.map((s) => el("li", {}, el("span", { class: "count" }, s.name), " on ", el("span", { class: "step" }, s.key), " for " + minutes(s.since) + (s.message ? ": " + s.message : ""))) : [el("li", { class: "step" }, "nobody (failing longer than " + minutes(stuckMs) + ")")]));
  $("failures").replaceChildren(...(board.failures.length ? board.failures.slice(0, 15).map((f) => el("li", { data: { step: f.step } }, el("span", { class: "count" }, f.learners + (f.learners === 1 ? " learner" : " learners")), " on ", el("span", { class: "step" }, f.step), ": " + f.message)) : [el("li", { class: "step" }, "no failing checks")]));

  $("locked").textContent = w.pacing.locked.length ? "Locked: " + w.pacing.locked.join(", ") : "Nothing locked.";
  const select = $("exercise");
  const current = select.value;
  select.replaceChildren(...groups.map((g) => el("option", { value: g.exercise }, g.exercise)));
  if (current) select.value = current;
  const bar = $("message-bar");
  bar.textContent = w.pacing.message ? "Message to the room: " + w.pacing.message : "";
  bar.style.display = w.pacing.message ? "block" : "none";
}

function apply(update) {
  for (const row of update.learners) {
    const i = board.learners.findIndex((l) => l.id === row.id);
    if (i >= 0) board.learners[i] = row;
    else board.learners.push(row);
  }
  board.failures = update.failures;
  if (update.workshop) board.workshop = update.workshop;
  board.now = update.now;
}

function handle(name, data) {
  const value = JSON.parse(data);
  if (name === "board") board = value;
  else if (name === "update" && board) apply(value);
  else return;
  clockSkew = value.now - Date.now();
  render();
}

async function api(path, options) {
  const res = await fetch(path, { ...options, headers: { Authorization: "Bearer " + token, "Content-Type": "application/json", ...((options || {}).headers || {}) } });
  if (!res.ok) {
    let msg = res.status + "";
    try { msg = (await res.json()).error; } catch (_) {}
    throw new Error(msg);
  }
  return res;
}

async function connect() {
  let backoff = 500;
  for (;;) {
    try {
      const res = await fetch("/api/workshops/" + encodeURIComponent(workshop) + "/stream", { headers: { Authorization: "Bearer " + token, Accept: "text/event-stream" }, cache: "no-store" });
      if (res.status === 401 || res.status === 403 || res.status === 404) {
        let msg = "";
        try { msg = (await res.json()).error; } catch (_) {}
        sessionStorage.removeItem(storageKey);
        showLogin(msg || "the token was refused");
        return;
      }
      if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
      setStatus("live", "live");
      backoff = 500;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let name = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) name = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (data.length) handle(name, data.join("\n"));
        }
      }
      throw new Error("the stream ended");
    } catch (e) {
      setStatus("reconnecting (" + e.message + ")", "down");
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 10000);
    }
  }
}

function showLogin(error) {
  $("main").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = error || "";
  setStatus("not signed in", "down");
}

function start() {
  $("login").hidden = true;
  $("main").hidden = false;
  connect();
}

async function pace(body) {
  try {
    await api("/api/workshops/" + encodeURIComponent(workshop) + "/pacing", { method: "POST", body: JSON.stringify(body) });
  } catch (e) {
    alert("Could not change the pacing: " + e.message);
  }
}

async function download(format) {
  try {
    const res = await api("/api/workshops/" + encodeURIComponent(workshop) + "/export?format=" + format);
    const blob = await res.blob();
    const a = el("a", { href: URL.createObjectURL(blob), download: "kubedojo-" + workshop + "." + format });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  } catch (e) {
    alert("Could not export: " + e.message);
  }
}

$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token-input").value.trim();
  if (!token) return;
  sessionStorage.setItem(storageKey, token);
  start();
});
$("lock-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const action = ev.submitter && ev.submitter.dataset.action;
  const ex = $("exercise").value;
  if (ex) pace(action === "release" ? { release: [ex] } : { lock: [ex] });
});
$("message-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  pace({ message: $("message").value });
  $("message").value = "";
});
$("clear-message").addEventListener("click", () => pace({ message: "" }));
$("export-csv").addEventListener("click", () => download("csv"));
$("export-json").addEventListener("click", () => download("json"));
setInterval(render, 5000);

// the token arrives in the fragment (never sent to the server) and moves to this tab's storage
const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
if (fromHash) {
  sessionStorage.setItem(storageKey, fromHash);
  history.replaceState(null, "", location.pathname);
}
token = sessionStorage.getItem(storageKey);
if (token) start();
else showLogin("");
