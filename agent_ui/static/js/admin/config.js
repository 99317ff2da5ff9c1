// Configuration with history: pick a list, edit it with its form (dispositions, reasons and
// scripts, templates, pause codes) or as YAML (the rest), save it as a new version with a comment;
// the versions with who, when and why, the changes between any two, and a restore.
import { get, post, qs } from '../lib/api.js';
import { $, fill, h, setOptions, showErrors, toast } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { dispositionsForm } from './dispositions_form.js';
import { errorLines, markErrors } from './kit.js';
import { pauseForm } from './pause_form.js';
import { reasonsForm } from './reasons_form.js';
import { templatesForm } from './templates_form.js';
import { yamlEditor } from './yaml_editor.js';

const LISTS = [
  ['dispositions', 'Dispositions (3-layer tree)', dispositionsForm], ['reasons', 'Reasons for calling and scripts', reasonsForm],
  ['templates', 'Message templates', templatesForm], ['pause_codes', 'Pause codes', pauseForm],
  ['followup', 'Follow-up note fields (YAML)'], ['notes', 'Customer note lists (YAML)'],
  ['dialer', 'Dialer rules, escalation rules and campaigns (YAML)'], ['ivr', 'IVR menu for customers (YAML)'],
  ['scorecards', 'QA scorecards and the calls to score (YAML)'],
  ['compliance', 'Compliance pack overrides (YAML)'],
];

export async function initConfig() {
  const name = $('#list-name');
  const kind = $('#list-editor');
  const box = $('#config-editor');
  const errors = $('#config-error');
  const versions = $('#config-versions');
  const diffBox = $('#config-diff');
  setOptions(name, LISTS.map(([code, label]) => ({ code, label })));
  let editor = null;
  let current = null;

  const formOf = () => (LISTS.find(([code]) => code === name.value) || [])[2];

  async function drawVersions() {
    const found = await get(`/api/config/lists/${name.value}/versions`);
    current = found.current;
    $('#list-version').textContent = `version ${current} in force`;
    const options = found.items.map((v) => ({ code: String(v.version), label: `version ${v.version}` }));
    setOptions($('#diff-from'), options, { value: String(Math.max(1, current - 1)) });
    setOptions($('#diff-to'), options, { value: String(current) });
    fill(versions, ...found.items.map((v) => h('li', { dataset: { version: v.version }, 'aria-current': v.version === current ? 'true' : 'false' },
      h('div', {}, h('strong', {}, `Version ${v.version}`), ` · ${dateTime(v.created_at)} · ${v.author || 'shipped'}`),
      h('div', { class: 'muted' }, v.comment || '(no comment)', v.restored_from ? ` · restores version ${v.restored_from}` : ''),
      v.version === current ? h('span', { class: 'tag' }, 'in force') : h('button', { type: 'button', class: 'link',
        onclick: () => restore(v.version) }, `Restore version ${v.version}`))));
  }

  let shown = '';
  async function load({ again = false } = {}) {
    const form = formOf();
    kind.disabled = !form;
    if (!form) kind.value = 'yaml';
    const wanted = `${name.value}:${kind.value}`;
    if (wanted === shown && !again) return; // the same editor (a select that fired without a change)
    shown = wanted;
    box.dataset.state = 'loading';
    showErrors(errors, []);
    diffBox.hidden = true;
    await drawVersions();
    const version = await get(`/api/config/lists/${name.value}/versions/${current}`);
    const lists = await get('/api/config/lists');
    editor = kind.value === 'form' && form ? form(version, lists) : yamlEditor(version);
    fill(box, editor.element);
    box.dataset.list = name.value;
    box.dataset.version = String(current);
    box.dataset.state = 'ready';
  }

  async function save() {
    if (!editor) return;
    const body = { ...editor.value(), comment: $('#config-comment').value, base_version: current };
    try {
      const saved = await post(`/api/config/lists/${name.value}/versions`, body);
      $('#config-comment').value = '';
      toast(`Saved: ${name.value} version ${saved.version}. Desktops use it within seconds.`);
      await load({ again: true });
    } catch (err) {
      const details = err.details || {};
      const marked = editor.showErrors ? editor.showErrors(details) : false;
      markErrors(box, details);
      showErrors(errors, [err.message, ...(marked ? [] : errorLines(details))]);
    }
  }

  async function restore(version) {
    try {
      const saved = await post(`/api/config/lists/${name.value}/versions/${version}/restore`,
        { comment: $('#config-comment').value });
      toast(`Version ${version} restored as version ${saved.version}.`);
      await load({ again: true });
    } catch (err) {
      showErrors(errors, [err.message, ...errorLines(err.details)]);
    }
  }

  $('#diff-show').addEventListener('click', async () => {
    const found = await get(`/api/config/lists/${name.value}/diff${qs({ from: $('#diff-from').value, to: $('#diff-to').value })}`);
    diffBox.hidden = false;
    fill(diffBox, ...(found.lines.length ? found.lines.map((line) => h('span', {
      class: line.startsWith('@@') ? 'hunk' : line.startsWith('+') && !line.startsWith('+++') ? 'add'
        : line.startsWith('-') && !line.startsWith('---') ? 'del' : '' }, `${line}\n`)) : ['No differences.']));
  });
  name.addEventListener('change', () => { if (formOf()) kind.value = 'form'; load(); });
  kind.addEventListener('change', load);
  $('#config-save').addEventListener('click', save);
  await load();
}
