// Record sections: summary, loan details (summary and schedule), statement, promises, attachments.
import { post } from '../lib/api.js';
import { fill, h, table, toast } from '../lib/dom.js';
import { date, dateTime, humanise, money } from '../lib/format.js';
import { repaidBar } from '../lib/charts.js';
import { dispositionText } from './history.js';

const KIND_LABELS = { mpesa_deposit: 'M-Pesa deposit', disbursement: 'Disbursement', loan_fee: 'Loan fee',
  repayment: 'Repayment', penalty: 'Penalty', interest: 'Interest', reversal: 'Reversal' };

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value ?? '—')];
}

function summary(box, r, ctx) {
  const s = r.summary;
  const last = s.last_interaction;
  box.append(h('h3', {}, 'Summary'), h('dl', { class: 'facts' },
    fact('Overdue amount', money(s.overdue_amount)),
    fact('Days past due', String(s.days_past_due)),
    fact('Total balance', money(s.total_balance)),
    fact('Open promise', s.open_promise ? `${money(s.open_promise.amount)} due ${date(s.open_promise.due_date)}` : 'None'),
    fact('Last interaction', last ? `${dateTime(last.at)} by ${last.operator || '—'}: ${
      dispositionText(ctx, last.disposition) || last.channel}` : 'None'),
    fact('Open tasks', String(r.tasks.length)),
    fact('Do not call', r.do_not_call ? 'Yes' : 'No'),
  ));
}

function loans(box, r) {
  box.append(h('h3', {}, 'Loan details'));
  if (!r.loans.length) box.append(h('p', { class: 'muted' }, 'No loans.'));
  for (const loan of r.loans) {
    const repaid = Number(loan.applied_amount) + Number(loan.interest_amount) - Number(loan.balance);
    box.append(h('article', { class: 'loan' },
      h('h4', {}, `${humanise(loan.product)} · ${loan.external_ref}`, ' ', h('span', { class: 'tag' }, humanise(loan.status))),
      h('dl', { class: 'facts cols' },
        fact('Loan balance', money(loan.balance)), fact('Applied amount', money(loan.applied_amount)),
        fact('Interest amount', money(loan.interest_amount)), fact('Loan type', humanise(loan.product)),
        fact('Start date', date(loan.start_date)), fact('End date', date(loan.end_date)),
        fact('Days past due', String(loan.days_past_due)), fact('Overdue', money(loan.overdue_amount))),
      repaidBar(repaid, Number(loan.applied_amount) + Number(loan.interest_amount)),
      h('h5', {}, 'Loan schedule'),
      table([
        { label: '#', value: (i) => String(i.number) },
        { label: 'Due date', value: (i) => date(i.due_date) },
        { label: 'Principal', value: (i) => money(i.principal), class: 'num' },
        { label: 'Interest', value: (i) => money(i.interest), class: 'num' },
        { label: 'Total', value: (i) => money(i.total), class: 'num' },
        { label: 'Paid', value: (i) => money(i.paid_amount), class: 'num' },
      ], loan.schedule, { empty: 'No schedule.' })));
  }
}

function statement(box, r) {
  const sum = (pred) => r.statement.filter(pred).reduce((a, t) => a + Number(t.amount), 0);
  box.append(h('h3', {}, 'Customer statement'), h('dl', { class: 'facts cols' },
    fact('Credits', money(sum((t) => t.direction === 'credit'))),
    fact('Debits', money(sum((t) => t.direction === 'debit'))),
    fact('M-Pesa deposits', money(sum((t) => t.kind === 'mpesa_deposit'))),
    fact('Disbursements', money(sum((t) => t.kind === 'disbursement'))),
    fact('Loan fees', money(sum((t) => t.kind === 'loan_fee')))),
  table([
    { label: 'Date', value: (t) => dateTime(t.posted_at) },
    { label: 'Type', value: (t) => KIND_LABELS[t.kind] || t.kind },
    { label: 'Receipt', value: (t) => t.receipt_code || t.external_ref },
    { label: 'Credit', value: (t) => (t.direction === 'credit' ? money(t.amount) : ''), class: 'num' },
    { label: 'Debit', value: (t) => (t.direction === 'debit' ? money(t.amount) : ''), class: 'num' },
    { label: 'Balance', value: (t) => money(t.running_balance), class: 'num' },
  ], r.statement, { empty: 'No transactions.' }));
}

function promises(box, r) {
  box.append(h('h3', {}, 'Promises to pay'), table([
    { label: 'Amount', value: (p) => money(p.amount), class: 'num' },
    { label: 'Due', value: (p) => date(p.due_date) },
    { label: 'Status', value: (p) => h('span', { class: `tag ${p.status}` }, humanise(p.status)) },
    { label: 'Paid', value: (p) => money(p.paid_amount), class: 'num' },
    { label: 'Assignee', value: (p) => p.assignee || '—' },
    { label: 'Notes', value: (p) => p.notes || '' },
  ], r.promises, { empty: 'No promises to pay.' }));
}

function attachments(box, r, ctx) {
  const list = h('div');
  const draw = (items) => fill(list, table([
    { label: 'File', value: (a) => h('a', { href: a.url, download: a.filename }, a.filename) },
    { label: 'Kind', value: (a) => (a.kind === 'payment_confirmation' ? 'Payment confirmation' : 'Document') },
    { label: 'Size', value: (a) => `${Math.ceil(a.size_bytes / 1024)} KB`, class: 'num' },
    { label: 'By', value: (a) => a.uploaded_by || '—' },
    { label: 'When', value: (a) => dateTime(a.created_at) },
  ], items, { empty: 'No attachments.' }));
  draw(r.attachments);
  const form = h('form', { class: 'row', id: 'attach-form' },
    h('label', { for: 'attach-file' }, 'File'), h('input', { type: 'file', id: 'attach-file', name: 'file', required: true }),
    h('label', { for: 'attach-kind' }, 'Kind'),
    h('select', { id: 'attach-kind', name: 'kind' }, h('option', { value: 'document' }, 'Document'),
      h('option', { value: 'payment_confirmation' }, 'Payment confirmation')),
    h('button', { type: 'submit' }, 'Upload'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!form.file.files.length) return;
    const data = new FormData(form);
    try {
      const saved = await post(`/api/customers/${r.id}/attachments`, undefined, { form: data });
      r.attachments.unshift(saved);
      draw(r.attachments);
      form.reset();
      toast('Attachment saved.');
    } catch (err) {
      toast(`The file was not saved. ${err.message}`, 'error');
    }
  });
  box.append(h('h3', {}, 'Attachments'), list, form);
  void ctx;
}

export const SECTIONS = [
  { key: 'summary', title: 'Summary', render: summary },
  { key: 'loans', title: 'Loan details', render: loans },
  { key: 'statement', title: 'Statement', render: statement },
  { key: 'promises', title: 'Promises', render: promises },
  { key: 'attachments', title: 'Attachments', render: attachments },
];
