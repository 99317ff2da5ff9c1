// The desk's phone for Twilio agents (extension client:<name>): Twilio's Voice SDK (bundled from npm,
// loaded only for them) with an access token from /api/phone/session, refreshed before it expires.
// The same interface as SipPhone; hold and transfers are not offered on Twilio calls.
import { post } from '../lib/api.js';

export class TwilioPhone extends EventTarget {
  constructor(creds) {
    super();
    this.creds = creds;
    this.state = 'connecting';
    this.reason = '';
    this.call = null;
    this.events = [];
    this.muted = false;
    this.held = false;
    this.canHold = false;
  }

  log(type, detail = {}) {
    this.events.push({ t: performance.timeOrigin + performance.now(), type, ...detail });
    if (this.events.length > 500) this.events.shift();
  }

  setState(state, reason = '') {
    this.state = state;
    this.reason = reason;
    this.log(`state-${state}`, { reason });
    this.dispatchEvent(new CustomEvent('state', { detail: { state, reason } }));
  }

  emitCall(phase, extra = {}) {
    this.log(`call-${phase}`, extra);
    this.dispatchEvent(new CustomEvent('call', { detail: { phase, ...extra } }));
  }

  async start() {
    let Device;
    try {
      ({ Device } = await import('/static/vendor/twilio-voice.js'));
    } catch (err) {
      this.setState('failed', `The Twilio phone could not load: ${err.message}`);
      return this;
    }
    this.device = new Device(this.creds.token, { closeProtection: true, tokenRefreshMs: 60000 });
    this.device.on('registering', () => this.setState('connecting'));
    this.device.on('registered', () => this.setState('registered'));
    this.device.on('unregistered', () => this.setState('failed', 'Unregistered.'));
    this.device.on('error', (err) => this.setState('failed', err.message || String(err)));
    this.device.on('tokenWillExpire', () => this.refresh());
    this.device.on('incoming', (call) => this.incoming(call));
    await this.device.register();
    return this;
  }

  async refresh() {
    try {
      const fresh = await post('/api/phone/session');
      this.creds = fresh;
      this.device.updateToken(fresh.token);
      this.log('token-refreshed');
    } catch (err) {
      this.setState('failed', `Could not renew the phone's access: ${err.message}`);
    }
  }

  incoming(call) {
    if (this.call) {
      call.reject();
      return;
    }
    this.call = call;
    call.on('accept', () => this.emitCall('answered'));
    call.on('disconnect', () => this.ended());
    call.on('cancel', () => this.ended());
    call.on('reject', () => this.ended());
    this.emitCall('ringing', { from: call.parameters.From || '', name: '' });
  }

  ended() {
    this.call = null;
    this.muted = false;
    this.emitCall('ended', { cause: '' });
  }

  get ringing() {
    return Boolean(this.call && this.call.status() === 'pending');
  }

  get onCall() {
    return Boolean(this.call && this.call.status() === 'open');
  }

  answer() {
    if (!this.ringing) return false;
    this.call.accept();
    return true;
  }

  hangup() {
    if (this.call) this.call.disconnect();
  }

  async hold() {
    return false;
  }

  mute(on) {
    if (!this.onCall) return false;
    this.call.mute(on);
    this.muted = on;
    this.emitCall(on ? 'muted' : 'unmuted');
    return true;
  }

  dtmf(digit) {
    if (!this.onCall) return false;
    this.call.sendDigits(digit);
    return true;
  }

  async stats() {
    return null;
  }

  stop() {
    if (this.device) this.device.destroy();
  }
}
