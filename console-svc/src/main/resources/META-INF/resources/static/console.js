// clinlora console: draws the charts whose data the server embedded in <script type="application/json"> elements.
// Every chart is an ECharts instance on its element (echarts.getInstanceByDom), so what is drawn can be read back.
(function () {
  'use strict';

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function lineage(el) {
    var g = data('lineage-data');
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: {},
      series: [{
        type: 'graph', layout: 'none', roam: true, nodeScaleRatio: 0, edgeSymbol: ['none', 'arrow'], edgeSymbolSize: 8, left: 40, right: 260, top: 30, bottom: 30,
        label: {show: true, position: 'right', formatter: function (p) { return p.data.label; }},
        data: g.nodes.map(function (n) {
          return {name: n.id, label: n.label, x: n.x, y: n.y, symbolSize: n.kind === 'base' ? 22 : 14,
            itemStyle: {color: n.kind === 'base' ? '#555' : (n.depth === 1 ? '#2f7ebc' : '#d9822b')}, value: n.kind};
        }),
        links: g.edges.map(function (e) { return {source: e.source, target: e.target}; }),
        lineStyle: {color: '#999', width: 1.5}
      }]
    });
    return chart;
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
        case 'lineage': lineage(el); break;
        case 'curve': curve(el, curveState); break;
        case 'epochs': epochs(el, curveState); break;
        case 'compare': compare(el, runs); break;
        case 'roc': roc(el, curves); break;
        case 'pr': pr(el, curves); break;
      }
    });
    if (curveState) pollJob(curveState);  // a job page
    window.addEventListener('resize', function () {
      document.querySelectorAll('[data-chart]').forEach(function (el) { var c = echarts.getInstanceByDom(el); if (c) c.resize(); });
    });
  });
})();
