// ua-parser-js 1.0.x ships no types; this is the part the evaluator uses.
declare module 'ua-parser-js' {
  interface UAResult {
    browser: { name?: string; version?: string };
    os: { name?: string; version?: string };
    device: { type?: string };
  }
  export class UAParser {
    constructor(agent?: string);
    getResult(): UAResult;
  }
}
