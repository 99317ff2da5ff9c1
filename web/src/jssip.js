// JsSIP (CommonJS on npm) as one ES module for the desk: `import JsSIP from '/static/vendor/jssip.js'`.
import JsSIP from 'jssip';

export default JsSIP;
