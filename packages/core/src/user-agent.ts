import { UAParser } from 'ua-parser-js';

/**
 * `ua_based` fields parsed with ua-parser-js 1.0.41, the version statsig-node 6.5.2 resolves,
 * with statsig-node's two adjustments: "Mac OS" reads "Mac OS X", and Chrome or Firefox on a
 * phone or tablet get " Mobile" appended.
 */

interface ParsedAgent {
  osName: string | null;
  osVersion: string | null;
  browserName: string | null;
  browserVersion: string | null;
}

const MAX_USER_AGENT_LENGTH = 1000;

// Servers see the same agent many times in a row (one user, many checks); remember the last.
let lastAgent: string | undefined;
let lastParsed: ParsedAgent | undefined;

function parse(agent: string): ParsedAgent {
  if (agent === lastAgent && lastParsed) return lastParsed;
  const result = new UAParser(agent).getResult();
  let browserName = result.browser.name ?? null;
  if (
    (browserName === 'Chrome' || browserName === 'Firefox') &&
    (result.device.type === 'mobile' || result.device.type === 'tablet')
  ) {
    browserName += ' Mobile';
  }
  const osName = result.os.name === 'Mac OS' ? 'Mac OS X' : (result.os.name ?? null);
  lastParsed = {
    osName,
    osVersion: result.os.version ?? null,
    browserName,
    browserVersion: result.browser.version ?? null,
  };
  lastAgent = agent;
  return lastParsed;
}

type AgentField = keyof ParsedAgent;

const FIELD_ALIASES: Record<string, AgentField> = {
  os_name: 'osName',
  osname: 'osName',
  os_version: 'osVersion',
  osversion: 'osVersion',
  browser_name: 'browserName',
  browsername: 'browserName',
  browser_version: 'browserVersion',
  browserversion: 'browserVersion',
};

/** Returns a reader of one user-agent field, or null when the field name is not one Statsig parses. */
export function createUserAgentFieldReader(field: unknown): ((agent: unknown) => string | null) | null {
  if (field == null) return null;
  const key = FIELD_ALIASES[String(field).toLowerCase()];
  if (!key) return null;
  return (agent) => {
    if (typeof agent !== 'string' || agent.length > MAX_USER_AGENT_LENGTH) return null;
    try {
      return parse(agent)[key];
    } catch {
      return null;
    }
  };
}
