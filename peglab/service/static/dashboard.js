// Draws every plotly figure embedded in the page: <div class="chart" data-figure="id"> and
// <script type="application/json" id="id">{...figure JSON...}</script>.
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("div.chart[data-figure]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { return; }
      var fig = JSON.parse(src.textContent);
      Plotly.newPlot(el, fig.data, fig.layout, { displaylogo: false, responsive: true });
    });
  }
  // A job page polls its job until it finishes, then reloads to show the report link.
  function poll() {
    var el = document.getElementById("job-progress");
    if (!el) { return; }
    var id = el.getAttribute("data-job");
    var bar = el.querySelector("progress");
    var text = el.querySelector(".status");
    function tick() {
      fetch("/api/jobs/" + id).then(function (r) { return r.json(); }).then(function (job) {
        bar.value = job.done_paths;
        text.textContent = job.status + ": " + job.done_paths + " / " + job.paths + " paths";
        if (job.status === "done" || job.status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(tick, 500);
        }
      });
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () { draw(); poll(); });
})();
