/* State task force dashboards: Chart.js charts drawn from JSON the server renders.
 *
 * Markup, one per chart (the table next to it is the accessible copy of the data; the
 * chart adds nothing a reader needs):
 *
 *   <div class="chart-box">
 *     <canvas id="chart-X" data-chart-data="chart-X-data" aria-hidden="true"></canvas>
 *   </div>
 *   {{ config|json_script:"chart-X-data" }}
 *
 * Config: {"type": "bar" | "horizontalBar" | "line", "labels": [...],
 *          "unit": "count" | "percent" | "hours" | "days",
 *          "datasets": [{"label": "Region 2", "data": [12, null, 40],
 *                        "suppressed": [false, true, false]}],
 *          "target": 100, "targetLabel": "...", "stacked": false}
 * Only type, labels and datasets are required.
 *
 * A null value draws nothing. When it is suppressed, a hatched stub (bars) or a boxed label
 * in the gap (lines) says "suppressed", so nobody reads it as zero; lines are not joined
 * across a gap either. Never "<5": regions.suppression also hides complementary cells of 5
 * and more, and the threshold is a setting.
 *
 * Runs under script-src 'self'; style-src 'self': no inline scripts or style attributes in
 * the page; Chart.js sizes the canvas through element.style, which the policy allows.
 * Loaded with defer after Chart.js (static/vendor/chart.js-<version>/chart.umd.min.js);
 * if that failed to load, does nothing.
 */
(function () {
  "use strict";

  if (typeof window.Chart === "undefined") return;
  const Chart = window.Chart;

  // Okabe-Ito: distinguishable with the common colour-vision deficiencies. Dataset i gets
  // colour i; line charts also vary the point shape.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#F0E442", "#000000"];
  const POINT_STYLES = ["circle", "rect", "triangle", "rectRot", "crossRot", "star",
    "rectRounded", "cross"];
  const INK = "#1b1f24";
  const GRID = "#c9d1da";
  const PAPER = "#ffffff";
  const SUPPRESSED = "suppressed";
  const TYPES = {
    bar: { type: "bar", indexAxis: "x" },
    horizontalBar: { type: "bar", indexAxis: "y" },
    line: { type: "line", indexAxis: "x" },
  };
  // About 18 cm by 8.5 cm: fits the printable width of A4 and US Letter.
  const PRINT_SIZE = { width: 680, height: 320 };
  const STUB = 10;  // px, the hatched stub of a suppressed bar
  const TARGET_KEY = 24;  // px above the plot for the target line's key

  const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

  function formatter(unit) {
    switch (unit) {
      case "percent": return (v) => number.format(v) + "%";
      case "hours": return (v) => number.format(v) + " h";
      case "days": return (v) => number.format(v) + (v === 1 ? " day" : " days");
      default: return (v) => number.format(v);
    }
  }

  function isValue(v) { return typeof v === "number" && isFinite(v); }

  function font(family, size, weight) {
    return { family: family, size: size, weight: weight || "normal" };
  }

  function cssFont(family, size, weight) { return weight + " " + size + "px " + family; }

  // Text on a white box, so it stays legible over bars and gridlines.
  function label(ctx, text, x, y) {
    const width = ctx.measureText(text).width;
    const height = 14;
    let left = x;
    if (ctx.textAlign === "right") left = x - width;
    else if (ctx.textAlign === "center") left = x - width / 2;
    let top = y - height / 2;
    if (ctx.textBaseline === "top") top = y;
    else if (ctx.textBaseline === "bottom") top = y - height;
    ctx.fillStyle = PAPER;
    ctx.fillRect(left - 3, top - 1, width + 6, height + 2);
    ctx.fillStyle = INK;
    ctx.fillText(text, x, y);
  }

  function hatch(ctx, x, y, w, h, colour) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(x, y, w, h);
    ctx.clip();
    ctx.fillStyle = PAPER;
    ctx.fillRect(x, y, w, h);
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let d = -h; d < w + h; d += 5) {
      ctx.moveTo(x + d, y + h);
      ctx.lineTo(x + d + h, y);
    }
    ctx.stroke();
    ctx.restore();
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    ctx.restore();
  }

  // Bar charts: a hatched stub in the dataset's colour where the bar would start, then the
  // label. `across` is the centre on the category axis, `along` where the stub starts on
  // the value axis, `room` the width the label may take across. Returns how far along the
  // value axis the mark reaches, so that marks at one place can queue up.
  function mark(ctx, o) {
    const t = Math.max(8, Math.min(o.thickness, 40));
    const textWidth = ctx.measureText(o.text).width;
    ctx.save();
    if (o.horizontal) {
      hatch(ctx, o.along, o.across - t / 2, STUB, t, o.colour);
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      label(ctx, o.text, o.along + STUB + 5, o.across);
      ctx.restore();
      return STUB + 5 + textWidth + 8;
    }
    hatch(ctx, o.across - t / 2, o.along - STUB, t, STUB, o.colour);
    let reach;
    if (textWidth + 6 <= o.room) {
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      label(ctx, o.text, o.across, o.along - STUB - 4);
      reach = STUB + 4 + 16;
    } else {  // too wide for its category: read it upwards instead of over the neighbours
      ctx.translate(o.across, o.along - STUB - 5);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      label(ctx, o.text, 0, 0);
      reach = STUB + 5 + textWidth + 8;
    }
    ctx.restore();
    return reach;
  }

  // Line charts: the label sits in the break of the line, between its neighbours (or in
  // the middle of the plot when it has none), never on the axis where it could read as 0.
  function markGap(ctx, chart, d, i, text, queued) {
    const area = chart.chartArea;
    const points = chart.getDatasetMeta(d).data;
    const data = chart.data.datasets[d].data;
    const near = [i - 1, i + 1]
      .filter((j) => isValue(data[j]) && points[j] && isValue(points[j].y));
    let y = near.length
      ? near.reduce((sum, j) => sum + points[j].y, 0) / near.length
      : (area.top + area.bottom) / 2;
    const taken = queued[i] || [];
    while (taken.some((other) => Math.abs(other - y) < 20)) y += 20;
    queued[i] = taken.concat([y]);
    y = Math.min(Math.max(y, area.top + 9), area.bottom - 9);
    const x = chart.scales.x.getPixelForValue(i);
    const width = ctx.measureText(text).width;
    const left = Math.min(Math.max(x - width / 2 - 5, area.left), area.right - width - 10);
    ctx.save();
    ctx.fillStyle = PAPER;
    ctx.fillRect(left, y - 9, width + 10, 18);
    ctx.strokeStyle = PALETTE[d % PALETTE.length];
    ctx.lineWidth = 1.5;
    ctx.setLineDash([3, 2]);
    ctx.strokeRect(left, y - 9, width + 10, 18);
    ctx.fillStyle = INK;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(text, left + 5, y);
    ctx.restore();
  }

  function suppressedPlugin(spec, family) {
    return {
      id: "hubnetSuppressed",
      afterDatasetsDraw(chart) {
        const horizontal = chart.options.indexAxis === "y";
        const indexScale = horizontal ? chart.scales.y : chart.scales.x;
        const valueScale = horizontal ? chart.scales.x : chart.scales.y;
        const area = chart.chartArea;
        const isBar = spec.chartType === "bar";
        const ctx = chart.ctx;
        const room = (horizontal ? area.height : area.width) / Math.max(1, spec.labels.length);
        let zero = valueScale.getPixelForValue(0);
        zero = horizontal ? Math.min(Math.max(zero, area.left), area.right)
          : Math.min(Math.max(zero, area.top), area.bottom);
        // Marks already drawn: bars, place -> px used along the value axis; lines, index ->
        // the heights of its labels.
        const queued = {};

        ctx.save();
        ctx.font = cssFont(family, 12, "bold");
        spec.datasets.forEach((dataset, d) => {
          if (!chart.isDatasetVisible(d)) return;
          const meta = chart.getDatasetMeta(d);
          (dataset.suppressed || []).forEach((isSuppressed, i) => {
            if (!isSuppressed || isValue(dataset.data[i])) return;
            if (!isBar) {
              markGap(ctx, chart, d, i, SUPPRESSED, queued);
              return;
            }
            const element = meta.data[i];
            let across = indexScale.getPixelForValue(i);
            let thickness = 10;
            let start = zero;
            let key = String(i);
            if (element) {
              const size = horizontal ? element.height : element.width;
              if (isValue(size)) thickness = size;
              if (!spec.stacked) {  // grouped: each dataset has its own place
                const centre = horizontal ? element.y : element.x;
                if (isValue(centre)) across = centre;
                key = i + ":" + d;
              } else {  // stacked: after the end of the stack
                chart.data.datasets.forEach((other, od) => {
                  const end = chart.getDatasetMeta(od).data[i];
                  if (!chart.isDatasetVisible(od) || !isValue(other.data[i]) || !end) return;
                  const tip = horizontal ? end.x : end.y;
                  if (!isValue(tip)) return;
                  start = horizontal ? Math.max(start, tip) : Math.min(start, tip);
                });
              }
            }
            const offset = queued[key] || 0;
            queued[key] = offset + mark(ctx, {
              horizontal: horizontal,
              across: across,
              along: horizontal ? start + offset : start - offset,
              thickness: thickness,
              room: spec.stacked ? room : Math.max(thickness, 1),
              colour: PALETTE[d % PALETTE.length],
              text: SUPPRESSED,
            });
          });
        });
        ctx.restore();
      },
    };
  }

  function targetPlugin(spec, family) {
    return {
      id: "hubnetTarget",
      afterDatasetsDraw(chart) {
        const horizontal = chart.options.indexAxis === "y";
        const scale = horizontal ? chart.scales.x : chart.scales.y;
        const area = chart.chartArea;
        const at = scale.getPixelForValue(spec.target);
        if (!isValue(at)) return;
        const ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = INK;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        if (horizontal) {
          ctx.moveTo(at, area.top);
          ctx.lineTo(at, area.bottom);
        } else {
          ctx.moveTo(area.left, at);
          ctx.lineTo(area.right, at);
        }
        ctx.stroke();
        // The key sits above the plot (layout.padding.top), so it never hides a value.
        ctx.font = cssFont(family, 12, "bold");
        const y = TARGET_KEY / 2;
        const textLeft = area.right - ctx.measureText(spec.targetLabel).width;
        ctx.beginPath();
        ctx.moveTo(textLeft - 36, y);
        ctx.lineTo(textLeft - 8, y);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = INK;
        ctx.textAlign = "left";
        ctx.textBaseline = "middle";
        ctx.fillText(spec.targetLabel, textLeft, y);
        ctx.restore();
      },
    };
  }

  function readSpec(canvas) {
    const source = document.getElementById(canvas.dataset.chartData);
    if (!source) throw new Error("no element #" + canvas.dataset.chartData);
    const raw = JSON.parse(source.textContent);
    const kind = TYPES[raw.type];
    if (!kind) throw new Error("unknown chart type " + JSON.stringify(raw.type));
    if (!Array.isArray(raw.labels) || !Array.isArray(raw.datasets)) {
      throw new Error("labels and datasets must be lists");
    }
    const unit = raw.unit || "count";
    const format = formatter(unit);
    const target = isValue(raw.target) ? raw.target : null;
    let targetLabel = raw.targetLabel;
    if (target !== null && !targetLabel) {
      targetLabel = unit === "percent" && target === 100
        ? "Deadline met every time" : "Target " + format(target);
    }
    return {
      chartType: kind.type,
      indexAxis: kind.indexAxis,
      labels: raw.labels.map(String),
      unit: unit,
      format: format,
      datasets: raw.datasets,
      target: target,
      targetLabel: targetLabel,
      stacked: Boolean(raw.stacked),
    };
  }

  function build(canvas, spec) {
    const family = getComputedStyle(canvas).fontFamily || "system-ui, sans-serif";
    const isBar = spec.chartType === "bar";
    const horizontal = spec.indexAxis === "y";
    const text = font(family, 13);
    const datasets = spec.datasets.map((dataset, i) => {
      const colour = PALETTE[i % PALETTE.length];
      const common = { label: dataset.label || "", data: dataset.data };
      if (isBar) {
        return Object.assign(common, {
          backgroundColor: colour, borderColor: colour, borderWidth: 0, maxBarThickness: 56,
        });
      }
      return Object.assign(common, {
        borderColor: colour, backgroundColor: colour, borderWidth: 2, tension: 0,
        fill: false, spanGaps: false,  // never join across a suppressed or missing value
        pointStyle: POINT_STYLES[i % POINT_STYLES.length], pointRadius: 4, pointHoverRadius: 5,
      });
    });

    let suggestedMax = spec.unit === "percent" ? 100 : undefined;
    if (spec.target !== null) suggestedMax = Math.max(suggestedMax || 0, spec.target);
    const valueAxis = {
      beginAtZero: true,
      suggestedMax: suggestedMax,
      stacked: spec.stacked,
      grid: { color: GRID },
      border: { color: GRID },
      ticks: {
        color: INK, font: text, precision: spec.unit === "count" ? 0 : undefined,
        callback: (value) => spec.format(value),
      },
    };
    const indexAxis = {
      stacked: spec.stacked,
      grid: { display: false },
      border: { color: GRID },
      ticks: { color: INK, font: text },
    };
    const suppressedAt = (d, i) => Boolean((spec.datasets[d].suppressed || [])[i]);

    const plugins = [suppressedPlugin(spec, family)];
    if (spec.target !== null) plugins.push(targetPlugin(spec, family));

    return new Chart(canvas, {
      type: spec.chartType,
      data: { labels: spec.labels, datasets: datasets },
      plugins: plugins,
      options: {
        indexAxis: spec.indexAxis,
        layout: { padding: { top: spec.target !== null ? TARGET_KEY : 4 } },
        responsive: true,
        maintainAspectRatio: false,
        // Crisp when printed or zoomed.
        devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
        // No motion at all, which also meets prefers-reduced-motion.
        animation: false,
        transitions: {
          active: { animation: { duration: 0 } }, resize: { animation: { duration: 0 } },
        },
        color: INK,
        font: text,
        interaction: { mode: "index", intersect: false, axis: horizontal ? "y" : "x" },
        scales: horizontal ? { x: valueAxis, y: indexAxis } : { x: indexAxis, y: valueAxis },
        plugins: {
          legend: {
            display: spec.datasets.length > 1,
            position: "bottom",
            labels: {
              color: INK, font: text, usePointStyle: !isBar,
              boxWidth: 14, boxHeight: isBar ? 14 : 10,
            },
          },
          tooltip: {
            titleFont: font(family, 13, "bold"),
            bodyFont: text,
            usePointStyle: !isBar,
            callbacks: {
              label(item) {
                const name = item.dataset.label ? item.dataset.label + ": " : "";
                if (isValue(item.raw)) return name + spec.format(item.raw);
                return name + (suppressedAt(item.datasetIndex, item.dataIndex)
                  ? SUPPRESSED : "no data");
              },
            },
          },
        },
      },
    });
  }

  function drop(canvas) {
    const existing = Chart.getChart(canvas);
    if (existing) existing.destroy();
  }

  function init(root) {
    // Charts whose canvas htmx swapped out of the page.
    Object.values(Chart.instances).forEach((chart) => {
      if (!chart.canvas || !chart.canvas.isConnected) chart.destroy();
    });
    const canvases = Array.from(root.querySelectorAll("canvas[data-chart-data]"));
    if (root.matches && root.matches("canvas[data-chart-data]")) canvases.push(root);
    canvases.forEach((canvas) => {
      drop(canvas);
      if (canvas.closest("[data-chart-empty]")) return;
      try {
        build(canvas, readSpec(canvas));
      } catch (error) {
        // One broken chart must not stop the others; its table still shows the data.
        console.error("dashboards.js: #" + canvas.id + ": " + error.message);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document);
  }

  document.body.addEventListener("htmx:afterSettle", (event) => {
    const root = event.target instanceof Element && event.target.isConnected
      ? event.target : document;
    init(root);
  });

  // Chart.js does not follow print layout by itself: draw at a page-sized box for the
  // printout and back to the screen's box afterwards.
  window.addEventListener("beforeprint", () => {
    Object.values(Chart.instances).forEach((chart) => {
      chart.resize(PRINT_SIZE.width, PRINT_SIZE.height);
    });
  });
  window.addEventListener("afterprint", () => {
    Object.values(Chart.instances).forEach((chart) => chart.resize());
  });
})();
