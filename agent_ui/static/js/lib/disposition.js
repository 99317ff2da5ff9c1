// A saved disposition's codes as the labels of the tree in force (retired nodes keep their label).
export function dispositionLabel(lists, d) {
  if (!d || !d.status) return '';
  const s = lists.dispositions.statuses.find((x) => x.code === d.status);
  const r = s && s.reasons.find((x) => x.code === d.reason);
  const z = r && r.resolutions.find((x) => x.code === d.resolution);
  return [s ? s.label : d.status, r ? r.label : d.reason, z ? z.label : d.resolution].filter(Boolean).join(' → ');
}
