// Draws the Trends page's charts with Chart.js, from the figures the page
// carries as JSON (json_script): the CSP allows no inline script. Each chart's
// numbers are also in a table under it, so a page without this script, or a
// reader who cannot see the chart, loses nothing.
(function () {
  "use strict";
  // Chart.js is fetched below, once the page has painted.

  // The contact states' colours, as their badges have them elsewhere.
  var STATE_COLOURS = {
    on_track: "#146c43",
    due_soon: "#e0a800",
    overdue: "#b02a37",
    escalated: "#58151c"
  };
  // Told apart by people with any colour vision (Okabe and Ito), in order.
  var TYPE_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7a6a00", "#000000"];
  var BRAND = "#1f4e5f";
  var HOURS = "#d55e00";

  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function common(extra) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: still ? false : undefined,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { ticks: { autoSkip: true, maxRotation: 0 } },
        y: { beginAtZero: true, ticks: { precision: 0 } }
      }
    };
    Object.keys(extra || {}).forEach(function (key) { options[key] = extra[key]; });
    return options;
  }

  var CHARTS = {
    weekly: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { type: "bar", label: "Contacts", data: data.contacts, backgroundColor: BRAND, yAxisID: "y", order: 2 },
            {
              type: "line", label: "Exposure hours", data: data.hours, borderColor: HOURS, backgroundColor: HOURS,
              pointRadius: 0, borderWidth: 2, tension: 0.2, yAxisID: "hours", order: 1
            }
          ]
        },
        options: common({
          scales: {
            x: { ticks: { autoSkip: true, maxRotation: 0 } },
            y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Contacts" } },
            hours: {
              position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
              title: { display: true, text: "Hours" }
            }
          }
        })
      };
    },
    states: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.series.map(function (series) {
            return { label: series.label, data: series.values, backgroundColor: STATE_COLOURS[series.state] };
          })
        },
        options: common({
          scales: {
            x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Executives" } }
          }
        })
      };
    },
    types: function (data) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.series.map(function (series, index) {
            return { label: series.label, data: series.values, backgroundColor: TYPE_COLOURS[index % TYPE_COLOURS.length] };
          })
        },
        options: common({
          scales: {
            x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
            y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Engagements" } }
          }
        })
      };
    }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-source"));
    var build = CHARTS[canvas.getAttribute("data-trend-chart")];
    if (source && build) new window.Chart(canvas, build(JSON.parse(source.textContent)));
  }

  // Each chart is drawn in a task of its own when it comes near the screen,
  // so that no single long task keeps a phone from answering a tap.
  function drawAll() {
    var canvases = document.querySelectorAll("canvas[data-trend-chart]");
    if (!("IntersectionObserver" in window)) {
      canvases.forEach(function (canvas) { window.setTimeout(function () { draw(canvas); }, 0); });
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        window.setTimeout(function () { draw(entry.target); }, 0);
      });
    }, { rootMargin: "200px 0px" });
    canvases.forEach(function (canvas) { observer.observe(canvas); });
  }

  // The page paints its text and tables first; Chart.js (200 kB) is fetched
  // and run after the load event, in a frame of its own, so that it never
  // holds up the first paint on a slow phone.
  var library = document.currentScript && document.currentScript.getAttribute("data-chart-library");
  function fetchLibrary() {
    if (!document.querySelector("canvas[data-trend-chart]")) return;
    if (window.Chart) { drawAll(); return; }
    var script = document.createElement("script");
    script.src = library;
    script.addEventListener("load", drawAll);
    document.head.appendChild(script);
  }
  function afterPaint() { window.requestAnimationFrame(function () { window.setTimeout(fetchLibrary, 0); }); }
  if (document.readyState === "complete") afterPaint();
  else window.addEventListener("load", afterPaint);
})();
