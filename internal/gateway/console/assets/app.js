// The CoWorks console: plain JavaScript, no build step. Everything shown is built with textContent (never
// innerHTML), so nothing a function logs or answers can run as markup here.
"use strict";

const state = { stages: [], selected: null, logs: null, maxRows: 200, maxLogLines: 500 };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const $ = (id) => document.getElementById(id);

function clock(t) {
  const d = new Date(t);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function setStatus(text) { $("status").textContent = text; }

async function getJSON(url) {
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// Stages --------------------------------------------------------------------------------------------------

async function loadStages() {
  const data = await getJSON("api/stages");
  $("project").textContent = data.project ? "· " + data.project : "";
  $("gateway").textContent = data.gateway;
  $("gateway").href = data.gateway;
  const sig = JSON.stringify(data.stages);
  if (sig === state.sig) return; // unchanged: keep the page (and the keyboard focus) as it is
  state.sig = sig;
  state.stages = data.stages || [];
  renderStages();
  renderDiffChoices();
  const keep = state.selected && state.stages.find((s) => s.name === state.selected);
  const first = state.stages.find((s) => s.served) || state.stages[0];
  if (keep) renderDetail(keep);
  else if (first) selectStage(first.name, false);
}

function renderStages() {
  const list = $("stages");
  list.replaceChildren();
  if (state.stages.length === 0) {
    list.append(el("li", { class: "help", text: "No stage yet: cws stage add NAME, then cws deploy --stage NAME." }));
    return;
  }
  for (const s of state.stages) {
    const when = s.deployed_at ? new Date(s.deployed_at).toLocaleString() : "not deployed";
    const target = s.target || "not deployed";
    const item = el("li", { class: "stage", "data-stage": s.name, "aria-current": s.name === state.selected ? "true" : "false" },
      el("button", { class: "open", type: "button", "aria-label": `Open stage ${s.name}`, onclick: () => selectStage(s.name, true) },
        el("span", { class: "name" }, s.name, el("span", { class: "badge " + (s.target || ""), text: target }),
          s.protected ? el("span", { class: "badge protected", text: "protected" }) : null),
        el("span", { class: "meta", text: s.url || "no URL" }),
        el("span", { class: "meta", text: `artifact ${short(s.artifact)} · ${when}` })));
    list.append(item);
  }
}

function short(hash) { return hash ? hash.slice(0, 12) : "none"; }

function selectStage(name, focus) {
  state.selected = name;
  for (const li of $("stages").children) li.setAttribute("aria-current", li.dataset.stage === name ? "true" : "false");
  const s = state.stages.find((x) => x.name === name);
  if (!s) return;
  renderDetail(s);
  followLogs(s.name);
  if (focus) $("detail-h").focus();
}

function renderDetail(s) {
  $("detail").hidden = false;
  $("detail-h").tabIndex = -1;
  $("detail-name").textContent = s.name;
  const facts = $("facts");
  facts.replaceChildren();
  const fact = (k, v) => facts.append(el("dt", { text: k }), el("dd", { text: v }));
  fact("Target", s.target || "not deployed");
  fact("URL", s.url || "—");
  if (s.rest_api_id) fact("REST API", `${s.rest_api_id} (stage ${s.api_stage})`);
  if (s.function) fact("Function", s.function);
  fact("Artifact", s.artifact || "—");
  fact("Last deploy", s.deployed_at ? new Date(s.deployed_at).toLocaleString() : "—");
  fact("Protected", s.protected ? `yes: deploy, promote to, rollback and delete need --confirm ${s.name}` : "no");
  for (const kv of s.settings || []) fact(kv.name, kv.value);

  const routes = $("routes").tBodies[0];
  routes.replaceChildren();
  for (const r of s.routes || []) {
    const path = r.path.replace(/\{[^}+]+\+?\}/g, (m) => (m.endsWith("+}") ? "a/b" : "1"));
    routes.append(el("tr", { "data-method": r.method, "data-path": r.path },
      el("td", { class: "mono", text: r.method }),
      el("td", { class: "mono", text: r.path + (r.authorized ? "  (authorizer)" : "") }),
      el("td", {}, el("button", { type: "button", class: "small", disabled: !s.served,
        "aria-label": `Try ${r.method} ${r.path}`,
        onclick: () => tryRoute(r.method === "ANY" ? "GET" : r.method, path) }, "Try"))));
  }
  $("not-served").hidden = !!s.served;
  $("send-button").disabled = !s.served;

  const env = $("env").tBodies[0];
  env.replaceChildren();
  for (const v of s.environment || []) env.append(el("tr", {}, el("td", { class: "mono", text: v.name }), el("td", { class: "mono", text: v.value })));
  if (!(s.environment || []).length) env.append(el("tr", {}, el("td", { colspan: "2", class: "help", text: "no variables" })));

  loadHistory(s);
}

// loadHistory shows the stage's history, read from its target when asked for (for an AWS stage that runs
// terraform, which takes a moment); an answer for a stage no longer shown is dropped.
async function loadHistory(s) {
  const ask = state.historyAsk = (state.historyAsk || 0) + 1;
  const status = $("history-status");
  const rows = $("history").tBodies[0];
  status.textContent = s.target === "terraform" ? "Reading the history from the stage's Terraform state…" : "Reading the history…";
  try {
    const h = await getJSON("api/history?stage=" + encodeURIComponent(s.name));
    if (ask !== state.historyAsk) return;
    rows.replaceChildren();
    for (const e of h.entries) {
      rows.append(el("tr", { "data-n": e.n, class: e.current ? "current" : null, "aria-current": e.current ? "true" : null },
        el("td", { class: "mono", text: (e.current ? "* " : "") + e.n, title: e.current ? "runs now" : null }),
        el("td", { text: new Date(e.at).toLocaleString() }),
        el("td", { text: e.action }),
        el("td", { class: "result-" + e.result, text: e.result }),
        el("td", { class: "mono", text: e.artifact ? short(e.artifact) : "—", title: e.artifact || null }),
        el("td", { class: "mono", text: e.commit || "—" }),
        el("td", { text: e.actor }),
        el("td", { text: e.note })));
    }
    if (h.entries.length === 0) status.textContent = `No history yet: cws deploy --stage ${s.name} records the first entry.`;
    else if (h.entries.some((e) => e.current)) status.textContent = `On ${h.target}. * runs now; cws rollback --stage ${s.name} --to N returns to an earlier entry.`;
    else status.textContent = `On ${h.target}. Nothing runs on stage ${s.name} now.`;
  } catch (e) {
    if (ask !== state.historyAsk) return;
    rows.replaceChildren();
    status.textContent = "Cannot read the history: " + e.message;
  }
}

function tryRoute(method, path) {
  $("send-method").value = method;
  $("send-path").value = path;
  $("send").requestSubmit();
}

// Sending a request -----------------------------------------------------------------------------------------

async function send(ev) {
  ev.preventDefault();
  const s = state.stages.find((x) => x.name === state.selected);
  if (!s) return;
  const headers = $("send-headers").value.split("\n").map((l) => l.trim()).filter(Boolean)
    .map((l) => { const i = l.indexOf(":"); return i < 0 ? [l, ""] : [l.slice(0, i).trim(), l.slice(i + 1).trim()]; });
  const req = { stage: s.name, method: $("send-method").value, path: $("send-path").value, headers, body: $("send-body").value };
  const out = $("response");
  out.hidden = false;
  out.className = "response";
  $("response-status").textContent = `Sending ${req.method} ${req.path}…`;
  $("response-headers").textContent = "";
  $("response-body").textContent = "";
  try {
    const r = await fetch("api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    out.className = "response " + (body.status < 400 ? "ok" : "bad");
    out.dataset.status = body.status;
    $("response-status").textContent = `${req.method} /${s.api_stage}${req.path} → ${body.status} in ${body.latency_ms.toFixed(2)} ms · request id ${body.request_id || "—"}`;
    $("response-headers").textContent = (body.headers || []).map(([k, v]) => `${k}: ${v}`).join("\n");
    $("response-body").textContent = body.body + (body.truncated ? "\n… (truncated)" : "");
  } catch (e) {
    out.className = "response bad";
    $("response-status").textContent = "Could not send: " + e.message;
  }
}

// Live requests ------------------------------------------------------------------------------------------

function watchRequests() {
  const src = new EventSource("api/events/requests");
  const body = $("requests").tBodies[0];
  let ready = false;
  src.addEventListener("request", (ev) => {
    const r = JSON.parse(ev.data);
    const ids = r.lambda_request_id && r.lambda_request_id !== r.request_id ? `${r.request_id} / λ ${r.lambda_request_id}` : r.request_id;
    const row = el("tr", { "data-request-id": r.request_id, class: ready ? "new" : null },
      el("td", { class: "mono", text: clock(r.time) }),
      el("td", { text: r.stage || r.api_stage || "—" }),
      el("td", { class: "mono", text: r.method }),
      el("td", { class: "mono", text: r.path }),
      el("td", { class: "mono status-" + String(r.status)[0], text: r.status ? String(r.status) : "—", title: r.note || null }),
      el("td", { class: "mono", text: (r.latency_ns / 1e6).toFixed(2) + " ms" }),
      el("td", { class: "mono", text: ids }));
    body.prepend(row);
    while (body.rows.length > state.maxRows) body.deleteRow(body.rows.length - 1);
  });
  src.addEventListener("ready", () => { ready = true; setStatus("live"); });
  src.addEventListener("dropped", (ev) => setStatus(`live (missed ${JSON.parse(ev.data).count} requests)`));
  src.onerror = () => setStatus("reconnecting…");
}

// Function logs ----------------------------------------------------------------------------------------------

function followLogs(stage) {
  if (state.logs) state.logs.close();
  const list = $("logs");
  list.replaceChildren();
  const src = new EventSource("api/events/logs?stage=" + encodeURIComponent(stage));
  state.logs = src;
  src.addEventListener("log", (ev) => {
    const e = JSON.parse(ev.data);
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    const showID = e.request_id && !e.message.includes("RequestId: " + e.request_id);
    list.append(el("li", { "data-request-id": e.request_id || null },
      el("span", { class: "t", text: clock(e.time) + " " }),
      showID ? el("span", { class: "id", text: e.request_id + " " }) : null,
      e.message));
    while (list.children.length > state.maxLogLines) list.firstChild.remove();
    if (stick) list.scrollTop = list.scrollHeight;
  });
  src.addEventListener("failure", (ev) => list.append(el("li", { text: "Cannot read the log: " + JSON.parse(ev.data).error })));
}

// Diff --------------------------------------------------------------------------------------------------------

function renderDiffChoices() {
  const names = state.stages.map((s) => s.name);
  for (const [id, pick] of [["diff-a", 0], ["diff-b", 1]]) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
    sel.value = names.includes(keep) ? keep : names[Math.min(pick, names.length - 1)] || "";
  }
}

async function diff(ev) {
  ev.preventDefault();
  const a = $("diff-a").value, b = $("diff-b").value;
  const out = $("diff-result");
  try {
    const d = await getJSON(`api/diff?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
    if (!d.rows || d.rows.length === 0) {
      out.replaceChildren(el("p", { text: `Stages ${d.a} and ${d.b} have the same effective settings.` }));
      return;
    }
    const table = el("table", { class: "diff-table" },
      el("caption", { class: "sr-only", text: `Settings that differ between ${d.a} and ${d.b}` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Setting" }), el("th", { scope: "col", text: d.a }), el("th", { scope: "col", text: d.b }))),
      el("tbody", {}, ...d.rows.map((r) => el("tr", {}, el("td", { text: r.key }), el("td", { class: "mono", text: r.a }), el("td", { class: "mono", text: r.b })))));
    out.replaceChildren(el("div", { class: "scroll" }, table));
  } catch (e) {
    out.replaceChildren(el("p", { text: "Cannot compare: " + e.message }));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("send").addEventListener("submit", send);
  $("diff-form").addEventListener("submit", diff);
  loadStages().catch((e) => setStatus("cannot load the stages: " + e.message));
  watchRequests();
  setInterval(() => loadStages().catch(() => {}), 5000); // deploys and deletes show up without a reload
});
