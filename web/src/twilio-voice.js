// Twilio's Voice SDK as one ES module, loaded only by agents whose extension is `client:<name>`.
export { Call, Device } from '@twilio/voice-sdk';
