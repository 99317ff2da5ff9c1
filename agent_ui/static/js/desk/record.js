// The customer record (seed 000): header, quick actions, the record's sections and the follow-up
// notes form. ctx.openCustomer(id) loads it; an agent gets the API's 404 for a customer who is
// not theirs, shown as "not found", with nothing of the record on screen.
import { ApiError, get } from '../lib/api.js';
import { $, fill, h } from '../lib/dom.js';
import { clockIn, label, zone } from '../lib/format.js';
import { SECTIONS } from './record_sections.js';
import { renderHistory } from './history.js';
import { renderContacts } from './contacts.js';
import { initNotes } from './notes.js';
import { initQuick } from './quick.js';
import { initConversation, renderConversation } from './conversation.js';

const CUSTOMER_KEY = 'sb.desk.customer';
const SUBTAB_KEY = 'sb.desk.subtab';
const ALL = [...SECTIONS, { key: 'contacts', title: 'Alternative contacts', render: renderContacts },
  { key: 'history', title: 'Interaction history', render: renderHistory },
  { key: 'messages', title: 'Messages', render: renderConversation }];
const ORDER = ['summary', 'loans', 'statement', 'contacts', 'history', 'messages', 'promises', 'attachments'];

export function initRecord(ctx) {
  const tabs = $('#record-tabs');
  const sections = $('#record-sections');
  let current = null;
  const notes = initNotes(ctx);
  initQuick(ctx);
  initConversation(ctx);

  function showSection(key) {
    for (const b of tabs.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.section === key));
    for (const s of sections.children) s.hidden = s.dataset.section !== key;
    sessionStorage.setItem(SUBTAB_KEY, key);
  }

  function renderAll(record) {
    const parts = ORDER.map((key) => ALL.find((s) => s.key === key));
    fill(tabs, ...parts.map((p) => h('button', { type: 'button', role: 'tab', dataset: { section: p.key },
      id: `rtab-${p.key}`, onclick: () => showSection(p.key) }, p.title)));
    fill(sections, ...parts.map((p) => {
      const box = h('section', { class: 'record-section', role: 'tabpanel', dataset: { section: p.key },
        id: `section-${p.key}`, 'aria-labelledby': `rtab-${p.key}` });
      p.render(box, record, ctx);
      return box;
    }));
    // A link to one note (/customers/7#note-42, from the call log or note search) opens the history at it.
    const linked = /^#note-\d+$/.test(location.hash) ? document.getElementById(location.hash.slice(1)) : null;
    showSection(linked ? 'history' : sessionStorage.getItem(SUBTAB_KEY) || 'summary');
    if (linked) {
      linked.classList.add('linked');
      linked.scrollIntoView({ block: 'center' });
    }
  }

  function renderHead(record) {
    $('#record-name').textContent = record.name;
    const ids = [
      record.client_id && `Client ID ${record.client_id}`,
      record.government_id && `ID ${record.government_id}`,
      record.phones.length && `Phone ${record.phones.join(', ')}`,
      record.serial_numbers.length && `Serial ${record.serial_numbers.join(', ')}`,
      record.status && `Status: ${label(ctx.lists.followup.client_statuses, record.status)}`,
      record.assigned_agent && `Agent ${record.assigned_agent}`,
      record.access === 'call' && 'Opened for this call',
      record.access === 'task' && 'Opened for a follow-up task assigned to you',
    ].filter(Boolean);
    $('#record-ids').textContent = ids.join(' · ');
    $('#record-clock').textContent = record.timezone
      ? `Customer's local time ${clockIn(record.timezone)} (${record.timezone}) · yours ${clockIn(zone())}` : '';
  }

  async function open(id, options = {}) {
    const { switchTab = true } = options;
    if (switchTab) ctx.showTab('record');
    const error = $('#record-error');
    error.hidden = true;
    let record;
    try {
      if (!/^[1-9]\d{0,9}$/.test(String(id))) throw new ApiError(404, null);  // "/customers/abc" typed by hand
      record = await get(`/api/customers/${id}`);
    } catch (err) {
      current = null;
      ctx.customer = null;
      $('#record').hidden = true;
      $('#record-empty').hidden = true;
      sessionStorage.removeItem(CUSTOMER_KEY);
      error.textContent = err.status === 404
        ? `No customer ${id} was found among the customers you may open.`  // the page passes at most 40 characters
        : `The record could not be loaded: ${err.message}`;
      error.hidden = false;
      return null;
    }
    current = record;
    ctx.customer = record;
    sessionStorage.setItem(CUSTOMER_KEY, String(record.id));
    if (location.pathname !== `/customers/${record.id}`) history.replaceState(null, '', `/customers/${record.id}`);
    $('#record-empty').hidden = true;
    $('#record').hidden = false;
    $('#record').dataset.customerId = String(record.id);
    renderHead(record);
    renderAll(record);
    notes.attach(record, options.callId || ctx.activeCallId());
    return record;
  }

  ctx.openCustomer = open;
  ctx.reloadCustomer = async (section = null) => {
    if (!current) return null;
    if (section) sessionStorage.setItem(SUBTAB_KEY, section);
    return open(current.id, { switchTab: false });
  };
}
