// The editable config lists (dispositions, follow-up fields, notes, reasons, pause codes,
// templates), loaded once per page, with the lookups the forms need.
import { get } from './api.js';

let cached = null;

export async function loadLists() {
  if (!cached) cached = await get('/api/config/lists');
  return cached;
}

// What a new note may choose: retired nodes stay in the lists (old notes show their labels) but
// are not offered.
export function active(items) {
  return (items || []).filter((i) => !i.retired);
}

export function statuses(lists) {
  return active(lists.dispositions.statuses);
}

export function reasonsOf(lists, status) {
  const node = statuses(lists).find((s) => s.code === status);
  return node ? active(node.reasons) : [];
}

export function resolutionsOf(lists, status, reason) {
  const node = reasonsOf(lists, status).find((r) => r.code === reason);
  return node ? active(node.resolutions) : [];
}

// The fields the chosen path requires (status, reason and resolution together).
export function requiredFields(lists, status, reason, resolution) {
  const out = new Set();
  const s = statuses(lists).find((x) => x.code === status);
  const r = s ? s.reasons.find((x) => x.code === reason) : null;
  const z = r ? r.resolutions.find((x) => x.code === resolution) : null;
  for (const node of [s, r, z]) for (const f of (node && node.requires) || []) out.add(f);
  return out;
}

export function callReasons(lists, direction) {
  return active(lists.reasons.reasons).filter((r) => r.kind === 'both' || r.kind === direction);
}

export function templates(lists, channel) {
  return lists.templates.templates.filter((t) => t.channel === channel);
}

export function statusActions(lists, callStatus) {
  const node = lists.followup.call_statuses.find((s) => s.code === callStatus);
  return node ? node.actions : [];
}

export function partyResponses(lists, callStatus, action) {
  const node = statusActions(lists, callStatus).find((a) => a.code === action);
  const allowed = node && node.party_responses ? node.party_responses : [];
  return lists.followup.party_responses.filter((p) => allowed.includes(p.code));
}
