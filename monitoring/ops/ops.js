// The ops page (issue #22; docs/operations.md, "The ops page"): the charts of charts.json over the last 15 minutes,
// from the Prometheus that serves this page (its /api/v1, same origin), redrawn every few seconds; above them the
// leader, the targets answering and the alerts, as `./balance top` shows them. Plain script, no build step: uPlot
// (uPlot.iife.min.js, from the npm registry) draws.
//
// For the browser test (topology-tests/browser/ops-page.mjs) each chart's element says what it holds:
// data-state (loading, ok, empty, error) and data-points (the points of its series that have a value, reference
// lines left out); <body data-refreshes> counts the refreshes done.
'use strict';
(() => {
  const RANGE = 15 * 60;          // seconds shown
  const API = '../api/v1/';       // the page is /user/…: Prometheus' API beside it
  const HEIGHT = 170;
  const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#e377c2', '#17becf', '#bcbd22',
    '#8c564b', '#0050d0', '#c00070', '#00a060'];
  const ROLES = { 0: 'none', 1: 'standby', 1.5: 'sync standby', 2: 'leader' };

  const page = { charts: [], refreshes: 0, busy: false, settings: null };
  const $ = (tag, attrs = {}, text) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text != null) el.textContent = text;
    return el;
  };

  async function getJSON(url) {
    const response = await fetch(url, { cache: 'no-store' });
    const body = await response.json().catch(() => null);
    // (a query Prometheus refuses: 400 with its error in the body)
    if (!response.ok || !body || body.status === 'error') {
      throw new Error(body && body.error ? body.error : `${url}: HTTP ${response.status}`);
    }
    return body;
  }
  const query = (expr) => getJSON(API + 'query?' + new URLSearchParams({ query: expr }));
  const queryRange = (expr, start, end, step) =>
    getJSON(API + 'query_range?' + new URLSearchParams({ query: expr, start, end, step }));

  // ---- numbers as text ----
  function seconds(v) {
    if (v === 0) return '0';
    if (v < 0.001) return (v * 1e6).toFixed(0) + 'µs';
    if (v < 0.01) return (v * 1000).toFixed(1) + 'ms';
    if (v < 1) return (v * 1000).toFixed(0) + 'ms';
    return v.toFixed(v < 10 ? 2 : 0) + 's';
  }
  function bytes(v) {
    for (const unit of ['B', 'kB', 'MB', 'GB']) {
      if (Math.abs(v) < 1024 || unit === 'GB') return unit === 'B' ? v.toFixed(0) + ' B' : v.toFixed(1) + ' ' + unit;
      v /= 1024;
    }
  }
  function format(unit, v) {
    if (v == null || !Number.isFinite(v)) return '-';
    switch (unit) {
      case 'seconds': return seconds(v);
      case 'bytes': return bytes(v);
      case 'percent': return v.toFixed(v < 10 ? 1 : 0) + ' %';
      case 'role': return ROLES[v] ?? v.toFixed(1);
      case 'count': return Number.isInteger(v) ? String(v) : v.toFixed(1);
      default: return v < 10 ? v.toFixed(v === 0 ? 0 : 2) : v.toFixed(v < 1000 ? 1 : 0);
    }
  }
  const fill = (template, labels) => template.replace(/\{(\w+)\}/g, (_, name) => labels[name] ?? '?');

  // a colour per node (or other identity), the same on every chart: service-db-1 is one colour everywhere
  const colours = new Map();
  function colour(key) {
    if (!colours.has(key)) colours.set(key, PALETTE[colours.size % PALETTE.length]);
    return colours.get(key);
  }

  // ---- one chart ----
  function build(def) {
    const el = $('section', { class: 'chart', id: 'chart-' + def.id, 'data-chart': def.id, 'data-state': 'loading',
      'data-points': '0', 'data-series': '0' });
    el.append($('h2', {}, def.title));
    const plot = $('div', { class: 'plot' });
    const overlay = $('div', { class: 'overlay' }, 'loading…');
    plot.append(overlay);
    el.append(plot);
    document.getElementById('charts').append(el);
    return { def, el, plot, overlay, uplot: null, shape: '' };
  }

  // the latest value of each series in the legend while the cursor is not over the chart
  function latest(u) {
    const idxs = u.data.map((ys, s) => {
      if (s === 0) return ys.length - 1;
      for (let i = ys.length - 1; i >= 0; i--) if (ys[i] != null) return i;
      return null;
    });
    u.setLegend({ idxs }, false);
  }

  function options(chart, lines, width) {
    const unit = chart.def.unit;
    const stepped = chart.def.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    const yAxis = { size: unit === 'role' ? 92 : 64, grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' },
      values: (u, splits) => splits.map(v => format(unit, v)) };
    if (unit === 'role') yAxis.splits = () => [0, 1, 1.5, 2];
    return {
      width, height: HEIGHT,
      cursor: { drag: { x: false, y: false } },   // no zoom: the chart is redrawn every few seconds
      scales: {
        x: { time: true },
        // (0 a little above the bottom edge: a line at 0 is drawn whole)
        y: { range: unit === 'role' ? [-0.1, 2.2] : (u, min, max) => {
          const top = max > 0 ? max * 1.1 : 1;
          return [-0.04 * top, top];
        } },
      },
      axes: [{ grid: { stroke: '#eee' }, ticks: { stroke: '#ddd' } }, yAxis],
      series: [{}].concat(lines.map(line => ({
        label: line.label,
        stroke: line.reference ? '#999' : colour(line.key),
        width: line.reference ? 1 : 1.5,
        dash: line.reference || line.dash ? [5, 4] : [],   // (undefined after a dashed series: a canvas error)
        paths: stepped,
        points: { show: false },
        value: (u, v) => format(unit, v),
      }))),
      legend: { live: true },
      hooks: { setCursor: [u => { if (u.cursor.idx == null) latest(u); }] },
    };
  }

  async function update(chart, start, end, step) {
    const n = Math.round((end - start) / step) + 1;
    const xs = Array.from({ length: n }, (_, i) => start + i * step);
    let answers;
    try {
      answers = await Promise.all(chart.def.series.map(s => queryRange(expand(s.query), start, end, step)));
    } catch (e) {
      chart.el.dataset.state = 'error';
      chart.overlay.textContent = 'error: ' + e.message;
      chart.overlay.hidden = false;
      return;
    }
    const lines = [];
    answers.forEach((answer, k) => {
      const def = chart.def.series[k];
      const found = answer.data.result.map(r => {
        const ys = new Array(n).fill(null);
        for (const [t, v] of r.values) {
          const i = Math.round((t - start) / step);
          const x = Number(v);   // NaN, +Inf (a quantile of no requests): no value
          if (i >= 0 && i < n && Number.isFinite(x)) ys[i] = x;
        }
        const labels = r.metric;
        const label = fill(def.label, labels);
        const key = def.key ? fill(def.key, labels)
          : labels.node || Object.keys(labels).sort().map(name => labels[name]).join(' ') || label;
        return { label, key, ys, dash: !!def.dash, reference: !!def.reference };
      });
      found.sort((a, b) => a.label.localeCompare(b.label));
      lines.push(...found);
    });
    const points = lines.filter(l => !l.reference).reduce((sum, l) => sum + l.ys.filter(y => y != null).length, 0);
    const data = [xs].concat(lines.map(l => l.ys));
    // a new series (a node seen for the first time) or one gone: the chart made again; otherwise new data
    const shape = lines.map(l => l.label).join('\n');
    const width = Math.max(300, chart.plot.clientWidth);
    if (chart.uplot && chart.shape === shape) {
      chart.uplot.setData(data);
    } else {
      if (chart.uplot) chart.uplot.destroy();
      chart.uplot = new uPlot(options(chart, lines, width), data, chart.plot);
      chart.shape = shape;
    }
    if (chart.uplot.cursor.idx == null) latest(chart.uplot);
    chart.el.dataset.points = String(points);
    chart.el.dataset.series = String(lines.filter(l => !l.reference).length);
    chart.el.dataset.state = points > 0 ? 'ok' : 'empty';
    chart.overlay.textContent = 'no data in the last 15 minutes';
    chart.overlay.hidden = points > 0;
  }

  function expand(expr) {
    return expr.replaceAll('$window', page.window).replaceAll('$api', 'job="users",uri!~"/q/.*"');
  }

  // ---- the header: the leader, the targets, the alerts (as ./balance top's first lines) ----
  async function header() {
    const [leaders, targets, alerts] = await Promise.all([
      query('patroni_primary == 1'), query('up'), getJSON(API + 'alerts')]);
    const names = leaders.data.result.map(r => r.metric.node).sort();
    const up = targets.data.result.filter(r => r.value[1] === '1').length;
    const active = alerts.data.alerts.filter(a => a.state !== 'inactive');
    const firing = active.filter(a => a.state === 'firing');
    setText('leader', names.length ? names.join(' and ') : 'NONE');
    document.getElementById('leader').className = names.length === 1 ? '' : 'bad';
    setText('targets', `${up} of ${targets.data.result.length}`);
    document.getElementById('targets').className = up === targets.data.result.length ? '' : 'bad';
    setText('alert-count', `${firing.length} firing, ${active.length - firing.length} pending`);
    document.getElementById('alert-count').className = firing.length ? 'bad' : '';

    // firing first, the oldest first
    active.sort((a, b) => (a.state !== 'firing') - (b.state !== 'firing') || a.activeAt.localeCompare(b.activeAt));
    const list = document.getElementById('alert-list');
    list.replaceChildren();
    list.dataset.count = String(active.length);
    if (!active.length) list.append($('li', { class: 'none' }, 'none firing or pending'));
    for (const a of active) {
      const since = Math.max(0, (Date.now() - Date.parse(a.activeAt)) / 1000);
      const li = $('li', { class: a.state });
      li.append($('b', {}, `${a.state} ${a.labels.alertname}`),
        document.createTextNode(` ${a.labels.severity || '-'} ${a.labels.node || ''}, for ${Math.floor(since)} s: `
          + ((a.annotations || {}).summary || '')));
      list.append(li);
    }
  }
  const setText = (id, text) => { document.getElementById(id).textContent = text; };

  async function refresh() {
    if (page.busy) return;   // a slow Prometheus: the next refresh waits for this one
    page.busy = true;
    const step = page.step;
    const end = Math.floor(Date.now() / 1000 / step) * step;
    const start = end - RANGE;
    let problem = null;
    try {
      await Promise.all([header().catch(e => { problem = e; }),
        ...page.charts.map(chart => update(chart, start, end, step))]);
    } finally {
      page.busy = false;
      page.refreshes++;
      document.body.dataset.refreshes = String(page.refreshes);
      const status = document.getElementById('status');
      status.className = problem ? 'bad' : '';
      status.textContent = problem
        ? `Prometheus does not answer (${problem.message}); trying again every ${page.refresh} s`
        : `refreshed ${new Date().toLocaleTimeString()}, every ${page.refresh} s; rates over ${page.window}`;
    }
  }

  async function main() {
    // the runner's settings (settings.json): its scrape interval; without them, its defaults
    const settings = await getJSON('settings.json').catch(() => ({}));
    const interval = Number(settings.scrape_interval_seconds) || 2;
    page.step = Math.max(1, interval);
    page.window = Math.max(10, Math.ceil(5 * interval)) + 's';
    page.refresh = Math.max(2, Number(settings.refresh_seconds) || 5);
    const defs = (await getJSON('charts.json')).charts;
    page.charts = defs.map(build);
    window.addEventListener('resize', () => {
      for (const chart of page.charts) {
        chart.uplot?.setSize({ width: Math.max(300, chart.plot.clientWidth), height: HEIGHT });
      }
    });
    await refresh();
    setInterval(refresh, page.refresh * 1000);
  }

  main().catch(e => {
    const status = document.getElementById('status');
    status.className = 'bad';
    status.textContent = 'the page could not start: ' + e.message;
    document.body.dataset.failed = e.message;
  });
})();
