/* Wegweiser dashboard: draws the charts and makes the editors work without page reloads. */
(function () {
  "use strict";

  function drawCharts() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("script[data-chart]").forEach(function (node) {
      var target = document.getElementById(node.getAttribute("data-chart"));
      if (!target) { return; }
      var figure = JSON.parse(node.textContent);
      var name = chartName(target);
      window.Plotly.newPlot(target, figure.data, figure.layout, {
        displaylogo: false,
        responsive: true,
        modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
        // the camera button saves a PNG (Plotly's own toImage, drawn in the browser: offline)
        toImageButtonOptions: {format: "png", filename: name, scale: 2},
        modeBarButtonsToAdd: [{
          name: "downloadSvg",
          title: document.documentElement.lang === "de" ? "Als SVG herunterladen"
            : "Download as SVG",
          icon: window.Plotly.Icons.camera,
          click: function (gd) {
            window.Plotly.downloadImage(gd, {format: "svg", filename: name});
          }
        }]
      }).then(function () { target.setAttribute("data-drawn", "1"); });
    });
  }

  /* A file name for a chart's image: the heading of its card, else the page's path. */
  function chartName(target) {
    var card = target.closest("section");
    var heading = card && card.querySelector("h2");
    var text = (heading ? heading.textContent : document.title) || "chart";
    return text.trim().toLowerCase().replace(/[^a-z0-9\u00c0-\u024f]+/g, "-")
      .replace(/^-+|-+$/g, "").slice(0, 60) || "chart";
  }

  /* "Download as JSON": the page's API call itself (method, path, body), saved as a file;
     the link's own href (the same answer from /export) when fetch is not there or fails. */
  function apiDownloads() {
    document.querySelectorAll("a[data-api-path]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!window.fetch || !window.URL || !URL.createObjectURL) { return; }
        event.preventDefault();
        var method = link.getAttribute("data-api-method") || "POST";
        var init = {method: method, credentials: "same-origin",
                    headers: {"Accept": "application/json"}};
        if (method === "POST") {
          init.headers["Content-Type"] = "application/json";
          init.body = link.getAttribute("data-api-body") || "{}";
        }
        fetch(link.getAttribute("data-api-path"), init).then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.blob();
        }).then(function (blob) {
          var save = document.createElement("a");
          save.href = URL.createObjectURL(blob);
          save.download = link.getAttribute("data-api-file") || "answer.json";
          document.body.appendChild(save);
          save.click();
          setTimeout(function () { URL.revokeObjectURL(save.href); save.remove(); }, 1000);
        }).catch(function () { window.location.href = link.href; });
      });
    });
  }

  function renumber(list) {
    list.querySelectorAll(".step-row").forEach(function (row, k) {
      var no = row.querySelector(".step-no");
      if (no) { no.textContent = String(k + 1); }
      row.querySelectorAll("button[data-op]").forEach(function (button) {
        button.value = button.getAttribute("data-op") + ":" + k;
      });
    });
  }

  function funnelBuilder() {
    var form = document.getElementById("funnel-form");
    if (!form) { return; }
    var list = form.querySelector(".step-list");
    var max = parseInt(list.getAttribute("data-max") || "20", 10);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-op]");
      if (!button) { return; }
      event.preventDefault();
      var op = button.getAttribute("data-op");
      var row = button.closest(".step-row");
      var rows = list.querySelectorAll(".step-row");
      if (op === "add") {
        if (rows.length >= max) { return; }
        var fresh = rows[rows.length - 1].cloneNode(true);
        fresh.querySelector("input").value = "";
        list.appendChild(fresh);
        renumber(list);
        fresh.querySelector("input").focus();
        return;
      }
      if (op === "remove") {
        if (rows.length > 1) { row.remove(); } else { row.querySelector("input").value = ""; }
      } else if (op === "up" && row.previousElementSibling) {
        list.insertBefore(row, row.previousElementSibling);
      } else if (op === "down" && row.nextElementSibling) {
        list.insertBefore(row.nextElementSibling, row);
      }
      renumber(list);
    });
  }

  function phaseEditor() {
    var body = document.getElementById("phase-rows");
    var add = document.getElementById("add-phase");
    if (!body || !add) { return; }
    add.hidden = false;
    function number() {
      body.querySelectorAll(".phase-row").forEach(function (row, k) {
        row.querySelector(".row-no").textContent = String(k + 1);
      });
    }
    body.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-row-op]");
      if (!button) { return; }
      var row = button.closest(".phase-row");
      var op = button.getAttribute("data-row-op");
      if (op === "remove") {
        row.remove();
      } else if (op === "up" && row.previousElementSibling) {
        body.insertBefore(row, row.previousElementSibling);
      } else if (op === "down" && row.nextElementSibling) {
        body.insertBefore(row.nextElementSibling, row);
      }
      number();
    });
    add.addEventListener("click", function () {
      var rows = body.querySelectorAll(".phase-row");
      var fresh = rows[rows.length - 1].cloneNode(true);
      fresh.classList.remove("has-error");
      fresh.querySelectorAll("input, textarea").forEach(function (field) { field.value = ""; });
      fresh.querySelectorAll(".field-error").forEach(function (node) { node.remove(); });
      body.appendChild(fresh);
      number();
      fresh.querySelector("input").focus();
    });
    number();
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  function copyLinks() {
    document.querySelectorAll("a[data-copy]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!navigator.clipboard) { return; }
        event.preventDefault();
        navigator.clipboard.writeText(link.href).then(function () {
          link.classList.add("copied");
        }, function () { window.location.href = link.href; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    funnelBuilder();
    phaseEditor();
    confirmations();
    copyLinks();
    apiDownloads();
  });
}());
