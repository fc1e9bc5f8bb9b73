// The Pleura viewer: sends the chosen image to POST /v1/grade with the operator's API key and shows the overlay,
// the grade per lung with its probabilities, and the model card from GET /v1/models. No data stays in the page
// beyond the key, which lives in this tab's session storage only.
"use strict";
const $ = (id) => document.getElementById(id);
let key = sessionStorage.getItem("pleura-key") || "";
let models = null;

function headers() { return { "X-API-Key": key }; }

function say(text) { $("message").textContent = text || ""; }

async function connect() {
  key = $("api-key").value.trim() || key;
  const answer = await fetch("/v1/models", { headers: headers() });
  if (!answer.ok) {
    $("key-status").textContent = answer.status === 401 ? "key refused" : "error " + answer.status;
    return;
  }
  sessionStorage.setItem("pleura-key", key);
  models = await answer.json();
  $("key-status").textContent = "connected";
  $("run").replaceChildren(...models.runs.map((r) => new Option(r.name, r.name, r.default, r.default)));
  $("run").disabled = false;
  showCard();
}

function showCard() {
  const run = models.runs.find((r) => r.name === $("run").value) || models.runs[0];
  const rows = run.sides.map((s) =>
    `<tr><td>${s.side} lung</td><td>${s.architecture}</td><td>${s.input.size} px, ${s.input.recipe}</td>` +
    `<td>${s.input.roi}</td><td>${s.training_data_fingerprint.slice(0, 12)}</td></tr>`).join("");
  $("card-body").innerHTML =
    `<table><tr><th>model</th><th>architecture</th><th>input</th><th>ROI</th><th>training data</th></tr>${rows}</table>` +
    (models.view_check ? `<p>View check: ${models.view_check.architecture} (${models.view_check.classes.join(" / ")})</p>` : "") +
    `<pre>${JSON.stringify(run.sides.map((s) => ({ side: s.side, validation: s.validation })), null, 1)}</pre>`;
  $("card").hidden = false;
}

async function grade(file) {
  say("");
  if (!models) { say("Connect with an API key first."); return; }
  const form = new FormData();
  form.append("image", file, file.name);
  const query = new URLSearchParams({ run: $("run").value, heatmap: $("heatmap").checked });
  $("grades").textContent = "grading " + file.name + " ...";
  const answer = await fetch("/v1/grade?" + query, { method: "POST", headers: headers(), body: form });
  const body = await answer.json().catch(() => ({ message: "the server's answer was not JSON" }));
  if (!answer.ok) { $("grades").textContent = ""; say(body.message || ("error " + answer.status)); return; }
  show(body);
}

function show(body) {
  $("result").hidden = false;
  $("image-name").textContent = body.image + " (" + body.run + ", " + body.elapsed_ms + " ms)";
  if (body.heatmap) { $("overlay").src = "data:image/png;base64," + body.heatmap.overlay_png; $("overlay").hidden = false; }
  else $("overlay").hidden = true;
  const order = ["right", "left"];
  const sides = body.sides.slice().sort((a, b) => order.indexOf(a.side) - order.indexOf(b.side));
  $("grades").innerHTML = sides.map((s) =>
    `<div class="side" data-side="${s.side}"><h3>Patient's ${s.side} lung</h3>` +
    `<span class="grade">${s.grade}</span> (expected grade ${s.expected_grade.toFixed(2)})` +
    `<table>${s.probabilities.map((p, k) => `<tr><td>grade ${body.classes[k]}</td><td>${p.toFixed(3)}</td>` +
      `<td><span class="bar" style="width:${Math.round(p * 120)}px"></span></td></tr>`).join("")}</table></div>`).join("") +
    (body.view ? `<p>P(frontal) = ${body.view.frontal_probability.toFixed(3)}</p>` : "");
}

$("key-form").addEventListener("submit", (e) => { e.preventDefault(); connect(); });
$("run").addEventListener("change", showCard);
$("file").addEventListener("change", () => { if ($("file").files.length) grade($("file").files[0]); });
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files.length) grade(e.dataTransfer.files[0]); });
if (key) { $("api-key").value = ""; connect(); }
