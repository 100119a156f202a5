// clinlora console: draws the charts whose data the server embedded in <script type="application/json"> elements.
// Every chart is an ECharts instance on its element (echarts.getInstanceByDom), so what is drawn can be read back.
(function () {
  'use strict';

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // The lineage drawings (SVG laid out by the server at scale 1): drag pans, the wheel zooms about the pointer,
  // a double-click goes back to scale 1. The view is the SVG's viewBox, set once the drawing has a size (a collapsed
  // group has none until it is opened).
  function lineageView(svg) {
    var vb = null, drag = null, dragged = false;
    function apply() { svg.setAttribute('viewBox', [vb.x, vb.y, vb.w, vb.h].join(' ')); }
    function reset() {
      var r = svg.getBoundingClientRect();
      if (!r.width) return false;
      vb = {x: 0, y: 0, w: r.width, h: r.height};
      apply();
      return true;
    }
    function point(e) {
      var r = svg.getBoundingClientRect();
      return {x: vb.x + (e.clientX - r.left) / r.width * vb.w, y: vb.y + (e.clientY - r.top) / r.height * vb.h, r: r};
    }
    reset();
    svg.closest('details').addEventListener('toggle', function () { if (!vb) reset(); });
    svg.addEventListener('wheel', function (e) {
      if (!vb && !reset()) return;
      e.preventDefault();
      var p = point(e), k = e.deltaY < 0 ? 1 / 1.2 : 1.2;
      vb = {x: p.x - (p.x - vb.x) * k, y: p.y - (p.y - vb.y) * k, w: vb.w * k, h: vb.h * k};
      apply();
    }, {passive: false});
    svg.addEventListener('pointerdown', function (e) {
      if (!vb && !reset()) return;
      drag = {x: e.clientX, y: e.clientY, vx: vb.x, vy: vb.y};
      dragged = false;
    });
    svg.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var r = svg.getBoundingClientRect(), dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;  // a click on a version's link, not a drag
      if (!dragged) svg.setPointerCapture(e.pointerId);
      dragged = true;
      vb.x = drag.vx - dx * vb.w / r.width;
      vb.y = drag.vy - dy * vb.h / r.height;
      apply();
    });
    ['pointerup', 'pointercancel'].forEach(function (t) { svg.addEventListener(t, function () { drag = null; }); });
    svg.addEventListener('click', function (e) { if (dragged) { e.preventDefault(); dragged = false; } }, true);
    svg.addEventListener('dblclick', function (e) { e.preventDefault(); reset(); });
  }

  function lineage(root) {
    root.querySelectorAll('svg.lineage-svg').forEach(lineageView);
    root.querySelectorAll('[data-lineage-toggle]').forEach(function (b) {
      b.addEventListener('click', function () {
        var open = b.dataset.lineageToggle === 'open';
        root.querySelectorAll('details').forEach(function (d) { d.open = open; });
      });
    });
  }

  var curveCharts = [];
  function curve(el, state) {
    var chart = echarts.init(el);
    var field = el.dataset.field;
    chart.setOption({
      animation: false,
      title: {text: el.dataset.title, textStyle: {fontSize: 13}},
      tooltip: {trigger: 'axis'},
      grid: {left: 60, right: 16, top: 36, bottom: 36},
      xAxis: {type: 'value', name: 'step', nameLocation: 'middle', nameGap: 24, minInterval: 1},
      yAxis: {type: 'value', scale: true},
      series: [{type: 'line', name: el.dataset.title, showSymbol: true, symbolSize: 4,
        data: state.steps.map(function (s) { return [s.step, s[field]]; })}]
    });
    curveCharts.push({chart: chart, field: field});
    return chart;
  }

  function redrawCurves(state) {
    curveCharts.forEach(function (c) {
      c.chart.setOption({series: [{data: state.steps.map(function (s) { return [s.step, s[c.field]]; })}]});
    });
    epochCharts.forEach(function (c) {
      c.chart.setOption({series: [{data: epochPoints(state, c.field)}]});
    });
  }

  // A job's validation scores per epoch (x: epochs trained, fractional when the last step ends mid-epoch).
  var epochCharts = [];
  function epochPoints(state, field) {
    return (state.epochs || []).filter(function (e) { return e[field] !== undefined && e[field] !== null; })
      .map(function (e) { return [e.epoch, e[field]]; });
  }
  function epochs(el, state) {
    var chart = echarts.init(el);
    var field = el.dataset.field;
    chart.setOption({
      animation: false,
      title: {text: el.dataset.title, textStyle: {fontSize: 13}},
      tooltip: {trigger: 'axis'},
      grid: {left: 60, right: 16, top: 36, bottom: 36},
      xAxis: {type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 24},
      yAxis: {type: 'value', scale: true},
      series: [{type: 'line', name: el.dataset.title, showSymbol: true, symbolSize: 6, data: epochPoints(state, field)}]
    });
    epochCharts.push({chart: chart, field: field});
    return chart;
  }

  // Runs overlaid, one series per job: loss per step, or a validation score per epoch.
  function compare(el, runs) {
    var field = el.dataset.field;
    var perEpoch = field !== 'loss';
    var series = runs.map(function (r) {
      var data = perEpoch
        ? r.epochs.filter(function (e) { return e[field === 'auroc' ? 1 : 2] !== null; })
            .map(function (e) { return [e[0], e[field === 'auroc' ? 1 : 2]]; })
        : r.loss;
      return {type: 'line', name: r.id, showSymbol: perEpoch, symbolSize: 6, data: data};
    });
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      title: {text: el.dataset.title, textStyle: {fontSize: 13}},
      tooltip: {trigger: 'axis'},
      legend: {type: 'scroll', bottom: 0},
      grid: {left: 60, right: 16, top: 36, bottom: 56},
      xAxis: {type: 'value', name: perEpoch ? 'epoch' : 'step', nameLocation: 'middle', nameGap: 24},
      yAxis: {type: 'value', scale: true},
      series: series
    });
    return chart;
  }

  function pollJob(state) {
    var finished = ['succeeded', 'failed', 'cancelled'];
    if (finished.indexOf(state.status) >= 0) return;
    var id = location.pathname.split('/').pop();
    setTimeout(function () {
      var after = state.steps.length ? state.steps[state.steps.length - 1].step : 0;
      fetch('/api/jobs/' + encodeURIComponent(id) + '/metrics?after=' + after, {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          j.steps.forEach(function (s) {
            state.steps = state.steps.filter(function (t) { return t.step < s.step; });
            state.steps.push(s);
          });
          if (j.epochs) state.epochs = j.epochs;
          state.status = j.status;
          document.getElementById('job-status').textContent = j.status;
          if (j.progress && j.progress.step !== undefined) {
            document.getElementById('job-progress').textContent = 'step ' + j.progress.step + ' of ' + j.progress.totalSteps;
          }
          redrawCurves(state);
          if (finished.indexOf(j.status) >= 0) location.reload();  // the metrics and the published adapter
        })
        .finally(function () { pollJob(state); });
    }, state.pollMillis);
  }

  function roc(el, curves) {
    var series = (curves.labels || []).filter(function (l) { return l.roc; }).map(function (l) {
      return {type: 'line', name: l.label, showSymbol: false, step: false, data: l.roc.x.map(function (x, i) { return [x, l.roc.y[i]]; })};
    });
    if (curves.macroRoc) {
      series.push({type: 'line', name: 'macro', showSymbol: false, lineStyle: {type: 'dashed', width: 2.5},
        data: curves.macroRoc.x.map(function (x, i) { return [x, curves.macroRoc.y[i]]; })});
    }
    series.push({type: 'line', name: 'chance', showSymbol: false, silent: true, lineStyle: {color: '#bbb', type: 'dotted'}, data: [[0, 0], [1, 1]]});
    var chart = echarts.init(el);
    chart.setOption({animation: false, title: {text: 'ROC', textStyle: {fontSize: 13}}, tooltip: {trigger: 'item'}, legend: {type: 'scroll', bottom: 0},
      grid: {left: 50, right: 16, top: 36, bottom: 56},
      xAxis: {type: 'value', min: 0, max: 1, name: 'false positive rate', nameLocation: 'middle', nameGap: 24},
      yAxis: {type: 'value', min: 0, max: 1, name: 'true positive rate'}, series: series});
    return chart;
  }

  function pr(el, curves) {
    var series = (curves.labels || []).filter(function (l) { return l.pr; }).map(function (l) {
      return {type: 'line', name: l.label, showSymbol: false, step: 'end', data: l.pr.x.map(function (x, i) { return [x, l.pr.y[i]]; })};
    });
    var chart = echarts.init(el);
    chart.setOption({animation: false, title: {text: 'Precision-recall', textStyle: {fontSize: 13}}, tooltip: {trigger: 'item'}, legend: {type: 'scroll', bottom: 0},
      grid: {left: 50, right: 16, top: 36, bottom: 56},
      xAxis: {type: 'value', min: 0, max: 1, name: 'recall', nameLocation: 'middle', nameGap: 24},
      yAxis: {type: 'value', min: 0, max: 1, name: 'precision'}, series: series});
    return chart;
  }

  document.addEventListener('DOMContentLoaded', function () {
    var curveState = data('curve-data');
    var curves = data('curves-data') || {};
    var runs = data('compare-data') || [];
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      switch (el.dataset.chart) {
        case 'curve': curve(el, curveState); break;
        case 'epochs': epochs(el, curveState); break;
        case 'compare': compare(el, runs); break;
        case 'roc': roc(el, curves); break;
        case 'pr': pr(el, curves); break;
      }
    });
    var graph = document.getElementById('lineage');
    if (graph) lineage(graph);
    if (curveState) pollJob(curveState);  // a job page
    window.addEventListener('resize', function () {
      document.querySelectorAll('[data-chart]').forEach(function (el) { var c = echarts.getInstanceByDom(el); if (c) c.resize(); });
    });
  });
})();
