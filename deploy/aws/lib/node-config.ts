// What the user data writes to /etc/switchboard/cluster.ini on every node. Keys not listed
// keep the defaults of docs/configuration.md. Values may hold CloudFormation tokens (the
// Redis endpoint, the VPC's CIDR) and shell variables ($INSTANCE_ID ...) that the user data
// sets before it writes the file; everything else is escaped for the unquoted heredoc.

import { SwitchboardSettings } from './settings';

export interface NodeConfigInputs {
  settings: SwitchboardSettings;
  /** redis://HOST:PORT of the coordinator (tokens). */
  coordinatorUrl: string;
  /** The VPC's CIDR: the ALB's addresses, trusted for X-Forwarded-For. */
  vpcCidr: string;
  /** The group's name, the one dimension of ActiveCalls. */
  autoScalingGroupName: string;
}

export const EMF_FILE = '/var/log/switchboard/emf.log';
/** The termination lifecycle hook the node heartbeats and completes ([aws] lifecycle_hook). */
export const LIFECYCLE_HOOK = 'switchboard-drain';
export const TRANSCRIPTS = 'sqlite:/var/lib/switchboard/transcripts.db';

/** Escapes a literal for an unquoted heredoc: \, $ and ` would be expanded by the shell. */
export function heredocLiteral(s: string): string {
  return s.replace(/[\\$`]/g, (c) => '\\' + c);
}

/** One piece of a value: a literal (escaped), a CloudFormation token (kept as it is, it
 * resolves to a plain value at deploy time) or a shell variable of the user data. */
export type Part = { lit: string } | { token: string } | { shell: string };
export type Value = Part[];
/** section -> key -> value, in file order. */
export type Ini = Map<string, Map<string, Value>>;

export const lit = (s: string): Part => ({ lit: s });
export const token = (s: string): Part => ({ token: s });
export const shell = (name: string): Part => ({ shell: name });

export function nodeConfig(i: NodeConfigInputs): Ini {
  const s = i.settings;
  const ini: Ini = new Map();
  const set = (section: string, key: string, ...value: Part[]) => {
    if (!ini.has(section)) ini.set(section, new Map());
    ini.get(section)!.set(key, value);
  };
  set('node', 'name', shell('INSTANCE_ID'));
  set('node', 'listen', lit(`0.0.0.0:${s.httpPort}`));
  set('node', 'cluster_listen', lit(`0.0.0.0:${s.clusterPort}`));
  set('node', 'max_calls', lit(String(s.maxCalls)));
  set('node', 'drain_timeout', lit(`${s.drainTimeoutSeconds}s`));
  set('cluster', 'seeds', shell('SEEDS'));
  set('cluster', 'secret', shell('CLUSTER_SECRET'));
  set('cluster', 'advertise', shell('PRIVATE_IP'), lit(`:${s.clusterPort}`));
  set('cluster', 'coordinator', token(i.coordinatorUrl));
  set('stt', 'url', lit('wss://api.deepgram.com'));
  set('llm', 'url', lit('https://api.openai.com/v1'));
  set('tts', 'url', lit('https://api.elevenlabs.io'));
  set('pool.stt', 'max_active', lit(String(s.pools.stt)));
  set('pool.llm', 'max_active', lit(String(s.pools.llm)));
  set('pool.tts', 'max_active', lit(String(s.pools.tts)));
  set('admission', 'trusted_proxies', token(i.vpcCidr));
  set('store', 'transcripts', lit(TRANSCRIPTS));
  set('call', 'max_duration', lit(`${s.maxCallSeconds}s`));
  set('log', 'format', lit('json'));
  set('metrics', 'emf_interval', lit(`${s.emfIntervalSeconds}s`));
  set('metrics', 'emf_namespace', lit(s.metricNamespace));
  set('metrics', 'emf_dimensions', lit('AutoScalingGroupName='), token(i.autoScalingGroupName));
  set('metrics', 'emf_file', lit(EMF_FILE));
  // The node watches its lifecycle (IMDSv2): it drains on scale-in and Spot notices,
  // heartbeats the hook's action while calls remain (a third of its timeout) and completes it.
  set('aws', 'lifecycle', lit('imds'));
  set('aws', 'lifecycle_hook', lit(LIFECYCLE_HOOK));
  set('aws', 'asg_name', token(i.autoScalingGroupName));
  set('aws', 'heartbeat_interval', lit(`${Math.max(10, Math.floor(s.lifecycleHeartbeatSeconds / 3))}s`));
  for (const [dotted, value] of Object.entries(s.nodeSettings)) {
    const at = dotted.lastIndexOf('.');
    set(dotted.slice(0, at), dotted.slice(at + 1), lit(value));
  }
  return ini;
}

/** The file's text for an unquoted heredoc: literals escaped, shell variables as ${NAME}. */
export function renderIni(ini: Ini): string {
  const lines: string[] = [];
  for (const [section, keys] of ini) {
    lines.push(`[${section}]`);
    for (const [k, v] of keys) lines.push(`${k} = ${v.map(renderPart).join('')}`);
    lines.push('');
  }
  return lines.join('\n');
}

function renderPart(p: Part): string {
  if ('lit' in p) return heredocLiteral(p.lit);
  if ('token' in p) return p.token;
  return '${' + p.shell + '}';
}
