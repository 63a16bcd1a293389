// app.js — the admin console over the HTTP API (docs/api.md, docs/console.md): sign-in; Policies (list,
// editor, dry-run impact, publish, history, rollback); Try; Records (search, a record's page); Work
// queue; Deadlines; Ledger (Chart.js); Events (live). No build step: this file is what the browser runs.
'use strict';

const $ = (id) => document.getElementById(id);

// Session and requests ------------------------------------------------------------------------------
const state = { token: sessionStorage.getItem('bylaw.token') || '', admin: false, policies: null };

async function api(method, path, body, accept) {
  const headers = {};
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  if (accept) headers.Accept = accept;
  const res = await fetch(path, { method, headers, body });
  const type = res.headers.get('Content-Type') || '';
  const data = type.startsWith('application/json') ? await res.json() : await res.text();
  return { status: res.status, data, headers: res.headers };
}

// The answer's data when 2xx; else an Error saying what the service said.
async function get(path) {
  const r = await api('GET', path);
  if (r.status === 401) { signinForm(); throw new Error('sign in first'); }
  if (r.status >= 300) throw new Error((r.data && r.data.error) || ('HTTP ' + r.status + ' on ' + path));
  return r.data;
}

// Interface language: English, or Chinese (中文) by the header's switch (kept in localStorage). Each
// text the page writes is looked up here as it is put on the page (h below); the explanations are the
// policies' own words and are shown as they are.
const ZH = {
  Policies: '策略', Try: '试算', Records: '记录', 'Work queue': '待办', Deadlines: '期限', Ledger: '积分', Events: '事件',
  'Sign in': '登录', 'Sign out': '退出', Token: '令牌', 'Check impact': '检查影响', Publish: '发布', History: '历史',
  'Read only.': '只读。', 'Check the impact (Ctrl-S) to see what the edit would change on the stored records.': '检查影响（Ctrl-S）：看修改会如何改变已存记录。',
  Transitions: '变化', Verdicts: '结论', Points: '积分', Failures: '失败', Decisions: '决定', Fields: '字段', 'Pending deadlines': '待办期限',
  Evaluate: '试算', Search: '查询', Filter: '筛选', 'Export CSV': '导出 CSV', Show: '显示', 'Nothing was stored.': '未存储任何内容。',
  file: '文件', types: '类型', type: '类型', 'running version': '运行版本', 'last change': '最近修改', by: '修改人', 'pending error': '待处理错误',
  version: '版本', at: '时间', why: '原因', message: '说明', policy: '策略', verdict: '结论', explanation: '解释', trigger: '触发',
  field: '字段', value: '值', name: '名称', due: '到期', state: '状态', record: '记录', 'held since': '搁置自', subject: '人员',
  month: '月份', points: '积分', before: '之前', after: '之后', change: '变化', from: '从', to: '到', records: '记录数', example: '示例',
  kind: '种类', payload: '内容', deadline: '期限', period: '期间', changes: '修改', year: '年份', 'every policy': '全部策略',
  'held more than (days)': '搁置超过（天）', 'next page': '下一页', 'last page': '最后一页', 'no records': '没有记录',
  'nothing on hold': '没有搁置的决定', none: '无', diff: '差异', 'roll back to this': '回滚到此版本', refused: '被拒绝', active: '运行中',
  'checking…': '检查中…', 'publishing…': '发布中…', 'no pending deadline': '没有待办期限', 'no points this year': '今年没有积分',
  'Published: the policies run the new version.': '已发布：策略运行新版本。',
  'Fill in a record: the running policies decide it; nothing is stored.': '填写一条记录：由运行中的策略判定，不存储。',
  'Live: the newest first, as policies emit them.': '实时：最新的在前。',
  'signed in': '已登录', 'open mode': '开放模式', admin: '管理员', 'read only': '只读',
};
const lang = localStorage.getItem('bylaw.lang') || (navigator.language.startsWith('zh') ? 'zh' : 'en');
const t = (s) => (lang === 'zh' && Object.prototype.hasOwnProperty.call(ZH, s) ? ZH[s] : s);
document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
for (const e of document.querySelectorAll('nav a, #signout, #signin h1, #signin-go')) e.textContent = t(e.textContent.trim());
$('lang').textContent = lang === 'zh' ? 'English' : '中文';
$('lang').addEventListener('click', () => { localStorage.setItem('bylaw.lang', lang === 'zh' ? 'en' : 'zh'); location.reload(); });

// DOM -------------------------------------------------------------------------------------------------
function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : typeof k === 'string' ? t(k) : String(k));
  return e;
}
const view = () => $('view');
function show(...nodes) { view().replaceChildren(...nodes); }
// A page's own show: it draws only while the page is the one asked for last (a slow page that answers
// after the user moved on draws nothing).
let generation = 0;
function bound() { const g = generation; return (...nodes) => { if (g === generation) show(...nodes); }; }
function table(heads, rows, id) {
  return h('table', { id }, h('thead', {}, h('tr', {}, heads.map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => {
      const td = (c instanceof Node && c.tagName === 'TD') ? c : h('td', {}, c);
      td.dataset.label = t(heads[i]); // the heading beside each value when a phone shows rows as cards
      return td;
    })))));
}
const num = (n) => h('td', { class: 'num' }, n === null || n === undefined ? '' : Number(n).toLocaleString('en'));
const enc = encodeURIComponent;
const fail = (e) => show(h('p', { class: 'error', id: 'page-error' }, String(e.message || e)));

// Sign-in: the token goes to sessionStorage; an admin is told apart by a probe the router refuses
// for lower roles before it reads anything (POST /policies/dry-run without a body: 403, or 400 for an admin).
function signinForm(msg) {
  $('nav').hidden = true; $('signout').hidden = true; view().replaceChildren();
  $('signin').hidden = false; $('signin-error').textContent = msg || '';
}
async function start() {
  const r = await api('GET', '/policies');
  if (r.status === 401 || r.status === 403) return signinForm(state.token ? ((r.data && r.data.error) || 'refused: HTTP ' + r.status) : '');
  state.policies = r.data.policies;
  state.admin = (await api('POST', '/policies/dry-run')).status === 400;
  $('signin').hidden = true; $('nav').hidden = false; $('signout').hidden = !state.token;
  $('who').textContent = t(state.token ? 'signed in' : 'open mode') + ' · ' + t(state.admin ? 'admin' : 'read only');
  document.body.dataset.role = state.admin ? 'admin' : 'reader';
  route();
}
$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  state.token = $('token').value.trim();
  sessionStorage.setItem('bylaw.token', state.token);
  $('token').value = '';
  start();
});
$('signout').addEventListener('click', () => { sessionStorage.removeItem('bylaw.token'); state.token = ''; signinForm(); });

// Pages by the hash: #/policies, #/policies/NAME, #/records, #/records/TYPE/ID, #/queue ----------------
function route() {
  generation++;
  const parts = location.hash.replace(/^#\/?/, '').split('?')[0].split('/').map(decodeURIComponent);
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.id === 'nav-' + (parts[0] || 'policies'));
  const page = { policies: parts[1] ? policyPage : policiesPage, try: tryPage, deadlines: deadlinesPage, ledger: ledgerPage, events: eventsPage, records: parts[2] ? recordPage : recordsPage, queue: queuePage }[parts[0] || 'policies'];
  (page || policiesPage)(...parts.slice(1)).catch(fail);
}
window.addEventListener('hashchange', () => { if (!$('nav').hidden) route(); });

// Policies --------------------------------------------------------------------------------------------
async function policiesPage() {
  const show = bound();
  state.policies = (await get('/policies')).policies;
  const names = Object.keys(state.policies).filter((n) => !n.endsWith('_test'));
  const rows = await Promise.all(names.map(async (n) => {
    const [p, v] = await Promise.all([get('/policies/' + enc(n)), get('/policies/' + enc(n) + '/versions')]);
    const last = v.versions.find((x) => !x.refused) || {};
    return [h('a', { href: '#/policies/' + enc(n) }, n), (state.policies[n].policies || []).map((x) => x.type).join(', '),
      h('code', {}, p.version || ''), last.at || '', last.by || '', p.pending_error ? h('span', { class: 'error' }, JSON.stringify(p.pending_error)) : ''];
  }));
  show(h('h1', {}, 'Policies'), table(['file', 'types', 'running version', 'last change', 'by', 'pending error'], rows, 'policies'));
}

// The editor holds NAME.lua and, on its second tab, NAME_test.lua: an edit that changes what the tests
// expect is checked and published with its tests, as one bundle.
let editor = null, docs = {};
async function policyPage(name) {
  const show = bound();
  const p = await get('/policies/' + enc(name));
  const tr = await api('GET', '/policies/' + enc(name + '_test'));
  const t = tr.status === 200 ? tr.data : null;
  const side = h('div', { id: 'impact' }, h('p', { class: 'muted' }, state.admin ? 'Check the impact (Ctrl-S) to see what the edit would change on the stored records.' : 'Read only.'));
  const status = h('span', { id: 'status' });
  const msg = h('input', { id: 'message', placeholder: 'what changed and why', size: 40 });
  const tools = state.admin
    ? h('div', { class: 'toolbar' }, h('button', { id: 'dryrun', class: 'primary', onclick: () => dryRun(name, side, status) }, 'Check impact'),
      msg, h('button', { id: 'publish', onclick: () => publish(name, msg.value, side, status) }, 'Publish'), status)
    : h('div', { class: 'toolbar' }, status);
  const host = h('div', { id: 'editor' });
  const tab = (file) => h('button', { class: 'tab', id: 'tab-' + file, onclick: () => editor.swapDoc(docs[file]) }, file);
  const hist = h('div', { id: 'history' });
  show(h('h1', {}, name, ' ', h('code', { class: 'muted' }, p.version || '')),
    p.pending_error ? h('p', { class: 'error' }, 'Refused edit on disk: ' + JSON.stringify(p.pending_error)) : '',
    tools, h('div', { class: 'split' }, h('div', {}, h('div', { class: 'toolbar' }, tab(name + '.lua'), t ? tab(name + '_test.lua') : ''), host), side),
    h('h2', {}, 'History'), hist);
  if (!host.isConnected) return; // the user moved on meanwhile
  docs = { [name + '.lua']: CodeMirror.Doc(p.source || '', 'lua') };
  if (t) docs[name + '_test.lua'] = CodeMirror.Doc(t.source || '', 'lua');
  for (const d of Object.values(docs)) d.clean = d.getValue();
  editor = CodeMirror(host, { value: docs[name + '.lua'], lineNumbers: true, readOnly: !state.admin, gutters: ['errors', 'CodeMirror-linenumbers'],
    extraKeys: { 'Ctrl-S': () => state.admin && dryRun(name, side, status) } });
  document.body.dataset.editor = state.admin ? 'editable' : 'readonly';
  history(name, hist);
}

// The files edited: {NAME.lua: source} and the test file when it was changed.
function edited(name) {
  const files = { [name + '.lua']: docs[name + '.lua'].getValue() }, test = docs[name + '_test.lua'];
  if (test && test.getValue() !== test.clean) files[name + '_test.lua'] = test.getValue();
  return files;
}

// Marks the line of FILE:LINE in an error (FILE one of the editor's), showing that file; returns the line or 0.
function markError(text) {
  for (const d of Object.values(docs)) {
    d.clearGutter('errors');
    for (let i = 0; i < d.lineCount(); i++) d.removeLineClass(i, 'background', 'cm-error-line');
  }
  for (const [file, d] of Object.entries(docs).reverse()) {
    const m = new RegExp('(^|[/ ])' + file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ':(\\d+):').exec(text || '');
    if (!m) continue;
    const line = Number(m[2]) - 1;
    editor.swapDoc(d);
    d.addLineClass(line, 'background', 'cm-error-line');
    editor.setGutterMarker(line, 'errors', h('span', { class: 'gutter-error', title: text }, '●'));
    editor.scrollIntoView({ line, ch: 0 }, 100);
    return line + 1;
  }
  return 0;
}
function showError(side, text) {
  const line = markError(text);
  side.replaceChildren(h('p', { class: 'error', id: 'edit-error', 'data-line': line }, (line ? 'Line ' + line + ': ' : '') + text));
}
function busy(side, status, what) {
  status.textContent = t(what);
  side.replaceChildren(h('p', { class: 'muted' }, what));
}

async function dryRun(name, side, status) {
  busy(side, status, 'checking…');
  let r = await api('POST', '/policies/dry-run?wait=30', JSON.stringify({ files: edited(name) }));
  while (r.status === 202 || (r.status === 200 && r.data.status === 'running')) {
    await new Promise((ok) => setTimeout(ok, 500));
    r = await api('GET', r.data.href || r.headers.get('Location'));
  }
  status.textContent = '';
  if (r.status >= 300 || r.data.status === 'failed') return showError(side, (r.data.error) || ('HTTP ' + r.status));
  markError('');
  side.replaceChildren(...report(r.data.report));
}

// The dry-run report (docs/api.md "Dry runs"): counts, transitions with examples, verdicts, points, deadlines, failures.
function report(rep) {
  const out = [h('p', { id: 'impact-summary' }, `${rep.changed} of ${rep.records} records would change (${rep.seconds} s)`)];
  const trans = (list, key, id) => table([key, 'from', 'to', 'records', 'example'], list.map((t) => [t[key], String(t.from ?? '—'), String(t.to ?? '—'), num(t.count),
    (t.examples || []).slice(0, 1).map((x) => h('div', {}, h('b', {}, x.type + '/' + x.id), h('div', { class: 'del' }, 'before: ' + x.before), h('div', { class: 'add' }, 'after: ' + x.after)))]), id);
  out.push(h('h3', {}, 'Transitions'), rep.transitions && rep.transitions.length ? trans(rep.transitions, 'field', 'transitions') : h('p', { class: 'muted' }, 'none'));
  if (rep.verdicts && rep.verdicts.length) out.push(h('h3', {}, 'Verdicts'), trans(rep.verdicts, 'policy', 'verdicts'));
  if (rep.points && rep.points.length) out.push(h('h3', {}, 'Points'), table(['subject', 'month', 'before', 'after', 'change'], rep.points.map((p) => [p.subject, p.month, num(p.before), num(p.after), num(p.change)])));
  const dl = rep.deadlines || {};
  if (dl.moved || dl.added || dl.removed) out.push(h('h3', {}, 'Deadlines'), h('p', {}, `moved ${dl.moved}, added ${dl.added}, removed ${dl.removed}`));
  const nf = Array.isArray(rep.failures) ? rep.failures.length : (rep.failures && rep.failures.count) || 0;
  if (nf) out.push(h('h3', { class: 'error' }, 'Failures'), h('pre', {}, JSON.stringify(rep.failures, null, 1)));
  return out;
}

// PUT /policies/NAME (with its message), or PUT /policies with the tests too when they were edited.
async function publish(name, message, side, status) {
  busy(side, status, 'publishing…');
  const files = edited(name);
  const r = Object.keys(files).length > 1
    ? await api('PUT', '/policies', JSON.stringify(message ? { files, message } : { files }))
    : await api('PUT', '/policies/' + enc(name) + (message ? '?message=' + enc(message) : ''), files[name + '.lua']);
  status.textContent = '';
  if (r.status >= 300) return showError(side, r.data.error || ('HTTP ' + r.status));
  markError('');
  for (const d of Object.values(docs)) d.clean = d.getValue();
  side.replaceChildren(h('p', { class: 'ok', id: 'published' }, 'Published: the policies run the new version.'),
    (r.data.warnings || []).length ? h('p', { class: 'muted' }, r.data.warnings.join('; ')) : '');
  history(name, $('history'));
}

// A long text (a refused edit's test report) folded to its first line.
function brief(text) {
  const first = text.split('\n')[0];
  return text.length <= 120 ? text : h('details', {}, h('summary', {}, first.slice(0, 120) + '…'), h('pre', {}, text));
}
async function history(name, box) {
  const v = await get('/policies/' + enc(name) + '/versions');
  const diff = h('pre', { class: 'diff', id: 'diff', hidden: true });
  const rows = v.versions.map((x) => [h('code', {}, x.version), x.at, x.by, x.why, brief(x.message || ''), x.refused ? h('span', { class: 'error' }, 'refused') : x.active ? h('b', {}, 'active') : '',
    h('span', {}, x.refused ? '' : h('button', { onclick: () => showDiff(name, x.version, diff) }, 'diff'),
      state.admin && !x.refused && !x.active ? h('button', { class: 'rollback', onclick: () => rollback(name, x.version) }, 'roll back to this') : '')]);
  box.replaceChildren(table(['version', 'at', 'by', 'why', 'message', '', ''], rows, 'versions'), diff);
}
async function showDiff(name, version, pre) {
  const text = await get(`/policies/${enc(name)}/versions/${version}/diff`);
  pre.hidden = false;
  pre.replaceChildren(...String(text || '(the same source as the active version)').split('\n').map((l) =>
    h('div', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : '' }, l)));
}
async function rollback(name, version) {
  const r = await api('POST', '/policies/' + enc(name) + '/rollback', JSON.stringify({ version }));
  if (r.status >= 300) return $('history').prepend(h('p', { class: 'error', id: 'rollback-error' }, r.data.error || ('HTTP ' + r.status)));
  route(); // the page again, with the version that runs now
}

// Try: a form from the fields the type's policies declare (GET /policies), evaluated by
// POST /console/try/TYPE without storing anything ----------------------------------------------------
function fieldsOf(type) {
  const seen = new Map();
  for (const f of Object.values(state.policies || {})) for (const p of f.policies || []) if (p.type === type) for (const x of p.fields || []) if (!seen.has(x.name)) seen.set(x.name, x);
  return [...seen.values()];
}
function input(f) {
  const id = 'try-' + f.name, members = [...(f.text || '').matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  if (f.type === 'enum' || f.type === 'boolean') {
    const opts = f.type === 'enum' ? members : ['true', 'false'];
    return h('select', { id }, h('option', { value: '' }, '—'), opts.map((o) => h('option', { value: o }, o)));
  }
  const hint = { date: '2026-10-08', datetime: '2026-10-08T09:00:00+08:00', month: '2026-10', table: '{"key": "value"}' }[f.type];
  return h('input', { id, type: f.type === 'number' || f.type === 'integer' ? 'number' : 'text', step: f.type === 'integer' ? 1 : 'any', placeholder: hint || f.text });
}
function valueOf(f, el) {
  const v = el.value.trim();
  if (v === '') return undefined;
  if (f.type === 'number' || f.type === 'integer') return Number(v);
  if (f.type === 'boolean') return v === 'true';
  if (f.type === 'table') return JSON.parse(v);
  return v;
}
async function tryPage() {
  const show = bound();
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const all = types(), type = q.get('type') || all[0];
  const sel = h('select', { id: 'try-type', onchange: () => { location.hash = '#/try?type=' + enc(sel.value); } }, all.map((t) => h('option', { value: t, selected: t === type }, t)));
  const fields = fieldsOf(type), out = h('div', { id: 'try-result' });
  const go = async (ev) => {
    ev.preventDefault();
    const rec = {};
    for (const f of fields) { const v = valueOf(f, $('try-' + f.name)); if (v !== undefined) rec[f.name] = v; }
    const r = await api('POST', '/console/try/' + enc(type), JSON.stringify(rec));
    if (r.status >= 300) return out.replaceChildren(h('p', { class: 'error', id: 'try-error' }, r.data.error || ('HTTP ' + r.status)));
    out.replaceChildren(...outcome(r.data));
  };
  show(h('h1', {}, 'Try'), h('p', { class: 'muted' }, 'Fill in a record: the running policies decide it; nothing is stored.'),
    h('form', { class: 'filters', id: 'try-form', onsubmit: (ev) => go(ev).catch(fail) }, h('label', {}, 'type', sel),
      fields.map((f) => h('label', { title: f.text }, f.name + (f.optional ? '' : ' *') + ' (' + f.text + ')', input(f))),
      h('button', { class: 'primary', id: 'try-go' }, 'Evaluate')), out);
}
// An evaluation (a write's answer): verdicts with explanations, changes, points, deadlines, events.
function outcome(d) {
  const out = [h('h2', {}, 'Decisions'), table(['policy', 'version', 'verdict', 'changes', 'explanation'], d.decisions.map((x) =>
    [x.policy, h('code', {}, x.version), x.verdict || '', Object.entries(x.changes || {}).map(([k, v]) => `${k} → ${JSON.stringify(v)}`).join(', '), x.explanation]), 'try-decisions')];
  if ((d.points || []).length) out.push(h('h2', {}, 'Points'), table(['subject', 'period', 'points', 'why'], d.points.map((p) => [p.subject, p.period || p.month || '', num(p.points ?? p.amount), p.reason || p.why || ''])));
  if ((d.deadlines || []).length) out.push(h('h2', {}, 'Deadlines'), table(['name', 'due', 'policy'], d.deadlines.map((t) => [t.name, t.due, t.policy]), 'try-deadlines'));
  if ((d.events || []).length) out.push(h('h2', {}, 'Events'), table(['kind', 'payload'], d.events.map((e) => [e.kind, JSON.stringify(e.payload || {})])));
  out.push(h('p', { class: 'muted' }, 'Nothing was stored.'));
  return out;
}

// Records ---------------------------------------------------------------------------------------------
function types() {
  const t = new Set();
  for (const f of Object.values(state.policies || {})) for (const p of f.policies || []) t.add(p.type);
  return [...t].sort();
}
async function recordsPage() {
  const show = bound();
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const type = q.get('type') || types()[0];
  const sel = h('select', { id: 'type' }, types().map((t) => h('option', { value: t, selected: t === type }, t)));
  const cond = h('input', { id: 'conditions', size: 40, value: q.get('where') || '', placeholder: 'grade=gold annual_revenue>=1000000' });
  const out = h('div', { id: 'results' });
  const run = (after) => listRecords(sel.value, cond.value, after, out).catch((e) => out.replaceChildren(h('p', { class: 'error' }, e.message)));
  show(h('h1', {}, 'Records'), h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); run(''); } },
    h('label', {}, 'type', sel), h('label', {}, 'conditions (field=value, >=, <=, !=, in(...); blank-separated)', cond), h('button', { class: 'primary', id: 'search' }, 'Search')), out);
  run('');
}
async function listRecords(type, where, after, out) {
  const parts = ['limit=50'];
  for (const c of where.split(/\s+/).filter(Boolean)) {
    const m = /^([\w-]+)(!=|>=|<=|>|<|=)(.*)$/.exec(c);
    if (!m) throw new Error(`"${c}" is not a condition: write field=value, field>=value, ...`);
    parts.push(m[1] + m[2] + enc(m[3]));
  }
  if (after) parts.push('after=' + enc(after));
  const raw = parts.join('&');
  const d = await get('/records/' + enc(type) + '?' + raw);
  const keys = [...new Set(d.records.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'type').slice(0, 8);
  out.replaceChildren(table(keys, d.records.map((r) => keys.map((k) => k === 'id' ? h('a', { href: `#/records/${enc(type)}/${enc(r.id)}` }, r.id) : (typeof r[k] === 'object' ? JSON.stringify(r[k]) : r[k] ?? '')))),
    d.next ? h('button', { id: 'next', onclick: () => listRecords(type, where, d.next, out) }, 'next page') : h('p', { class: 'muted' }, d.records.length ? 'last page' : 'no records'));
}
async function recordPage(type, id) {
  const show = bound();
  const base = `/records/${enc(type)}/${enc(id)}`;
  const [rec, hist, dec, tim] = await Promise.all([get(base), get(base + '/history'), get(base + '/decisions'), get(`/timers?type=${enc(type)}&id=${enc(id)}`)]);
  show(h('h1', {}, `${type} / ${id}`), h('p', { class: 'muted' }, `version ${rec.version}, created ${rec.created}, updated ${rec.updated}`),
    h('h2', {}, 'Fields'), table(['field', 'value'], Object.entries(rec.record).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]), 'fields'),
    h('h2', {}, 'Decisions'), table(['at', 'policy', 'version', 'verdict', 'explanation', 'trigger'], dec.decisions.map((d) => [d.at, d.policy, h('code', {}, d.version), d.verdict || '', d.explanation, d.trigger || '']), 'decisions'),
    h('h2', {}, 'Pending deadlines'), tim.timers.length ? table(['name', 'due', 'state'], tim.timers.map((t) => [t.name, t.due || t.at || '', t.state || ''])) : h('p', { class: 'muted' }, 'none'),
    h('h2', {}, 'History'), h('ol', { class: 'timeline' }, hist.versions.map((v) => h('li', {}, h('b', {}, `version ${v.version} `), v.at || v.updated || '', ' ', h('code', {}, JSON.stringify(v.record || v.fields || v))))));
}

// Work queue: decisions on hold that still stand -------------------------------------------------------
async function queuePage() {
  const show = bound();
  const pol = h('select', { id: 'queue-policy' }, h('option', { value: '' }, 'every policy'),
    Object.values(state.policies || {}).flatMap((f) => (f.policies || []).map((p) => h('option', { value: p.name }, p.name))));
  const age = h('input', { id: 'queue-age', type: 'number', min: 0, size: 4, placeholder: 'days' });
  const out = h('div', { id: 'queue' });
  const query = () => {
    const q = new URLSearchParams({ verdict: 'hold', limit: 100 });
    if (pol.value) q.set('policy', pol.value);
    if (age.value) q.set('until', new Date(Date.now() - age.value * 86400000).toISOString().slice(0, 10));
    return q;
  };
  const run = async (after) => {
    const q = query(); if (after) q.set('after', after);
    const d = await get('/decisions?' + q);
    out.replaceChildren(table(['held since', 'record', 'policy', 'version', 'explanation'], d.decisions.map((x) => [x.at, h('a', { href: `#/records/${enc(x.type)}/${enc(x.id)}` }, `${x.type}/${x.id}`), x.policy, h('code', {}, x.version), x.explanation]), 'queue-table'),
      d.next ? h('button', { onclick: () => run(d.next) }, 'next page') : h('p', { class: 'muted' }, d.decisions.length ? 'last page' : 'nothing on hold'));
  };
  const csv = async () => {
    const q = query(); q.set('format', 'csv');
    const r = await api('GET', '/decisions?' + q);
    const a = h('a', { href: URL.createObjectURL(new Blob([r.data], { type: 'text/csv' })), download: 'work-queue.csv' });
    document.body.append(a); a.click(); a.remove();
  };
  show(h('h1', {}, 'Work queue'), h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); run('').catch(fail); } },
    h('label', {}, 'policy', pol), h('label', {}, 'held more than (days)', age), h('button', { class: 'primary' }, 'Filter'),
    h('button', { type: 'button', id: 'csv', onclick: csv }, 'Export CSV')), out);
  await run('');
}

// Deadlines: the pending ones (GET /timers), overdue first, and a month's calendar -------------------
async function deadlinesPage() {
  const show = bound();
  const d = await get('/timers?limit=1000'), now = Date.now();
  const timers = d.timers.sort((a, b) => a.due_ms - b.due_ms);
  const row = (t) => [h('td', { class: t.due_ms < now ? 'overdue' : '' }, t.due), h('a', { href: `#/records/${enc(t.type)}/${enc(t.id)}` }, `${t.type}/${t.id}`), t.name, t.policy];
  const today = new Date(), y = today.getFullYear(), m = today.getMonth();
  const count = {};
  for (const t of timers) { const k = t.due.slice(0, 10); count[k] = (count[k] || 0) + 1; }
  const first = new Date(y, m, 1), days = new Date(y, m + 1, 0).getDate(), cells = [];
  for (let i = 0; i < (first.getDay() + 6) % 7; i++) cells.push(h('td', {}));
  for (let day = 1; day <= days; day++) {
    const date = new Date(y, m, day), key = `${y}-${String(m + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    const weekend = date.getDay() === 0 || date.getDay() === 6;
    cells.push(h('td', { class: (weekend ? 'weekend ' : '') + (key < today.toISOString().slice(0, 10) && count[key] ? 'overdue' : '') }, h('b', {}, day), count[key] ? h('div', {}, `${count[key]} due`) : ''));
  }
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(h('tr', {}, cells.slice(i, i + 7)));
  show(h('h1', {}, 'Deadlines'),
    h('p', { class: 'muted' }, `${timers.filter((t) => t.due_ms < now).length} overdue, ${timers.filter((t) => t.due_ms >= now).length} upcoming. Due times are counted in working days by the policies (docs/calendar.md); the calendar shades weekends.`),
    h('table', { class: 'calendar', id: 'calendar' }, h('caption', {}, today.toLocaleString('en', { month: 'long', year: 'numeric' })),
      h('tr', {}, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].map((w) => h('th', {}, w))), weeks),
    timers.length ? table(['due', 'record', 'deadline', 'policy'], timers.map(row), 'deadlines') : h('p', { class: 'muted' }, 'no pending deadline'));
}

// Ledger: a person's points month by month over a year (GET /ledger/SUBJECT?month=), with a chart ------
let chart = null;
function loadChart() {
  if (window.Chart) return Promise.resolve();
  return new Promise((ok, no) => document.head.append(h('script', { src: '/console/lib/chart.js', onload: ok, onerror: () => no(new Error('chart.js is not served: install libjs-chart.js (make deps)')) })));
}
async function ledgerPage() {
  const show = bound();
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const subject = h('input', { id: 'ledger-subject', value: q.get('subject') || '', placeholder: 'a person (the subject of the points)', required: true });
  const year = h('input', { id: 'ledger-year', type: 'number', value: q.get('year') || new Date().getFullYear(), min: 2000, max: 2100 });
  const out = h('div', { id: 'ledger' });
  show(h('h1', {}, 'Ledger'), h('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/ledger?subject=${enc(subject.value)}&year=${year.value}`; } },
    h('label', {}, 'subject', subject), h('label', {}, 'year', year), h('button', { class: 'primary', id: 'ledger-go' }, 'Show')), out);
  if (!subject.value) return;
  const months = [...Array(12).keys()].map((i) => `${year.value}-${String(i + 1).padStart(2, '0')}`);
  const [books] = await Promise.all([Promise.all(months.map((m) => get(`/ledger/${enc(subject.value)}?month=${m}`))), loadChart()]);
  const canvas = h('canvas', { id: 'ledger-chart', height: 90 });
  const entries = books.flatMap((b) => b.entries.map((e) => [b.period, num(e.points), e.policy, e.reason, e.at]));
  out.replaceChildren(h('p', { id: 'ledger-total' }, `${subject.value}: ${books.reduce((a, b) => a + b.total, 0)} points in ${year.value}`), h('div', { class: 'chart' }, canvas),
    entries.length ? table(['month', 'points', 'policy', 'why', 'at'], entries, 'ledger-entries') : h('p', { class: 'muted' }, 'no points this year'));
  if (chart) chart.destroy();
  chart = new Chart(canvas, { type: 'bar', data: { labels: months, datasets: [{ label: 'points', data: books.map((b) => b.total), backgroundColor: books.map((b) => b.total < 0 ? '#c44' : '#2a7') }] },
    options: { animation: false, plugins: { legend: { display: false } } } });
}

// Events: live, by long polls on GET /events while the page is open --------------------------------------
async function eventsPage() {
  const show = bound();
  const list = h('tbody', {});
  show(h('h1', {}, 'Events'), h('p', { class: 'muted' }, 'Live: the newest first, as policies emit them.'),
    h('table', { id: 'events' }, h('thead', {}, h('tr', {}, ['#', 'at', 'kind', 'record', 'policy', 'payload'].map((t) => h('th', {}, t)))), list));
  const here = location.hash;
  let after = 0;
  const add = (evs) => {
    for (const e of evs) list.prepend(h('tr', {}, [e.seq, e.at, e.kind, h('a', { href: `#/records/${enc(e.type)}/${enc(e.id)}` }, `${e.type}/${e.id}`), e.policy, JSON.stringify(e.payload)].map((c) => h('td', {}, c))));
    while (list.children.length > 200) list.lastChild.remove();
  };
  for (;;) { // catch up without waiting, then wait for new ones
    const d = await get(`/events?after=${after}&limit=1000`);
    add(d.events); after = d.next;
    if (d.events.length < 1000) break;
  }
  while (location.hash === here) {
    const r = await api('GET', `/events?after=${after}&wait=25`);
    if (location.hash !== here) break;
    if (r.status !== 200) { await new Promise((ok) => setTimeout(ok, 5000)); continue; }
    add(r.data.events); after = r.data.next;
  }
}

start().catch(fail);
