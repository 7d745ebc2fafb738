/* flashpoint dashboard: map (Leaflet + Natural Earth TopoJSON), timeline with brushing, filters,
 * event panel with highlighted evidence, dyad view. Plain JS, no build step.
 * Every piece of stored text reaches the page through text nodes (el(), textContent), never as HTML. */
"use strict";

const TYPE_COLORS = {
  AGREE: "#1b9e77", CONSULT: "#66a61e", SUPPORT: "#33a02c", CONCEDE: "#a6d854", COOPERATE: "#1f78b4",
  AID: "#6baed6", RETREAT: "#80cdc1", REQUEST: "#7570b3", ACCUSE: "#e6ab02", REJECT: "#a6761d",
  THREATEN: "#fd8d3c", PROTEST: "#e7298a", SANCTION: "#8c510a", MOBILIZE: "#636363", COERCE: "#d95f02",
  ASSAULT: "#cb181d",
};
const DAY = 86400000;
const MAX_PAGES = 20;       // 20 x 500 events at most on the map
const LIST_ROWS = 400;      // rows drawn in the event list

const state = {
  events: [],               // compact events matching the server-side filters
  from: null, to: null,     // date window (timeline brush / date inputs), "YYYY-MM-DD" or null
  fullRange: false,
  selected: null,
  summary: null,
  loadSeq: 0,
  busy: 0,                  // requests for events and dyads in flight
};
const $ = (id) => document.getElementById(id);

/* --------------------------------------------------------------------------- helpers */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
const typeColor = (t) => TYPE_COLORS[t] || "#888";
const dayNum = (iso) => Math.floor(Date.parse(iso + "T00:00:00Z") / DAY);
const isoDay = (n) => new Date(n * DAY).toISOString().slice(0, 10);
const radius = (killed) => 5 + 2.6 * Math.sqrt(killed || 0);

function status(msg, isError) {
  const s = $("status");
  s.textContent = msg;
  s.classList.toggle("error", !!isError);
}

async function api(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
  const r = await fetch(url, { headers: { Accept: "application/json" } });
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(`${r.status}: ${detail}`);
  }
  return r.json();
}

const fusedView = () => $("f-view").value === "fused";

function serverFilters() {
  return {
    fused: fusedView() ? "true" : null,
    country: $("f-country").value,
    type: $("f-type").value,
    modality: $("f-modality").value,
    actor: $("f-actor").value.trim(),
  };
}

function inWindow(e) {
  if (!state.from && !state.to) return true;
  if (!e.date) return false;
  return (!state.from || e.date >= state.from) && (!state.to || e.date <= state.to);
}

function actorLabel(list) {
  const names = (list || []).map((a) => a.country ? `${a.name} (${a.country})` : a.name).filter(Boolean);
  return names.slice(0, 2).join(", ") + (names.length > 2 ? ` +${names.length - 2}` : "");
}

/* --------------------------------------------------------------------------- map */
const map = L.map("map", { zoomSnap: 0.25, minZoom: 1.5, maxZoom: 10, worldCopyJump: false, preferCanvas: false })
  .setView([30, 50], 3);
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution("Natural Earth (world-atlas) · Leaflet");
const markerLayer = L.layerGroup().addTo(map);
const markers = new Map();
let legend = null;

async function drawWorld() {
  const r = await fetch("/static/vendor/countries-50m.json");
  if (!r.ok) throw new Error(`world map: ${r.status}`);
  const world = await r.json();
  const land = topojson.feature(world, world.objects.countries);
  L.geoJSON(land, {
    style: { color: "#b9b3a6", weight: 0.6, fillColor: "#eeebe2", fillOpacity: 1 },
    interactive: false,
  }).addTo(map);
}

function drawMarkers(visible, refit) {
  markerLayer.clearLayers();
  markers.clear();
  const located = visible.filter((e) => e.location && e.location.lat !== null && e.location.lon !== null);
  located.sort((a, b) => (b.fatalities || 0) - (a.fatalities || 0));   // small markers on top
  for (const e of located) {
    const m = L.circleMarker([e.location.lat, e.location.lon], {
      radius: radius(e.fatalities), fillColor: typeColor(e.event_type), color: "#333", weight: 0.8,
      fillOpacity: 0.78, className: "ev-marker",
    });
    const tip = el("div", {},
      el("b", {}, e.event_type), " ", e.date || "undated", el("br"),
      actorLabel(e.actor) || "?", " → ", actorLabel(e.recipient) || "?", el("br"),
      e.location.name || "", e.fatalities ? ` · ${e.fatalities} killed` : "");
    m.bindTooltip(tip, { className: "ev-tip", direction: "top" });
    m.on("click", () => openEvent(e.event_id));
    m.addTo(markerLayer);
    const path = m.getElement();
    if (path) {
      path.dataset.eventId = e.event_id;
      path.dataset.type = e.event_type;
      if (e.event_id === state.selected) path.classList.add("selected");
    }
    markers.set(e.event_id, m);
  }
  if (refit && located.length) map.fitBounds(focusBounds(located), { maxZoom: 6 });
  drawLegend(visible);
  return located.length;
}

function focusBounds(located) {
  // where most events are: with many markers, the 5th-95th percentiles of latitude and longitude
  // (a stray geocode on another continent stays on the map, outside the first view)
  const q = (xs, f) => xs[Math.min(xs.length - 1, Math.max(0, Math.round(f * (xs.length - 1))))];
  const lats = located.map((e) => e.location.lat).sort((a, b) => a - b);
  const lons = located.map((e) => e.location.lon).sort((a, b) => a - b);
  const f = located.length >= 20 ? 0.05 : 0;
  return L.latLngBounds([q(lats, f), q(lons, f)], [q(lats, 1 - f), q(lons, 1 - f)]).pad(0.3);
}

function drawLegend(visible) {
  if (legend) legend.remove();
  const types = [...new Set(visible.map((e) => e.event_type))].sort();
  legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => el("div", { class: "legend" },
    types.map((t) => el("div", {}, el("i", { style: `background:${typeColor(t)}` }), t)),
    el("div", { class: "size" }, "size: fatalities"));
  legend.addTo(map);
}

/* --------------------------------------------------------------------------- timeline */
function timelineDomain(events) {
  const days = events.filter((e) => e.date).map((e) => dayNum(e.date)).sort((a, b) => a - b);
  if (!days.length) return null;
  let lo = days[0], hi = days[days.length - 1];
  if (!state.fullRange && days.length >= 20) {
    // the busy stretch: leave out the few events dated long before or after it
    lo = days[Math.floor(days.length * 0.03)];
    hi = days[Math.ceil(days.length * 0.97) - 1];
  }
  if (hi - lo < 14) { const mid = Math.round((lo + hi) / 2); lo = Math.min(lo, mid - 7); hi = Math.max(hi, mid + 7); }
  const span = hi - lo + 1;
  const bin = span <= 150 ? 1 : span <= 3 * 365 ? 7 : 30;
  lo -= bin === 7 ? (((lo - 4) % 7) + 7) % 7 : ((lo % bin) + bin) % bin;  // weeks start on Monday (day 4 = 1970-01-05)
  hi = lo + Math.ceil((hi - lo + 1) / bin) * bin - 1;
  return { lo, hi, bin, nbins: Math.round((hi - lo + 1) / bin), all: days };
}

function drawTimeline(events) {
  const box = $("timeline");
  box.replaceChildren();
  const d = timelineDomain(events);
  if (!d) { box.append(el("p", { class: "hint" }, "no dated events")); return; }
  const W = Math.max(300, box.clientWidth - 20), H = box.clientHeight || 108, top = 6, bottom = 18, left = 4, right = 4;
  const bw = (W - left - right) / d.nbins;
  const x = (day) => left + (day - d.lo) / d.bin * bw;
  const bins = Array.from({ length: d.nbins }, () => ({}));
  let before = 0, after = 0;
  for (const e of events) {
    if (!e.date) continue;
    const n = dayNum(e.date);
    if (n < d.lo) { before++; continue; }
    if (n > d.hi) { after++; continue; }
    const b = bins[Math.floor((n - d.lo) / d.bin)];
    b[e.event_type] = (b[e.event_type] || 0) + 1;
  }
  const maxCount = Math.max(1, ...bins.map((b) => Object.values(b).reduce((s, v) => s + v, 0)));
  const h = (c) => c / maxCount * (H - top - bottom);
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "aria-label": "timeline" });
  const fromN = state.from ? dayNum(state.from) : null, toN = state.to ? dayNum(state.to) : null;
  const types = Object.keys(TYPE_COLORS);
  bins.forEach((b, i) => {
    let y = H - bottom;
    const start = d.lo + i * d.bin, end = start + d.bin - 1;
    const dim = (fromN !== null && end < fromN) || (toN !== null && start > toN);
    for (const t of types) {
      if (!b[t]) continue;
      const hh = h(b[t]);
      y -= hh;
      s.append(svg("rect", { x: x(start) + 0.5, y, width: Math.max(1, bw - 1), height: hh, fill: typeColor(t), class: dim ? "dim" : null },
        svg("title", {}, `${isoDay(start)}${d.bin > 1 ? " … " + isoDay(end) : ""}: ${b[t]} ${t}`)));
    }
  });
  // axis: about six ticks
  const axis = svg("g", { class: "axis" });
  axis.append(svg("line", { x1: left, x2: W - right, y1: H - bottom + 0.5, y2: H - bottom + 0.5 }));
  const step = Math.max(1, Math.round(d.nbins / 6));
  for (let i = 0; i < d.nbins; i += step) {
    const day = d.lo + i * d.bin;
    const long = d.hi - d.lo > 300;   // over a year: year and month, else month and day
    axis.append(svg("text", { x: x(day) + 1, y: H - 5 }, isoDay(day).slice(long ? 0 : 5, long ? 7 : 10)));
  }
  s.append(axis);
  if (before || after) {
    s.append(svg("text", { class: "outside", x: W - right, y: top + 8, "text-anchor": "end" },
      `${before ? before + " earlier" : ""}${before && after ? ", " : ""}${after ? after + " later" : ""} not shown (tick “full range”)`));
  }
  // brush
  const brush = svg("rect", { class: "brush", y: 1, height: H - bottom, x: 0, width: 0, visibility: "hidden" });
  s.append(brush);
  const showBrush = (a, b) => {
    brush.setAttribute("x", Math.min(a, b));
    brush.setAttribute("width", Math.abs(b - a));
    brush.setAttribute("visibility", "visible");
  };
  if (fromN !== null || toN !== null) {
    showBrush(x(Math.max(d.lo, fromN ?? d.lo)), x(Math.min(d.hi, toN ?? d.hi) + 1));
  }
  const toDay = (px) => Math.min(d.hi, Math.max(d.lo, d.lo + Math.floor((px - left) / bw) * d.bin));
  const localX = (ev) => { const r = s.getBoundingClientRect(); return (ev.clientX - r.left) * W / r.width; };
  let start = null;
  s.addEventListener("pointerdown", (ev) => { start = localX(ev); s.setPointerCapture(ev.pointerId); showBrush(start, start); });
  s.addEventListener("pointermove", (ev) => { if (start !== null) showBrush(start, localX(ev)); });
  s.addEventListener("pointerup", (ev) => {
    if (start === null) return;
    const end = localX(ev);
    const a = Math.min(start, end), b = Math.max(start, end);
    start = null;
    if (b - a < 3) setWindow(null, null);
    else setWindow(isoDay(toDay(a)), isoDay(toDay(b) + d.bin - 1));
  });
  box.append(s);
  box.dataset.bin = String(d.bin);
}

function setWindow(from, to) {
  state.from = from; state.to = to;
  $("f-from").value = from || "";
  $("f-to").value = to || "";
  render(false);
  loadDyads();
}

/* --------------------------------------------------------------------------- event list */
function drawList(visible) {
  const list = $("event-list");
  const rows = [...visible].sort((a, b) => (a.date || "9999").localeCompare(b.date || "9999") || a.event_id.localeCompare(b.event_id));
  list.replaceChildren(...rows.slice(0, LIST_ROWS).map((e) => el("li", {
    dataset: { eventId: e.event_id }, class: e.event_id === state.selected ? "selected" : null,
    title: e.title || "", onclick: () => openEvent(e.event_id),
  },
  el("span", { class: "date" }, e.date || "undated"),
  el("span", {}, el("span", { class: "badge", style: `background:${typeColor(e.event_type)}` }, e.event_type)),
  el("span", { class: "who" }, `${actorLabel(e.actor) || "?"} → ${actorLabel(e.recipient) || "?"}`,
    e.location && e.location.name ? el("span", { class: "hint" }, ` · ${e.location.name}`) : null,
    e.n_sources ? el("span", { class: "sources", title: `${e.n_sources} outlets, ${e.n_reports} reports` }, ` ${e.n_sources} src`) : null),
  el("span", { class: "dead" }, e.fatalities ? String(e.fatalities) : ""))));
  if (rows.length > LIST_ROWS) list.append(el("li", { class: "more" }, `… and ${rows.length - LIST_ROWS} more (narrow the filters)`));
  $("list-count").textContent = `${rows.length}`;
}

/* --------------------------------------------------------------------------- render */
function render(refit) {
  const visible = state.events.filter(inWindow);
  const onMap = drawMarkers(visible, refit);
  drawTimeline(state.events);
  drawList(visible);
  const win = state.from || state.to ? ` · ${state.from || "…"} to ${state.to || "…"}` : "";
  status(`${visible.length} ${fusedView() ? "events" : "reports"} (${onMap} on the map, ${visible.length - onMap} without a place)${win}` +
    (state.truncated ? ` · only the first ${state.events.length} of ${state.truncated} loaded` : ""));
}

// body[data-ready] is "1" once the events and dyads asked for are drawn: the layout is settled
function busy(delta) {
  state.busy += delta;
  document.body.dataset.ready = state.busy ? "0" : "1";
}

async function loadEvents(refit = true) {
  const seq = ++state.loadSeq;
  busy(+1);
  status("loading events…");
  const f = serverFilters();
  const events = [];
  let total = 0;
  try {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const r = await api("/api/events", { ...f, fields: "compact", page_size: 500, page });
      if (seq !== state.loadSeq) return;     // a newer request superseded this one
      events.push(...r.events);
      total = r.total;
      if (page >= r.pages) break;
    }
    state.events = events;
    state.truncated = total > events.length ? total : 0;
    render(refit);
    loadDyads();
  } catch (err) {
    status(`could not load events: ${err.message}`, true);
  } finally {
    busy(-1);
  }
}

/* --------------------------------------------------------------------------- dyads */
async function loadDyads() {
  busy(+1);
  try {
    await drawDyads();
  } finally {
    busy(-1);
  }
}

async function drawDyads() {
  const f = serverFilters();
  const interval = $("d-interval").value;
  let r;
  try {
    r = await api("/api/dyads", { interval, type: f.type, modality: f.modality || "any", from: state.from, to: state.to, limit: 50,
      fused: fusedView() ? "true" : "false" });
  } catch (err) {
    $("dyads").replaceChildren(el("p", { class: "hint" }, `dyads: ${err.message}`));
    return;
  }
  let series = r.series;
  if (f.country) series = series.filter((s) => s.actor === f.country || s.recipient === f.country);
  series = series.slice(0, 12);
  const box = $("dyads");
  if (!series.length) { box.replaceChildren(el("p", { class: "hint" }, "no international dyads for these filters")); return; }
  // the same stretch of time as the timeline (or the selected window)
  const step = interval === "week" ? 7 : 1;
  const days = series.flatMap((s) => s.points.map((p) => dayNum(p.period)));
  const dom = timelineDomain(state.events);
  let lo = state.from ? dayNum(state.from) : dom ? dom.lo : Math.min(...days);
  let hi = (state.to ? dayNum(state.to) : dom ? dom.hi : Math.max(...days)) + 1;
  if (hi - lo < 7) { lo -= 3; hi += 3; }
  const maxC = Math.max(...series.flatMap((s) => s.points.map((p) => p.count)));
  const names = Object.fromEntries((state.summary?.by_country || []).map((c) => [c.country, c.name]));
  box.replaceChildren(...series.map((s) => {
    const W = 300, H = 18;
    const bw = Math.max(1, step / (hi - lo) * W - (step === 1 && hi - lo > 150 ? 0 : 1));
    const spark = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none" },
      svg("line", { class: "base", x1: 0, x2: W, y1: H - 0.5, y2: H - 0.5 }),
      s.points.filter((p) => p.count && dayNum(p.period) + step > lo && dayNum(p.period) < hi).map((p) => {
        const hh = Math.max(1.5, p.count / maxC * (H - 2));
        const x0 = Math.max(0, (dayNum(p.period) - lo) / (hi - lo) * W);
        const flag = p.flag === "escalation" ? "esc" : p.flag === "de-escalation" ? "deesc" : null;
        const drivers = (p.drivers || []).map((d) => `\n  ${d.event_type} ${d.goldstein > 0 ? "+" : ""}${d.goldstein}: ${(d.evidence || "").trim().slice(0, 80)}`).join("");
        return svg("rect", { x: x0, y: H - hh, width: Math.min(bw, W - x0), height: hh, class: flag, "data-period": p.period },
          svg("title", {}, `${p.period}: ${p.count}` + (p.goldstein !== undefined ? ` · Goldstein ${p.goldstein}` : "") +
            (flag ? ` · ${p.flag}${drivers}` : "")));
      }));
    return el("div", {
      class: "dyad", dataset: { actor: s.actor, recipient: s.recipient },
      title: `${names[s.actor] || s.actor} → ${names[s.recipient] || s.recipient}: click to show these events`,
      onclick: () => { $("f-actor").value = s.actor; setSelect("f-country", s.recipient); loadEvents(true); },
    }, el("span", { class: "label" }, `${s.actor} → ${s.recipient}`), el("span", { class: "n" }, String(s.total)), spark);
  }));
}

function setSelect(id, value) {
  const sel = $(id);
  if (![...sel.options].some((o) => o.value === value)) sel.append(el("option", { value }, value));
  sel.value = value;
}

/* --------------------------------------------------------------------------- event panel */
function highlighted(text, evidence) {
  // Offsets count Unicode code points (Python str indices): index the text by code points.
  const chars = Array.from(text);
  const cuts = new Set([0, chars.length]);
  const spans = (evidence || []).filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start < s.end)
    .map((s) => ({ start: Math.max(0, s.start), end: Math.min(chars.length, s.end), role: s.role || "sentence" }));
  for (const s of spans) { cuts.add(s.start); cuts.add(s.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i < points.length - 1; i++) {
    const a = points[i], b = points[i + 1];
    const piece = chars.slice(a, b).join("");
    const roles = [...new Set(spans.filter((s) => s.start <= a && s.end >= b).map((s) => s.role))];
    if (!roles.length) { out.push(document.createTextNode(piece)); continue; }
    const order = ["sentence", "actor", "recipient", "trigger"];   // the most specific role wins the colour
    roles.sort((x, y) => order.indexOf(x) - order.indexOf(y));
    out.push(el("mark", { class: roles.map((r) => "hl-" + r).join(" "), dataset: { roles: roles.join(" ") } }, piece));
  }
  return out;
}

function fact(dl, label, ...value) {
  if (value.every((v) => v === null || v === undefined || v === "")) return;
  dl.append(el("dt", {}, label), el("dd", {}, ...value));
}

function safeUrl(u) {
  try {
    const url = new URL(u);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch (e) { return null; }
}

async function openEvent(id) {
  state.selected = id;
  for (const li of document.querySelectorAll("#event-list li.selected")) li.classList.remove("selected");
  const li = document.querySelector(`#event-list li[data-event-id="${CSS.escape(id)}"]`);
  if (li) { li.classList.add("selected"); li.scrollIntoView({ block: "nearest" }); }
  for (const p of document.querySelectorAll(".ev-marker.selected")) p.classList.remove("selected");
  const m = markers.get(id);
  if (m && m.getElement()) { m.getElement().classList.add("selected"); m.bringToFront(); }
  let e;
  try {
    e = await api(`/api/events/${encodeURIComponent(id)}`);
  } catch (err) {
    status(`could not load event ${id}: ${err.message}`, true);
    return;
  }
  if (state.selected !== id) return;
  const panel = $("event-panel");
  panel.hidden = false;
  panel.dataset.eventId = id;
  $("side").classList.add("has-event");
  const doc = e.source_document || {};
  $("ev-title").replaceChildren(el("span", { class: "badge", style: `background:${typeColor(e.event_type)}` }, e.event_type),
    " ", (e.mode || []).join(", "), " ", el("span", { class: "hint" }, e.event_id));
  const dl = $("ev-facts");
  dl.replaceChildren();
  const who = (list) => (list || []).map((a, i) => [i ? "; " : "", a.name || a.text,
    a.country || a.sector ? el("span", { class: "hint" }, ` ${[a.country, a.sector].filter(Boolean).join("/")}`) : null]).flat();
  fact(dl, "date", e.date || "unknown", e.date_precision && e.date_precision !== "day" ? ` (${e.date_precision})` : "",
    e.date_text ? el("span", { class: "hint" }, ` “${e.date_text}”`) : null);
  fact(dl, "actor", ...who(e.actor));
  fact(dl, "recipient", ...who(e.recipient));
  const loc = e.location;
  fact(dl, "where", loc ? [loc.name, loc.admin1, loc.country].filter(Boolean).join(", ") : "unknown",
    loc && loc.text && loc.text !== loc.name ? el("span", { class: "hint" }, ` “${loc.text}”`) : null);
  const f = e.fatalities, inj = e.injuries;
  const range = (c) => c ? (c.low === c.high ? String(c.best) : `${c.best} (${c.low}–${c.high})`) : null;
  fact(dl, "killed", range(f), e.contested ? el("b", {}, " contested") : null);
  fact(dl, "injured", range(inj));
  fact(dl, "modality", e.modality, e.confidence !== undefined && e.confidence !== null ? ` · confidence ${e.confidence}` : "");
  fact(dl, "codes", `CAMEO ${e.cameo ?? "–"} · Goldstein ${e.goldstein ?? "–"}`,
    e.acled ? ` · ACLED ${e.acled.event_type} / ${e.acled.sub_event_type}` : "");
  if (e.reports) fact(dl, "sources", `${e.n_sources} outlets, ${e.n_reports} reports`, e.first_reported ? ` · first reported ${e.first_reported}` : "");
  if (e.fused_id) fact(dl, "fused event", el("a", { href: "#", onclick: (ev) => { ev.preventDefault(); openEvent(e.fused_id); } }, e.fused_id));
  $("ev-reports-wrap").hidden = !e.reports;
  $("ev-reports").replaceChildren(...(e.reports || []).map((x) => el("li", {
    class: "report", dataset: { eventId: x.event_id }, onclick: () => openEvent(x.event_id),
  },
  el("span", { class: "date" }, x.date || "undated"), " ", el("b", {}, x.source || x.doc_id), " ",
  el("span", { class: "badge", style: `background:${typeColor(x.event_type)}` }, x.event_type),
  x.fatalities ? ` · ${range(x.fatalities)} killed` : "", el("br"),
  el("span", { class: "hint" }, x.title || ""), x.evidence ? el("span", { class: "quote" }, ` “${x.evidence.trim()}”`) : null)));

  const claims = $("ev-claims");
  claims.replaceChildren(...(e.claims || []).map((c) => el("li", { class: "claim" },
    el("b", {}, c.field), ": ", typeof c.value === "object" ? JSON.stringify(c.value) : String(c.value), " — ",
    el("span", { class: "src" }, c.source || "unattributed"),
    c.quote ? el("span", { class: "quote" }, ` “${c.quote}”`) : null)));
  if (!claims.children.length) claims.append(el("li", { class: "hint" }, "no claims"));

  const url = safeUrl(doc.url);
  $("ev-source").replaceChildren(
    el("b", {}, doc.title || doc.origin || doc.doc_id || ""), el("br"),
    [doc.source, doc.date].filter(Boolean).join(" · "), doc.source || doc.date ? " · " : "",
    url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url) : (doc.url || doc.origin || ""));
  const article = $("ev-article");
  article.replaceChildren(...highlighted(doc.text || "", e.evidence));
  const first = article.querySelector("mark.hl-trigger") || article.querySelector("mark");
  article.scrollTop = 0;
  if (first) article.scrollTop = Math.max(0, first.offsetTop - article.offsetTop - 60);
  panel.scrollTop = 0;
}

function closeEvent() {
  state.selected = null;
  $("event-panel").hidden = true;
  $("side").classList.remove("has-event");
  for (const p of document.querySelectorAll(".ev-marker.selected, #event-list li.selected")) p.classList.remove("selected");
}

/* --------------------------------------------------------------------------- start */
async function init() {
  try {
    state.summary = await api("/api/summary");
  } catch (err) {
    status(`could not reach the API: ${err.message}`, true);
    return;
  }
  const s = state.summary;
  fillCountries(s);
  const present = new Set(s.by_type.map((t) => t.event_type));
  for (const t of s.plover_types) $("f-type").append(el("option", { value: t, disabled: !present.has(t) }, t));
  for (const m of s.modalities) if (m !== "asserted") $("f-modality").append(el("option", { value: m }, m));

  for (const id of ["f-view", "f-country", "f-type", "f-modality"]) $(id).addEventListener("change", () => loadEvents(true));
  $("f-actor").addEventListener("change", () => loadEvents(true));
  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); loadEvents(true); });
  for (const id of ["f-from", "f-to"]) $(id).addEventListener("change", () => setWindow($("f-from").value || null, $("f-to").value || null));
  $("f-reset").addEventListener("click", () => {
    $("f-view").value = "fused"; $("f-country").value = ""; $("f-type").value = ""; $("f-modality").value = "asserted"; $("f-actor").value = "";
    state.from = state.to = null; $("f-from").value = ""; $("f-to").value = "";
    closeEvent();
    loadEvents(true);
  });
  $("t-full").addEventListener("change", (ev) => { state.fullRange = ev.target.checked; drawTimeline(state.events); loadDyads(); });
  $("d-interval").addEventListener("change", loadDyads);
  $("ev-close").addEventListener("click", closeEvent);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { map.invalidateSize(); drawTimeline(state.events); }, 150); });

  try {
    await drawWorld();
  } catch (err) {
    status(`could not draw the world map: ${err.message}`, true);
  }
  await loadEvents(true);
  setInterval(pollSummary, POLL_MS);
}

function fillCountries(s) {
  const select = $("f-country");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "all"),
    ...s.by_country.map((c) => el("option", { value: c.country }, `${c.name} (${c.country}) · ${c.events}`)));
  select.value = chosen;
}

/* --------------------------------------------------------------------------- live updates */
// `flashpoint ingest` on a served store adds documents through the server; the summary (revalidated
// with its ETag, so an unchanged store costs a 304) says when, and the open dashboard reloads.
const POLL_MS = 15000;
async function pollSummary() {
  let s;
  try {
    s = await api("/api/summary");
  } catch (err) {
    return;  // the next poll tries again
  }
  if (!state.summary || s.updated_at === state.summary.updated_at) return;
  state.summary = s;
  fillCountries(s);
  await loadEvents(false);
}

init();
