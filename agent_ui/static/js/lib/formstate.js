// Keeps what was typed in a form (sessionStorage, per tab) so that a lost connection, a pop or a
// reload never loses it. restore() puts the values back; clear() after a successful save.
export class FormMemory {
  constructor(form, key) {
    this.form = form;
    this.key = key;
    this.onInput = () => this.save();
    form.addEventListener('input', this.onInput);
    form.addEventListener('change', this.onInput);
  }

  setKey(key) {
    this.key = key;
  }

  fields() {
    return Array.from(this.form.elements).filter((el) => el.name && el.type !== 'submit' && el.type !== 'button');
  }

  save() {
    if (!this.key) return;
    const data = {};
    for (const el of this.fields()) {
      if (el.type === 'checkbox') data[el.name] = el.checked;
      else if (el.type === 'radio') {
        if (el.checked) data[el.name] = el.value;
      } else data[el.name] = el.value;
    }
    sessionStorage.setItem(this.key, JSON.stringify(data));
  }

  // Restores in document order and fires 'change' so dependent drop-downs fill before their children.
  restore() {
    if (!this.key) return false;
    let data;
    try {
      data = JSON.parse(sessionStorage.getItem(this.key) || 'null');
    } catch {
      data = null;
    }
    if (!data) return false;
    for (const el of this.fields()) {
      if (!(el.name in data)) continue;
      if (el.type === 'checkbox') el.checked = Boolean(data[el.name]);
      else if (el.type === 'radio') el.checked = data[el.name] === el.value;
      else el.value = data[el.name];
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }
    this.save();
    return true;
  }

  clear() {
    if (this.key) sessionStorage.removeItem(this.key);
  }
}
