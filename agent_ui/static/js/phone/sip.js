// The desk's SIP phone: JsSIP (bundled from npm into /static/vendor) over the PBX's WebSocket, with
// a per-session secret the server hands out at sign-in. Emits 'state' (connecting, registered,
// no-microphone, failed + reason), 'incoming', 'call' (ringing, answered, held, ended ...) events.
import JsSIP from '/static/vendor/jssip.js';

const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const RAW_AUDIO = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
const RETRY_MS = 1000;
const RETRIES = 6; // the PBX may still be reloading the new secret when the first REGISTER arrives

const loopbackOnly = (sdp) => sdp.split('\r\n')
  .filter((line) => !line.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(line)).join('\r\n');

export class SipPhone extends EventTarget {
  constructor(creds) {
    super();
    this.creds = creds;
    this.audio = creds.audio_processing === false ? RAW_AUDIO : AUDIO;
    this.state = 'connecting';
    this.reason = '';
    this.session = null;
    this.remoteStream = null;
    this.events = []; // {t, type, ...}: what happened, with performance.now() times (benches, tests)
    this.retries = 0;
    this.held = false;
    this.muted = false;
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

  async checkMicrophone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.setState('no-microphone', 'This browser cannot use a microphone (it needs HTTPS or localhost).');
      return false;
    }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: this.audio, video: false });
      stream.getTracks().forEach((t) => t.stop());
      return true;
    } catch (err) {
      this.setState('no-microphone', `No microphone: ${err.message || err.name}. Allow it and reload the page.`);
      return false;
    }
  }

  async start() {
    if (!(await this.checkMicrophone())) return this;
    const c = this.creds;
    const socket = new JsSIP.WebSocketInterface(c.ws_url);
    this.ua = new JsSIP.UA({
      sockets: [socket], uri: c.sip_uri, authorization_user: c.username, password: c.secret, realm: c.realm,
      display_name: c.display_name, register: true, register_expires: c.register_expires,
      session_timers: false, user_agent: 'Switchboard desk (JsSIP)',
    });
    this.ua.on('connecting', () => { if (this.state !== 'registered') this.setState('connecting'); });
    this.ua.on('disconnected', () => this.setState('connecting', 'The link to the phone server dropped; reconnecting.'));
    this.ua.on('registered', () => { this.retries = 0; this.setState('registered'); });
    this.ua.on('unregistered', () => { if (this.state === 'registered') this.setState('failed', 'Unregistered.'); });
    this.ua.on('registrationFailed', (e) => this.registrationFailed(e));
    this.ua.on('newRTCSession', ({ session, originator }) => {
      if (originator === 'remote') this.incoming(session);
    });
    this.setState('connecting');
    this.ua.start();
    return this;
  }

  registrationFailed(e) {
    const code = e.response ? e.response.status_code : null;
    if (this.retries < RETRIES && (code === 401 || code === 403 || !code)) {
      this.retries += 1;
      this.setState('connecting', 'Waiting for the phone server to accept this session.');
      setTimeout(() => this.ua && this.ua.register(), RETRY_MS);
      return;
    }
    this.setState('failed', code ? `The phone server refused (${code} ${e.cause}).` : `Registration failed: ${e.cause}.`);
  }

  incoming(session) {
    if (this.session && !this.session.isEnded()) {
      session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    this.session = session;
    this.held = false;
    this.muted = false;
    const from = session.remote_identity;
    session.on('peerconnection', () => this.attach(session));
    session.on('sdp', (e) => { if (e.originator === 'local' && this.creds.loopback_ice) e.sdp = loopbackOnly(e.sdp); });
    session.on('icecandidate', (e) => this.iceCandidate(e));
    session.on('accepted', () => this.emitCall('answered'));
    session.on('confirmed', () => this.log('confirmed'));
    session.on('hold', () => { this.held = true; this.emitCall('held'); });
    session.on('unhold', () => { this.held = false; this.emitCall('resumed'); });
    session.on('ended', (e) => this.ended(e.cause));
    session.on('failed', (e) => this.ended(e.cause));
    this.emitCall('ringing', { from: from.uri.user, name: from.display_name || '' });
  }

  iceCandidate(e) {
    const cand = e.candidate;
    if (!this.creds.early_ice || !cand) return;
    const relayed = ['srflx', 'relay'].includes(cand.type);
    const usable = this.creds.ice_servers.length ? relayed
      : cand.protocol === 'udp' && (!this.creds.loopback_ice || cand.address === '127.0.0.1');
    if (usable) e.ready();
  }

  attach(session) {
    session.connection.addEventListener('track', (ev) => {
      this.remoteStream = ev.streams[0] || new MediaStream([ev.track]);
      const el = document.getElementById('phone-audio');
      if (el) {
        el.srcObject = this.remoteStream;
        el.play().catch(() => {});
      }
      this.log('remote-track');
    });
  }

  ended(cause) {
    this.held = false;
    this.muted = false;
    this.emitCall('ended', { cause: cause || '' });
  }

  get ringing() {
    return Boolean(this.session && !this.session.isEnded() && !this.session.isEstablished()
      && this.session.direction === 'incoming');
  }

  get onCall() {
    return Boolean(this.session && this.session.isEstablished() && !this.session.isEnded());
  }

  answer() {
    if (!this.ringing) return false;
    this.log('answer-click');
    const iceServers = this.creds.ice_servers.map((url) => ({ urls: url }));
    this.session.answer({ mediaConstraints: { audio: this.audio, video: false },
      pcConfig: { iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' } });
    return true;
  }

  hangup() {
    if (this.session && !this.session.isEnded()) this.session.terminate();
  }

  hold(on) {
    if (!this.onCall) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => resolve(true);
      const ok = on ? this.session.hold({}, done) : this.session.unhold({}, done);
      if (!ok) resolve(false);
    });
  }

  mute(on) {
    if (!this.onCall) return false;
    if (on) this.session.mute({ audio: true }); else this.session.unmute({ audio: true });
    this.muted = on;
    this.emitCall(on ? 'muted' : 'unmuted');
    return true;
  }

  dtmf(digit) {
    if (!this.onCall) return false;
    this.session.sendDTMF(digit, { transportType: 'RFC2833', duration: 160, interToneGap: 80 });
    this.log('dtmf', { digit });
    return true;
  }

  async stats() {
    const pc = this.session && this.session.connection;
    if (!pc) return null;
    const out = { inbound: null, outbound: null, receivers: pc.getReceivers().length };
    const report = await pc.getStats();
    report.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') {
        out.inbound = { packetsReceived: r.packetsReceived, totalAudioEnergy: r.totalAudioEnergy };
      }
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound = { packetsSent: r.packetsSent };
    });
    return out;
  }

  stop() {
    if (this.ua) this.ua.stop();
  }
}
